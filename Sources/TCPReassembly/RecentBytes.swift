/// The last bytes delivered on one side of a reassembled (control) connection, so that a retransmission of data
/// already delivered can be compared with what was delivered: same sequence numbers with different content is an
/// insertion or evasion attempt (Ptacek and Newsham 1998), or a broken middlebox, and is reported.
///
/// The bytes themselves are in the reassembler's `DeliveryLog`, one ring shared by every side; a side keeps only
/// where its newest delivery lies there, and each delivery record points to the one before it. Each side used to
/// have a ring of its own (512 bytes, allocated on its first delivery, written on every one): with hundreds of
/// control connections open at once, that write landed on a cold line of a scattered allocation for every control
/// segment, and taking the copy out made the analysis thread of the control-heavy benchmark 8-13 % faster
/// (docs/threads.md, "Fourteenth session"). Written one after another, the shared ring's lines stay in cache.
///
/// What is held: the last `capacity` bytes of the side's contiguous stream (a gap or skip starts over), as long as
/// the log has not written over them since. A retransmission of older bytes is counted as one without the
/// comparison.
struct RecentBytes {
    /// How far back on one side a retransmission can be checked. Control lines are short.
    static let capacity = 512

    /// Log position of the side's newest delivery record, or -1.
    private var newest: Int64 = -1
    /// Stream offset just past the newest byte held.
    private(set) var endOffset: Int64 = 0
    /// Bytes the side's records hold contiguously back from `endOffset` (up to `capacity`), whether or not the log
    /// still has them all.
    private(set) var count = 0

    init() {}

    /// Records `bytes`, delivered so that the stream now ends at `end`. Once per delivered control segment.
    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer, endingAt end: Int64, in log: inout DeliveryLog) {
        let length = bytes.count
        // A gap or skip: what is held is not contiguous. (Offsets are stream positions far from 2^63 and lengths
        // at most a packet's: the arithmetic wraps instead of trapping.)
        let continues = end &- Int64(length) == endOffset
        if length > 0 {
            // Only the tail the window can hold.
            let take = min(length, RecentBytes.capacity)
            let tail = UnsafeRawBufferPointer(rebasing: bytes[(length &- take)...])
            newest = log.append(tail, previous: continues && take == length ? newest : -1)
        } else if !continues {
            newest = -1
        }
        count = min(RecentBytes.capacity, (continues ? count : 0) &+ length)
        endOffset = end
    }

    /// The held bytes the log still has, gathered into its scratch: valid until the log is next used.
    private func held(in log: inout DeliveryLog) -> (start: Int64, bytes: UnsafeRawBufferPointer) {
        let bytes = log.gather(from: newest, count: count)
        return (endOffset - Int64(bytes.count), bytes)
    }

    /// Stream offset of the oldest byte held.
    func startOffset(in log: inout DeliveryLog) -> Int64 { held(in: &log).start }

    /// Where `payload`, which starts at stream offset `start`, first differs from the bytes held; nil when they
    /// agree wherever both exist.
    func firstDifference(_ payload: UnsafeRawBufferPointer, at start: Int64, in log: inout DeliveryLog) -> Int64? {
        let (heldStart, bytes) = held(in: &log)
        let low = max(start, heldStart)
        let high = min(start + Int64(payload.count), endOffset)
        guard low < high else { return nil }
        var offset = low
        while offset < high {
            if bytes[Int(offset - heldStart)] != payload[Int(offset - start)] { return offset }
            offset += 1
        }
        return nil
    }

    /// Up to `length` held bytes from `offset`.
    func bytes(from offset: Int64, length: Int, in log: inout DeliveryLog) -> [UInt8] {
        let (heldStart, bytes) = held(in: &log)
        guard offset >= heldStart, offset < endOffset else { return [] }
        let end = min(endOffset, offset + Int64(length))
        return Array(bytes[Int(offset - heldStart)..<Int(end - heldStart)])
    }
}

/// The bytes last delivered on the reassembled sides of one reassembler, in one ring written front to back
/// (`RecentBytes`). Each delivery is a record: the position of the same side's previous record (-1 for none), its
/// length, then its bytes. A record is intact while the ring has not come round to it again, which a position
/// (counted from the log's start, never reused) tells at once: so a side's chain is followed back only as far as
/// it is intact, and never into another side's bytes written where an old record was.
///
/// Memory: `capacity` bytes, reserved once and touched as the ring first fills; with the default of 1 MiB, a check
/// reaches back over the last 1 MiB of control bytes (records included) of all connections together.
struct DeliveryLog: ~Copyable {
    static let defaultCapacity = 1 << 20
    private static let headerSize = 16

    private let storage: UnsafeMutableRawPointer
    private let capacity: Int
    /// Bytes the ring has advanced by since the start: the next record's position.
    private var written: Int64 = 0
    /// Where `gather` puts a side's held bytes (`RecentBytes.capacity`).
    private let scratch: UnsafeMutableRawPointer

    /// A log of `capacity` bytes (a power of two, at least a few records long).
    init(capacity: Int = DeliveryLog.defaultCapacity) {
        precondition(capacity.nonzeroBitCount == 1 && capacity >= 4 * (RecentBytes.capacity + DeliveryLog.headerSize))
        self.capacity = capacity
        storage = .allocate(byteCount: capacity, alignment: 16)
        scratch = .allocate(byteCount: RecentBytes.capacity, alignment: 16)
    }

    deinit {
        storage.deallocate()
        scratch.deallocate()
    }

    /// Appends a record of `bytes` (at most `RecentBytes.capacity` of them) after the side's record at `previous`,
    /// and returns its position.
    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer, previous: Int64) -> Int64 {
        let size = (DeliveryLog.headerSize + bytes.count + 7) & ~7
        var position = written
        let place = Int(truncatingIfNeeded: position) & (capacity - 1)
        // A record never wraps: the ring's tail is passed over instead (no record points into it).
        if place + size > capacity { position &+= Int64(capacity - place) }
        let at = storage + (Int(truncatingIfNeeded: position) & (capacity - 1))
        at.storeBytes(of: previous, as: Int64.self)
        at.storeBytes(of: Int64(bytes.count), toByteOffset: 8, as: Int64.self)
        if let from = bytes.baseAddress {
            (at + DeliveryLog.headerSize).copyMemory(from: from, byteCount: bytes.count)
        }
        written = position &+ Int64(size)
        return position
    }

    /// True when the record at `position` has not been written over.
    private func isIntact(_ position: Int64) -> Bool {
        position >= 0 && position >= written - Int64(capacity)
    }

    /// The last `count` bytes of the chain of records ending at `newest`, or the newer part of them the ring still
    /// holds, gathered into the scratch in stream order: valid until the log is next used. At most `count` records
    /// are visited (none is empty).
    mutating func gather(from newest: Int64, count: Int) -> UnsafeRawBufferPointer {
        var cursor = RecentBytes.capacity
        var remaining = min(count, RecentBytes.capacity)
        var position = newest
        while remaining > 0 && isIntact(position) {
            let at = storage + (Int(truncatingIfNeeded: position) & (capacity - 1))
            let previous = at.load(as: Int64.self)
            let length = Int(at.load(fromByteOffset: 8, as: Int64.self))
            let take = min(length, remaining)
            cursor -= take
            (scratch + cursor).copyMemory(from: at + DeliveryLog.headerSize + (length - take), byteCount: take)
            remaining -= take
            position = previous
        }
        return UnsafeRawBufferPointer(start: scratch + cursor, count: RecentBytes.capacity - cursor)
    }
}
