import NetworkTypes

/// Everything the reassembler tracks for one direction. Stored in its connection's own allocation (the two
/// tail elements of `TCPConnection`), so a connection is one object and one stretch of memory: a segment touches
/// the connection and its sides without following two more pointers to objects of another size class.
/// Public only because `TCPConnection`'s superclass names it; its members are the module's own. Not copyable,
/// as `RecentBytes` (its ring buffer) is not.
public struct DirectionFields: ~Copyable {
    var stats = DirectionStats()
    /// Retransmissions, segment sizes, zero windows, close (ProgressCounters.swift).
    var progress = ProgressCounters()
    var progressState = ProgressState()
    var endpoint = EndpointState.inactive
    /// Sequence number of this side's SYN, if seen (for port-reuse detection).
    var synSeq: SeqNumber?
    /// True once the sequence space has been anchored (SYN + 1, or the first segment's seq).
    var started = false
    /// Next expected sequence number and the 64-bit stream offset it stands for; the two advance together so
    /// offsets stay right past 2^32 bytes while comparisons use serial arithmetic (RFC 9293 section 3.4).
    var nextSeq = SeqNumber(0)
    var nextOffset: Int64 = 0
    /// Stream offset of the FIN, once seen.
    var finOffset: Int64?
    /// Out-of-order segments, sorted by offset, disjoint, all beyond `nextOffset`.
    var pending: [PendingSegment] = []
    /// Memory charged to `pending` (bytes plus a per-entry overhead).
    var pendingCost = 0
    /// The last bytes delivered (reassembled sides only), to compare retransmissions with.
    var recent = RecentBytes()
}

/// One side of a connection, by reference: the address of its `DirectionFields` inside the connection, valid
/// while the connection lives (the flow table, or the caller, holds it). A reference rather than a copy so the
/// delegate may read the connection while the reassembler works on a side (no overlapping access to a Swift
/// variable: the fields are reached through the pointer), as when the sides were objects of their own.
struct DirectionState {
    let fields: UnsafeMutablePointer<DirectionFields>

    var stats: DirectionStats {
        _read { yield fields.pointee.stats }
        nonmutating _modify { yield &fields.pointee.stats }
    }
    var progress: ProgressCounters {
        _read { yield fields.pointee.progress }
        nonmutating _modify { yield &fields.pointee.progress }
    }
    var progressState: ProgressState {
        _read { yield fields.pointee.progressState }
        nonmutating _modify { yield &fields.pointee.progressState }
    }
    var endpoint: EndpointState {
        _read { yield fields.pointee.endpoint }
        nonmutating _modify { yield &fields.pointee.endpoint }
    }
    var synSeq: SeqNumber? {
        _read { yield fields.pointee.synSeq }
        nonmutating _modify { yield &fields.pointee.synSeq }
    }
    var started: Bool {
        _read { yield fields.pointee.started }
        nonmutating _modify { yield &fields.pointee.started }
    }
    var nextSeq: SeqNumber {
        _read { yield fields.pointee.nextSeq }
        nonmutating _modify { yield &fields.pointee.nextSeq }
    }
    var nextOffset: Int64 {
        _read { yield fields.pointee.nextOffset }
        nonmutating _modify { yield &fields.pointee.nextOffset }
    }
    var finOffset: Int64? {
        _read { yield fields.pointee.finOffset }
        nonmutating _modify { yield &fields.pointee.finOffset }
    }
    var pending: [PendingSegment] {
        _read { yield fields.pointee.pending }
        nonmutating _modify { yield &fields.pointee.pending }
    }
    var pendingCost: Int {
        _read { yield fields.pointee.pendingCost }
        nonmutating _modify { yield &fields.pointee.pendingCost }
    }
    var recent: RecentBytes {
        _read { yield fields.pointee.recent }
        nonmutating _modify { yield &fields.pointee.recent }
    }

    /// The stream offset of a sequence number near the current position.
    @inline(__always) func offset(of seq: SeqNumber) -> Int64 {
        nextOffset + Int64(nextSeq.distance(to: seq))
    }

    @inline(__always) func advance(by count: Int64) {
        nextOffset += count
        nextSeq = nextSeq.advanced(by: Int(truncatingIfNeeded: count))
    }

    func anchor(at seq: SeqNumber) {
        started = true
        nextSeq = seq
        nextOffset = 0
    }
}
