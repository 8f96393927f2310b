import NetworkTypes

/// How a side ended its part of a connection (RFC 9293 section 3.6: FIN is an orderly close, RST an abort).
public enum CloseKind: String, Sendable, Hashable {
    /// It sent a FIN.
    case fin
    /// It sent a RST.
    case rst
}

/// A side's progress counters: what a support engineer asks of a stalled transfer. Plain integers updated in
/// place on every segment (no allocation), read when the connection closes.
public struct ProgressCounters: Sendable, Hashable {
    /// Segments of this side whose payload the peer had not acknowledged and that were sent again
    /// (retransmissions proper, not duplicates of acknowledged data).
    public var retransmittedSegments: UInt32 = 0
    /// The largest payload of such a retransmitted segment.
    public var largestRetransmittedSegment: UInt32 = 0
    /// The largest payload this side sent in one segment.
    public var largestSegment: UInt32 = 0
    /// The largest payload among segments the peer is known to have acknowledged: credited when the peer's
    /// cumulative ACK covers everything this side had sent (so a large segment still outstanding behind an ACK
    /// for a small one is never credited).
    public var largestAcknowledgedSegment: UInt32 = 0
    /// Segments in which this side advertised a zero receive window (RFC 9293 section 3.8.6.1: its reader
    /// stopped taking data).
    public var zeroWindows: UInt32 = 0
    /// Bytes this side's sequence numbers say it sent (a later ACK or FIN from it carries a sequence number
    /// beyond them) that never appeared in the capture: lost before the capture point, as full-size segments are
    /// in a path-MTU black hole while the sender's small packets still arrive.
    public var unseenSentBytes: UInt64 = 0
    /// Bytes this side sent that the peer had not acknowledged when the connection ended (or so far).
    public var unacknowledgedBytes: UInt64 = 0
    /// How this side first closed, and when.
    public var close: CloseKind?
    /// When this side sent its first FIN or RST.
    public var closeTime: Timestamp?

    /// Creates zeroed counters.
    public init() {}
}

/// The bookkeeping behind `ProgressCounters` that reports do not need.
struct ProgressState {
    /// Highest stream offset the peer acknowledged.
    var acknowledged: Int64 = 0
    /// Highest stream offset this side sent up to.
    var sentEnd: Int64 = 0
    /// Largest new segment sent since the peer last acknowledged everything.
    var outstandingLargest: UInt32 = 0
    /// Highest stream offset named by a payload-less segment of this side.
    var highestSequence: Int64 = 0
    /// When this side last sent new data.
    var lastNewData = Timestamp.zero
}

/// How long after the side's latest new data a repeat of unacknowledged data counts as a retransmission. A
/// capture can hold the same segment twice (a SPAN port, `tcpdump -i any`, a merged capture) microseconds
/// apart, or reordered; a sender retransmits after a round trip at the soonest (fast retransmit) and normally
/// after its retransmission timeout (RFC 6298: one second, 200 ms on Linux).
let minimumRetransmissionDelay: Int64 = 1_000_000

extension DirectionState {
    /// A segment with payload at stream offsets `start..<start + length` from this side.
    @inline(__always) func noteSent(start: Int64, length: Int, at time: Timestamp) {
        let size = UInt32(truncatingIfNeeded: length)
        let end = start + Int64(length)
        if size > progress.largestSegment { progress.largestSegment = size }
        if end <= progressState.sentEnd {
            // Sent before: a retransmission, unless the peer already acknowledged all of it (a duplicate).
            if end > progressState.acknowledged
                && progressState.lastNewData.nanoseconds(to: time) >= minimumRetransmissionDelay
            {
                progress.retransmittedSegments &+= 1
                if size > progress.largestRetransmittedSegment { progress.largestRetransmittedSegment = size }
            }
            return
        }
        progressState.sentEnd = end
        if progressState.lastNewData < time { progressState.lastNewData = time }
        progress.unacknowledgedBytes = UInt64(max(0, end - progressState.acknowledged))
        if size > progressState.outstandingLargest { progressState.outstandingLargest = size }
        if progress.unseenSentBytes > 0 {
            progress.unseenSentBytes = UInt64(max(0, progressState.highestSequence - end))
        }
    }

    /// A segment without payload from this side whose sequence number is stream offset `offset`.
    @inline(__always) func noteSequence(at offset: Int64) {
        guard offset > progressState.sentEnd, offset > progressState.highestSequence else { return }
        progressState.highestSequence = offset
        progress.unseenSentBytes = UInt64(offset - progressState.sentEnd)
    }

    /// The peer acknowledged this side's stream up to `offset`.
    @inline(__always) func noteAcknowledged(upTo offset: Int64) {
        guard offset > progressState.acknowledged else { return }
        progressState.acknowledged = offset
        progress.unacknowledgedBytes = UInt64(max(0, progressState.sentEnd - offset))
        if offset >= progressState.sentEnd && progressState.outstandingLargest > 0 {
            if progressState.outstandingLargest > progress.largestAcknowledgedSegment {
                progress.largestAcknowledgedSegment = progressState.outstandingLargest
            }
            progressState.outstandingLargest = 0
        }
    }

    /// This side's flags and window of one segment.
    @inline(__always) func noteControl(fin: Bool, rst: Bool, syn: Bool, ack: Bool, window: UInt16, at time: Timestamp) {
        if window == 0 && ack && !syn && !rst { progress.zeroWindows &+= 1 }
        if progress.close == nil && (fin || rst) {
            progress.close = rst ? .rst : .fin
            progress.closeTime = time
        }
    }
}
