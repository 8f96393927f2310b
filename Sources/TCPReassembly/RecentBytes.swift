/// The last bytes delivered on one side of a reassembled (control) connection, so that a retransmission of data
/// already delivered can be compared with what was delivered: same sequence numbers with different content is an
/// insertion or evasion attempt (Ptacek and Newsham 1998), or a broken middlebox, and is reported.
///
/// A fixed ring of `capacity` bytes, allocated on the first delivery of a reassembled side only (data connections
/// are counted, never kept), and overwritten in place: no allocation per segment. Noncopyable, owning its buffer
/// directly: as an array, each delivery paid a uniqueness check and its bounds checks (about a third of the cost).
struct RecentBytes: ~Copyable {
    /// How far back a retransmission can be checked. Control lines are short; a retransmission of older data is
    /// counted as a retransmission without the comparison. A power of two: a position in the ring is the stream
    /// offset (never negative) masked, not divided.
    static let capacity = 512
    private static let mask = Int64(capacity - 1)

    private var ring: UnsafeMutablePointer<UInt8>?
    /// Stream offset just past the newest byte held.
    private(set) var endOffset: Int64 = 0
    /// Bytes held (up to `capacity`).
    private(set) var count = 0

    init() {}

    deinit { ring?.deallocate() }

    /// Stream offset of the oldest byte held.
    var startOffset: Int64 { endOffset - Int64(count) }

    /// Records `bytes`, delivered so that the stream now ends at `end`. Once per delivered control segment: the
    /// arithmetic wraps (offsets are stream positions far from 2^63, lengths at most a packet's) and the first
    /// allocation is outlined.
    mutating func append(_ bytes: UnsafeRawBufferPointer, endingAt end: Int64) {
        let to = ring ?? allocateRing()
        let length = bytes.count
        // A gap or skip: what is held is not contiguous.
        let held = end &- Int64(length) == endOffset ? count : 0
        let take = min(length, RecentBytes.capacity)
        if let from = bytes.baseAddress, take > 0 {
            let source = from + (length &- take)
            // At most two copies: up to the end of the ring, then the rest from its start.
            let first = Int(truncatingIfNeeded: (end &- Int64(take)) & RecentBytes.mask)
            let beforeWrap = min(take, RecentBytes.capacity &- first)
            UnsafeMutableRawPointer(to + first).copyMemory(from: source, byteCount: beforeWrap)
            if take > beforeWrap {
                UnsafeMutableRawPointer(to).copyMemory(from: source + beforeWrap, byteCount: take &- beforeWrap)
            }
        }
        endOffset = end
        count = min(RecentBytes.capacity, held &+ length)
    }

    /// The ring, made on a side's first delivery.
    @inline(never)
    private mutating func allocateRing() -> UnsafeMutablePointer<UInt8> {
        let made = UnsafeMutablePointer<UInt8>.allocate(capacity: RecentBytes.capacity)
        made.initialize(repeating: 0, count: RecentBytes.capacity)
        ring = made
        return made
    }

    /// The byte at stream offset `offset` (which must be in `startOffset..<endOffset`).
    func byte(at offset: Int64) -> UInt8 { ring.map { $0[Int(offset & RecentBytes.mask)] } ?? 0 }

    /// Where `payload`, which starts at stream offset `start`, first differs from the bytes held; nil when they
    /// agree wherever both exist.
    func firstDifference(_ payload: UnsafeRawBufferPointer, at start: Int64) -> Int64? {
        let low = max(start, startOffset)
        let high = min(start + Int64(payload.count), endOffset)
        guard low < high else { return nil }
        var offset = low
        while offset < high {
            if byte(at: offset) != payload[Int(offset - start)] { return offset }
            offset += 1
        }
        return nil
    }

    /// Up to `length` held bytes from `offset`.
    func bytes(from offset: Int64, length: Int) -> [UInt8] {
        guard offset >= startOffset, offset < endOffset else { return [] }
        let end = min(endOffset, offset + Int64(length))
        return (offset..<end).map { byte(at: $0) }
    }
}
