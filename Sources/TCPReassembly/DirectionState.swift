import NetworkTypes

/// Everything the reassembler tracks for one direction. Stored in its connection's own allocation (the two
/// tail elements of `TCPConnection`), so a connection is one object and one stretch of memory: a segment touches
/// the connection and its sides without following two more pointers to objects of another size class.
/// Public only because `TCPConnection`'s superclass names it; its members are the module's own. Not copyable: it
/// lives only in its connection and is reached in place, through `DirectionState`.
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
/// The members are addressors (the field's address in the connection), not `_read`/`_modify` coroutines: a
/// coroutine's frame is allocated on every access in unoptimised builds, which the allocation tests catch.
struct DirectionState {
    let fields: UnsafeMutablePointer<DirectionFields>

    var stats: DirectionStats {
        unsafeAddress { UnsafePointer(withUnsafeMutablePointer(to: &fields.pointee.stats) { $0 }) }
        nonmutating unsafeMutableAddress { withUnsafeMutablePointer(to: &fields.pointee.stats) { $0 } }
    }
    var progress: ProgressCounters {
        unsafeAddress { UnsafePointer(withUnsafeMutablePointer(to: &fields.pointee.progress) { $0 }) }
        nonmutating unsafeMutableAddress { withUnsafeMutablePointer(to: &fields.pointee.progress) { $0 } }
    }
    var progressState: ProgressState {
        unsafeAddress { UnsafePointer(withUnsafeMutablePointer(to: &fields.pointee.progressState) { $0 }) }
        nonmutating unsafeMutableAddress { withUnsafeMutablePointer(to: &fields.pointee.progressState) { $0 } }
    }
    var endpoint: EndpointState {
        unsafeAddress { UnsafePointer(withUnsafeMutablePointer(to: &fields.pointee.endpoint) { $0 }) }
        nonmutating unsafeMutableAddress { withUnsafeMutablePointer(to: &fields.pointee.endpoint) { $0 } }
    }
    var synSeq: SeqNumber? {
        unsafeAddress { UnsafePointer(withUnsafeMutablePointer(to: &fields.pointee.synSeq) { $0 }) }
        nonmutating unsafeMutableAddress { withUnsafeMutablePointer(to: &fields.pointee.synSeq) { $0 } }
    }
    var started: Bool {
        unsafeAddress { UnsafePointer(withUnsafeMutablePointer(to: &fields.pointee.started) { $0 }) }
        nonmutating unsafeMutableAddress { withUnsafeMutablePointer(to: &fields.pointee.started) { $0 } }
    }
    var nextSeq: SeqNumber {
        unsafeAddress { UnsafePointer(withUnsafeMutablePointer(to: &fields.pointee.nextSeq) { $0 }) }
        nonmutating unsafeMutableAddress { withUnsafeMutablePointer(to: &fields.pointee.nextSeq) { $0 } }
    }
    var nextOffset: Int64 {
        unsafeAddress { UnsafePointer(withUnsafeMutablePointer(to: &fields.pointee.nextOffset) { $0 }) }
        nonmutating unsafeMutableAddress { withUnsafeMutablePointer(to: &fields.pointee.nextOffset) { $0 } }
    }
    var finOffset: Int64? {
        unsafeAddress { UnsafePointer(withUnsafeMutablePointer(to: &fields.pointee.finOffset) { $0 }) }
        nonmutating unsafeMutableAddress { withUnsafeMutablePointer(to: &fields.pointee.finOffset) { $0 } }
    }
    var pending: [PendingSegment] {
        unsafeAddress { UnsafePointer(withUnsafeMutablePointer(to: &fields.pointee.pending) { $0 }) }
        nonmutating unsafeMutableAddress { withUnsafeMutablePointer(to: &fields.pointee.pending) { $0 } }
    }
    var pendingCost: Int {
        unsafeAddress { UnsafePointer(withUnsafeMutablePointer(to: &fields.pointee.pendingCost) { $0 }) }
        nonmutating unsafeMutableAddress { withUnsafeMutablePointer(to: &fields.pointee.pendingCost) { $0 } }
    }
    var recent: RecentBytes {
        unsafeAddress { UnsafePointer(withUnsafeMutablePointer(to: &fields.pointee.recent) { $0 }) }
        nonmutating unsafeMutableAddress { withUnsafeMutablePointer(to: &fields.pointee.recent) { $0 } }
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
