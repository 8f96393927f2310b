import FTPProtocol
import NetworkTypes
import TCPReassembly

/// Failures seen in the field that the plain correlator misread (issue 15): a refusal that arrives after the client
/// already opened the data connection, which the server then resets. Each rule reads the transfer's replies and
/// its data connection and returns a status or a sentence; `DataChannelDiagnosis` asks them first.
enum FieldDiagnosis {
    /// True for a final reply that refuses the transfer command itself (RFC 959 section 4.2: 450/451/452 and
    /// 5xx), as opposed to 425/426, which blame the data connection.
    static func refusesCommand(_ code: Int) -> Bool {
        code >= 450 && code < 600 && code != 425 && code != 426
    }

    /// The status of a transfer whose data connection ended in a RST, when the server's reply explains it.
    ///
    /// Clients such as Python's ftplib and curl connect to the passive port before they send RETR/STOR
    /// (ftplib's `ntransfercmd`); when the server then refuses the command (`550 Failed to open file.`) it closes
    /// its listening socket with the connection still queued, and the kernel resets it (vsftpd does). The reset
    /// is a consequence: the server's reply decides.
    static func statusOfResetConnection(_ transfer: Transfer) -> DataStatus? {
        guard let code = transfer.reply?.code, refusesCommand(code) else { return nil }
        return .commandFailed
    }

    /// The sentence for a transfer command the server refused, with the data connection's part in it.
    static func explainRefusal(_ transfer: Transfer) -> String? {
        guard transfer.status == .commandFailed, let command = transfer.command, let reply = transfer.reply,
            refusesCommand(reply.code)
        else { return nil }
        let what = [command.name, transfer.argument].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        var sentence = "The server refused \(what) with \(reply.code) \(reply.text.firstLine.trimmingFinalPeriod)."
        if let connection = transfer.observedConnection {
            let reset = connection.responderReset || connection.originatorReset
            sentence +=
                " The data connection was already open (the client connects before it sends the command)"
                + (reset ? " and was reset as a consequence" : " and was closed unused")
                + "; it was not at fault."
        }
        switch reply.code {
        case 550, 450: sentence += " Check that the path exists and that the account may read or write it."
        case 552, 452: sentence += " The server is out of space or over a quota."
        case 553: sentence += " The server does not allow that file name."
        case 530, 532: sentence += " The session is not logged in (or lacks an account) for this command."
        default: break
        }
        return sentence
    }
}

extension FieldDiagnosis {
    /// Commands after which a client no longer uses an earlier passive announcement: a new announcement, or the
    /// end of the session.
    private static let givingUpVerbs: Set<FTPVerb> = [.pasv, .epsv, .lpsv, .port, .eprt, .lprt, .quit, .rein]

    /// True for a passive announcement that the client abandoned without a trace of a data connection: the server
    /// accepted it (227/229/228), no SYN to it is in the capture, no transfer command used it, and the client's
    /// next move, a second or more later (or at once after such an abandoned attempt), was a new announcement,
    /// QUIT, or the end of the session (close, or silence until the capture ended). Clients that connect before they send the transfer command (curl,
    /// ftplib) do exactly this when their SYNs are lost before the capture point: curl tries EPSV until its
    /// connect timeout, then PASV, then gives up. Such an announcement is a failed data connection (`not_seen`),
    /// not an unused one.
    ///
    /// Active announcements (PORT/EPRT) are left alone: the server connects only for a transfer command, so an
    /// unused one failed at nothing (a client may send hundreds of them, as in Zeek's many-PORT trace).
    static func clientGaveUp(on transfer: Transfer, session: FTPSession) -> Bool {
        guard let delay = abandonment(of: transfer, session: session) else { return false }
        // A client that tried to connect waited at least one retransmission timeout (1 s initially, RFC 6298
        // section 2) before it could tell the SYN went unanswered; one that moves on sooner never tried, and its
        // announcement is merely unused (as in the benchmark generator's sessions and Zeek's traces) — unless
        // the announcement before it was abandoned that way: curl's connect timeout covers all its attempts, so
        // after a long EPSV attempt it takes the 227 to PASV and quits at once.
        let attempt: Int64 = 1_000_000_000
        if delay >= attempt { return true }
        guard let index = session.transfers.firstIndex(where: { $0 === transfer }), index > 0 else { return false }
        // The attempt before was given up after a wait: no SYN to it in the capture, or SYNs that carried no
        // data (a connect-first client whose SYNs went unanswered), and no transfer command.
        return (abandonment(of: session.transfers[index - 1], session: session, allowingEmptyConnections: true) ?? 0)
            >= attempt
    }

