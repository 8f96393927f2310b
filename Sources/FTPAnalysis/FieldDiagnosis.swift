import FTPProtocol
import NetworkTypes
import TCPReassembly

/// Failures seen in the field that the plain correlator misread (issue 15): a refusal that arrives after the client
/// already opened the data connection, which the server then resets. Each rule reads the transfer's replies and
/// its data connection and returns a status or a cause; the correlator's verdict rules ask them first.
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
        let vantage = AddressRules.vantage(client: session.client.address, server: server, activeAnnouncement: nil)
        guard vantage == .serverSide, announced.address.isIPv4 == server.isIPv4 else { return nil }
        // The server announced its NAT's public address (pasv_address), or EPSV named no address, so the client
        // connected to the one it reached the control port at (RFC 2428 section 3): either way the SYNs went to
        // the NAT, which did not forward them.
        if AddressRules.namesPublicAddress(announced: announced.address, server: server)
            || (announced.address == server && transfer.announcementVerb == .epsv)
        {
            return .passivePortNotForwarded
        }
        return nil
    }

    /// The facts of an announcement the client abandoned (`clientGaveUp`), for its sentence: the reply that
    /// announced it, the client's next move and whether the capture shows its other data connections.
    static func abandonment(_ transfer: Transfer, session: FTPSession) -> Abandonment? {
        guard transfer.command == nil, transfer.connections.isEmpty, let announced = transfer.announced,
            let reply = transfer.announcementReply
        else { return nil }
        let next = session.commands.first { $0.time > reply.time }
        return Abandonment(
            replyCode: reply.code, nextVerb: next?.verb, delay: next.map { reply.time.nanoseconds(to: $0.time) },
            // A 229 names only a port: the client connects to the address it reached the control port at.
            portOnly: transfer.announcementVerb == .epsv && announced.address == session.server.address,
            otherConnectionsSeen: session.transfers.contains {
                $0 !== transfer && $0.mode?.serverConnects == false && !$0.connections.isEmpty
            })
    }
}
