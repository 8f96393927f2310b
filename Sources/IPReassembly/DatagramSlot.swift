import NetworkTypes
import PacketDecoding

/// One datagram being put back together: its bytes in one buffer indexed by fragment offset (fragments are
/// copied straight to their place, so a fragment costs a copy and no allocation), the runs of bytes received
/// (kept in the reassembler's piece arena), and its place in the age list that timeouts and eviction walk.
struct DatagramSlot {
    var key: FragmentKey
    /// When its first fragment arrived; timeouts run from here (RFC 791's timer starts with the first fragment).
    var firstTime: Timestamp
    /// In the table (being reassembled or discarded); false on the free list.
    var live = false
    /// IPv6 datagram that had an overlap: kept until its timeout so its later fragments are dropped too
    /// (RFC 5722 section 4: "including those not yet received").
    var discarded = false
    /// Payload length, known once the last fragment (MF/M clear) arrived; -1 before.
    var totalLength = -1
    /// Where the captured bytes stop when a fragment was cut by the snap length; `Int.max` when none was.
    var capturedEnd = Int.max
    /// The first fragment's protocol / next header.
    var nextHeader: UInt8 = 0
    /// Disjoint runs of received bytes, in the piece arena.
    var pieceCount = 0
    /// Fragments it holds (dropped with it when it is given up).
    var fragments = 0
    /// Anomaly kinds already reported for it (bit = `IPFragmentAnomalyKind` index): one of each per datagram,
    /// whatever a flood repeats.
    var reported: UInt8 = 0
    /// The datagram's bytes (uninitialised outside the pieces); `capacity` bytes, nil when 0.
    var storage: UnsafeMutableRawPointer?
    var capacity = 0
    /// Age list (creation order, one list per IP version): indexes of the neighbouring slots, -1 at the ends.
    var previous: Int32 = -1
    var next: Int32 = -1

    init(key: FragmentKey, firstTime: Timestamp) {
        self.key = key
        self.firstTime = firstTime
    }

    /// Makes the slot hold a new datagram, keeping its buffer.
    mutating func reset(key: FragmentKey, firstTime: Timestamp) {
        self.key = key
        self.firstTime = firstTime
        live = true
        discarded = false
        totalLength = -1
        capturedEnd = Int.max
        nextHeader = 0
        pieceCount = 0
        fragments = 0
        reported = 0
        previous = -1
        next = -1
    }
}

/// The runs of received bytes of every slot, `stride` Int32 values per slot (start, end pairs, sorted, disjoint
/// and not adjacent: adjacent runs are merged, so fragments in order or reversed stay one run). One array for all
/// slots, grown only when the slot pool grows, so recording a fragment never allocates.
struct PieceArena {
    private(set) var values: [Int32] = []
    let stride: Int

    init(piecesPerSlot: Int) { stride = piecesPerSlot * 2 }

    mutating func addSlot() { values.append(contentsOf: repeatElement(0, count: stride)) }

    func start(_ slot: Int32, _ index: Int) -> Int { Int(values[Int(slot) * stride + 2 * index]) }
    func end(_ slot: Int32, _ index: Int) -> Int { Int(values[Int(slot) * stride + 2 * index + 1]) }

    /// Adds [start, end) to the slot's `count` runs, merging what it touches or adjoins. Returns the new count,
    /// or nil when the slot would need more than `stride / 2` runs.
    mutating func insert(_ slot: Int32, count: Int, start: Int, end: Int) -> Int? {
        let base = Int(slot) * stride
        // First run that ends at or after `start` (touching counts), and the first one that begins after `end`.
        var first = 0
        while first < count && Int(values[base + 2 * first + 1]) < start { first += 1 }
        var last = first
        while last < count && Int(values[base + 2 * last]) <= end { last += 1 }
        let merged = last - first  // runs absorbed into the new one
        var newStart = start
        var newEnd = end
        if merged > 0 {
            newStart = min(start, Int(values[base + 2 * first]))
            newEnd = max(end, Int(values[base + 2 * (last - 1) + 1]))
        }
        let newCount = count - merged + 1
        guard newCount * 2 <= stride else { return nil }
        if merged != 1 {
            // Shift the runs after the absorbed ones so that exactly one slot sits at `first`.
            let shift = 1 - merged
            if shift > 0 {
                var index = count - 1
                while index >= last {
                    values[base + 2 * (index + shift)] = values[base + 2 * index]
                    values[base + 2 * (index + shift) + 1] = values[base + 2 * index + 1]
                    index -= 1
                }
            } else if shift < 0 {
                var index = last
                while index < count {
                    values[base + 2 * (index + shift)] = values[base + 2 * index]
                    values[base + 2 * (index + shift) + 1] = values[base + 2 * index + 1]
                    index += 1
                }
            }
        }
        values[base + 2 * first] = Int32(newStart)
        values[base + 2 * first + 1] = Int32(newEnd)
        return newCount
    }
}