    /// For an accepted passive announcement with no transfer command and no data connection, after which the
    /// client's next move was a new announcement, QUIT, or the end of the session: how long after the
    /// announcement it moved (nanoseconds); nil for any other announcement.
    private static func abandonment(of transfer: Transfer, session: FTPSession, allowingEmptyConnections: Bool = false)
        -> Int64?
    {
        let noConnection = transfer.connections.isEmpty && transfer.liveConnections.isEmpty
        let noData = transfer.connections.allSatisfy { $0.originatorBytes == 0 && $0.responderBytes == 0 }
        guard transfer.command == nil, noConnection || (allowingEmptyConnections && noData),
            let mode = transfer.mode, !mode.serverConnects, transfer.announced != nil,
            let reply = transfer.announcementReply, reply.code >= 200 && reply.code < 300, !transfer.inferred
        else { return nil }
        guard let next = session.commands.first(where: { $0.time > reply.time }) else {
            // Nothing more from the client: it closed, or fell silent until the capture ended.
            return session.end.nanoseconds - reply.time.nanoseconds
        }
        guard givingUpVerbs.contains(next.verb) else { return nil }
        return next.time.nanoseconds - reply.time.nanoseconds
    }

    /// The cause of a passive data connection that never reached the capture, when the addresses tell more than
    /// "blocked": the capture is at the server (its address is private) and the announcement names a public
    /// address, so the server knows its NAT's public address; no SYN reaching the server means the NAT does not
    /// forward the passive ports (only the control port).
    static func passiveCause(of transfer: Transfer, status: DataStatus, session: FTPSession) -> DataCause? {
        guard status == .notSeen, let mode = transfer.mode, !mode.serverConnects, let announced = transfer.announced
        else { return nil }
        let server = session.server.address
        // Seen at the server, the client comes from a public address to the server's private one: through a NAT
        // that forwarded the control connection.
        guard server.isPrivate, !session.client.address.isPrivate, announced.address.isIPv4 == server.isIPv4 else {
            return nil
        }
        // The server announced its NAT's public address (pasv_address), or EPSV named no address, so the client
        // connected to the one it reached the control port at (RFC 2428 section 3): either way the SYNs went to
        // the NAT, which did not forward them.
        if (announced.address != server && !announced.address.isPrivate)
            || (announced.address == server && transfer.announcementVerb == .epsv)
        {
            return .passivePortNotForwarded
        }
        return nil
    }

    /// The sentence for an announcement the client abandoned (`clientGaveUp`), told from the capture's vantage.
    static func explainAbandoned(_ transfer: Transfer, session: FTPSession) -> String? {
        guard transfer.status == .notSeen, transfer.command == nil, transfer.connections.isEmpty,
            let announced = transfer.announced, let reply = transfer.announcementReply
        else { return nil }
        let verb = transfer.announcementVerb ?? .pasv
        let next = session.commands.first { $0.time > reply.time }
        let gaveUp: String
        if let next {
            let seconds = Double(reply.time.nanoseconds(to: next.time)) / 1e9
            let after = seconds >= 1 ? " \(formatSeconds(seconds)) later" : ""
            gaveUp = next.verb == .quit ? "quit\(after)" : "sent \(next.verbText)\(after) instead"
        } else {
            gaveUp = "ended the session"
        }
        let range = DataChannelDiagnosis.passiveRange(session)
        // A 229 names only a port: the client connects to the address it reached the control port at.
        let noAddress = verb == .epsv && announced.address == session.server.address
        let what = noAddress ? "port \(announced.port)" : "\(announced)"
        var sentence = "The server announced \(what) in its \(reply.code) reply to \(verb); the client sent no transfer command and \(gaveUp), and no data connection to that port is in the capture."
        switch transfer.cause {
        case .passivePortNotForwarded:
            sentence += " The capture is at the server (\(session.server.address), a private address behind NAT): the client's SYNs to \(noAddress ? "the NAT's public address" : announced.address.description) never reached it. The NAT in front of the server forwards the control port but not the passive ports: forward the passive range\(range) to \(session.server.address) as well, or use a NAT with an FTP helper."
        case .passiveAddressInternal:
            sentence += " \(announced.address) is not an address the client can reach: set the server's external address (vsftpd pasv_address, ProFTPD MasqueradeAddress, Pure-FTPd -P)."
        default:
            if session.transfers.contains(where: { $0 !== transfer && $0.mode?.serverConnects == false && !$0.connections.isEmpty }) {
                // The capture shows the client's other data connections, so it would show this one's SYN too.
                sentence += " This capture holds the client's other data connections, so the client did not try this one: it gave up after its earlier data connection failed (see that one for the cause)."
                return sentence
            }
            sentence += " The client's SYNs (if it sent any) did not reach this capture point: a firewall or a NAT that does not forward the passive range\(range) stands between client and server; open or forward that range."
        }
        return sentence
    }

    private static func formatSeconds(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }
}
