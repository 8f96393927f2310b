import NetworkTypes
import TCPReassembly

/// Stalled transfers (SPEC.md `stalled`): the data connection was established and data started, then nothing
/// moved until the transfer was given up. Read from the data connection's progress counters (TCPReassembly's
/// `ProgressCounters`), from either vantage:
///
/// - at the sender: the same full-size segment retransmitted and never acknowledged, while smaller segments (or
///   none yet) were: a path-MTU black hole (RFC 2923 section 2.1: a router drops packets too large for the next
///   hop and sends no ICMP "fragmentation needed", RFC 1191, or ICMPv6 "packet too big", RFC 8201);
/// - at the receiver: the sender's sequence numbers show bytes sent that never arrived while its small packets
///   did (the same black hole, seen from the other side);
/// - a receiver advertising a zero window (RFC 9293 section 3.8.6.1) until the server's data timeout: the client
///   stopped reading.
enum StallRules {
    /// Retransmissions of the same unacknowledged data that make a stall (one can be ordinary loss).
    static let minimumRetransmissions: UInt32 = 2

    /// The stall behind a failed (or falsely successful) transfer, if the counters show one: its cause and what
    /// the counters show.
    static func stall(of transfer: Transfer, status: DataStatus) -> (DataCause, StallEvidence)? {
        // Only these statuses can be a stall (see the end): the others are known before anything is read.
        switch status {
        case .reset, .incomplete, .aborted, .commandFailed, .completed: break
        default: return nil
        }
        guard transfer.command != nil, !transfer.abortRequested, let index = transfer.observedIndex else { return nil }
        let fromOriginator = transfer.dataFromOriginator
        let originatorProgress = transfer.connection(at: index).pointee.originatorProgress
        let responderProgress = transfer.connection(at: index).pointee.responderProgress
        let sender = fromOriginator ? originatorProgress : responderProgress
        let receiver = fromOriginator ? responderProgress : originatorProgress
        let cause: DataCause
        let delivered =
            fromOriginator ? transfer.connection(at: index).pointee.originatorBytes : transfer.connection(at: index).pointee.responderBytes
        let stuckAtSender = sender.retransmittedSegments >= minimumRetransmissions && sender.unacknowledgedBytes > 0
        // At the receiver: bytes the sender's sequence numbers account for never arrived, and not one full
        // segment's worth arrived in their place.
        let lostBeforeReceiver = sender.unseenSentBytes > 0 && sender.largestSegment < 1_200
            && delivered < sender.unseenSentBytes
        if stuckAtSender {
            cause = sender.largestRetransmittedSegment > sender.largestAcknowledgedSegment ? .pathMTUBlackhole : .unknown
        } else if lostBeforeReceiver {
            cause = .pathMTUBlackhole
        } else if receiver.zeroWindows > 0 && sender.unacknowledgedBytes > 0 || receiver.zeroWindows >= minimumRetransmissions {
            cause = .dataTimeout
        } else {
            return nil
        }
        // The handshake test last (it scans the history; nearly every transfer settled shows no stall above), on
        // the history's bytes in place: `String.contains` of a `Character` runs grapheme breaking, and taking the
        // record first copies all 424 bytes of it.
        guard transfer.connection(at: index).pointee.history.utf8.contains(where: { $0 == UInt8(ascii: "h") || $0 == UInt8(ascii: "H") })
        else { return nil }
        // Made once a cause is found (nearly every transfer settled has none).
        // Retransmissions seen mean the capture is at (or near) the sender; none, that it is at the receiver.
        let stall = StallEvidence(
            retransmissions: sender.retransmittedSegments,
            retransmittedSize: sender.largestRetransmittedSegment, largestAcknowledged: sender.largestAcknowledgedSegment,
            unseenBytes: sender.unseenSentBytes, zeroWindows: receiver.zeroWindows,
            sender: transfer.isUpload ? .client : .server,
            view: sender.retransmittedSegments >= minimumRetransmissions ? .sender : .receiver)
        switch status {
        case .reset, .incomplete:
            return (cause, stall)
        case .aborted, .commandFailed:
            // The server's data timeout (421 vsftpd, 426) after the stall.
            guard let code = transfer.reply?.code, code == 421 || code == 426 || code == 451 else { return nil }
            return (cause, stall)
        case .completed:
            // A 226 after the server's lingering close: the reply says sent, the counters say not received.
            return cause == .pathMTUBlackhole ? (cause, stall) : nil
        default:
            return nil
        }
    }
}
