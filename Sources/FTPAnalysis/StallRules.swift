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
    /// What the counters show, for the verdict and the sentence.
    struct Stall: Sendable, Hashable {
        /// The cause.
        var cause: DataCause
        /// Retransmissions of unacknowledged data by the data's sender.
        var retransmissions: UInt32
        /// Size of those retransmitted segments (the largest).
        var retransmittedSize: UInt32
        /// Largest segment of the sender's that the receiver acknowledged.
        var largestAcknowledged: UInt32
        /// Bytes the sender sent that never reached the capture.
        var unseenBytes: UInt64
        /// Zero-window advertisements by the receiver.
        var zeroWindows: UInt32
        /// Who is sending the data.
        var sender: DataSide
    }

    /// Retransmissions of the same unacknowledged data that make a stall (one can be ordinary loss).
    static let minimumRetransmissions: UInt32 = 2

    /// The stall behind a failed (or falsely successful) transfer, if the counters show one.
    static func stall(of transfer: Transfer, status: DataStatus) -> Stall? {
        guard transfer.command != nil, !transfer.abortRequested, let connection = transfer.observedConnection,
            connection.history.contains("h") || connection.history.contains("H")
        else { return nil }
        let fromOriginator = transfer.dataFromOriginator
        let sender = fromOriginator ? connection.originatorProgress : connection.responderProgress
        let receiver = fromOriginator ? connection.responderProgress : connection.originatorProgress
        var stall = Stall(
            cause: .unknown, retransmissions: sender.retransmittedSegments,
            retransmittedSize: sender.largestRetransmittedSegment, largestAcknowledged: sender.largestAcknowledgedSegment,
            unseenBytes: sender.unseenSentBytes, zeroWindows: receiver.zeroWindows,
            sender: transfer.isUpload ? .client : .server)
        let delivered = fromOriginator ? connection.originatorBytes : connection.responderBytes
        let stuckAtSender = sender.retransmittedSegments >= minimumRetransmissions && sender.unacknowledgedBytes > 0
        // At the receiver: bytes the sender's sequence numbers account for never arrived, and not one full
        // segment's worth arrived in their place.
        let lostBeforeReceiver = sender.unseenSentBytes > 0 && sender.largestSegment < 1_200
            && delivered < sender.unseenSentBytes
        if stuckAtSender {
            stall.cause = sender.largestRetransmittedSegment > sender.largestAcknowledgedSegment ? .pathMTUBlackhole : .unknown
        } else if lostBeforeReceiver {
            stall.cause = .pathMTUBlackhole
        } else if receiver.zeroWindows > 0 && sender.unacknowledgedBytes > 0 || receiver.zeroWindows >= minimumRetransmissions {
            stall.cause = .dataTimeout
        } else {
            return nil
        }
        switch status {
        case .reset, .incomplete:
            return stall
        case .aborted, .commandFailed:
            // The server's data timeout (421 vsftpd, 426) after the stall.
            guard let code = transfer.reply?.code, code == 421 || code == 426 || code == 451 else { return nil }
            return stall
        case .completed:
            // A 226 after the server's lingering close: the reply says sent, the counters say not received.
            return stall.cause == .pathMTUBlackhole ? stall : nil
        default:
            return nil
        }
    }

    /// The sentence for a stalled transfer: what the counters show, from the capture's vantage, and the fix.
    static func explain(_ transfer: Transfer, _ stall: Stall) -> String {
        let what = [transfer.command?.name, transfer.argument].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        let sender = stall.sender == .server ? "server" : "client"
        let receiver = stall.sender == .server ? "client" : "server"
        let ending = transfer.reply.map { " The server's reply: \($0.code) \($0.text.firstLine.trimmingFinalPeriod)." } ?? ""
        switch stall.cause {
        case .pathMTUBlackhole where stall.retransmissions >= minimumRetransmissions:
            let acked = stall.largestAcknowledged == 0
                ? "no data segment was ever acknowledged"
                : "the largest segment acknowledged was \(stall.largestAcknowledged) bytes"
            return "The data connection for \(what) stalled: the \(sender) sent \(stall.retransmittedSize)-byte segments \(stall.retransmissions) more times without an acknowledgement, while \(acked) and the \(receiver)'s small packets kept arriving: a path-MTU black hole (a router drops packets too big for the next link and sends no ICMP \"fragmentation needed\"). Seen from the \(receiver), the large segments never arrive.\(ending) Clamp the TCP MSS on the router (iptables TCPMSS --clamp-mss-to-pmtu) or lower the MTU on the path, and let ICMP type 3 code 4 (ICMPv6 \"packet too big\") through."
        case .pathMTUBlackhole:
            return "The data connection for \(what) stalled: the \(sender)'s sequence numbers show \(stall.unseenBytes) bytes sent that never reached this capture point, while its small packets (ACKs, FIN) did: full-size segments are lost on the way, a path-MTU black hole (a router drops packets too big for the next link and sends no ICMP \"fragmentation needed\"). Seen from the \(sender), the same segments are retransmitted and never acknowledged.\(ending) Clamp the TCP MSS on the router (iptables TCPMSS --clamp-mss-to-pmtu) or lower the MTU on the path, and let ICMP type 3 code 4 (ICMPv6 \"packet too big\") through."
        case .dataTimeout:
            return "The data connection for \(what) stalled: the \(receiver) advertised a zero window \(stall.zeroWindows) times and took no more data (the \(sender) probed the closed window), until the transfer was given up.\(ending) The \(receiver) stopped reading: look at the \(receiver) program (hung, blocked on its disk or its output) rather than the network."
        default:
            return "The data connection for \(what) stalled: the \(sender) retransmitted unacknowledged data \(stall.retransmissions) times, with segments no larger than ones acknowledged before: packets are lost on the path, not only large ones.\(ending) Look for loss or a failing link between the two."
        }
    }
}
