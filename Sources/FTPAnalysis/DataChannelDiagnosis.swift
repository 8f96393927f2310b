import FTPProtocol
import NetworkTypes
import TCPReassembly

/// Decides what became of each data channel and explains failures in the user's terms.
enum DataChannelDiagnosis {
    /// Sets the verdict (status, cause, evidence) and the `diagnosis` of a transfer from its replies and its
    /// observed connection.
    static func settle(_ transfer: Transfer, session: FTPSession) {
        transfer.metrics = TransferMetrics.of(transfer, session: session)
        var status = status(of: transfer)
        if status == .unused && FieldDiagnosis.clientGaveUp(on: transfer, session: session) { status = .notSeen }
        if let stall = StallRules.stall(of: transfer, status: status) {
            transfer.verdict = DataVerdict(
                status: .stalled, cause: stall.cause, evidence: evidence(of: transfer, session: session))
            transfer.diagnosis = StallRules.explain(transfer, stall)
            return
        }
        transfer.verdict = DataVerdict(
            status: status, cause: cause(of: transfer, status: status, session: session),
            evidence: evidence(of: transfer, session: session))
        transfer.diagnosis = explain(transfer, session: session)
    }

    /// Why a transfer with this status failed; nil when it did not (`DataStatus.isFailure`).
    static func cause(of transfer: Transfer, status: DataStatus, session: FTPSession) -> DataCause? {
        guard status.isFailure else { return nil }
        switch status {
        case .completed, .unused:
            return nil
        case .commandFailed:
            // A 5xx to the data command, or a 4xx/5xx to the announcement itself (500 Illegal PORT command).
            return .serverRefusedCommand
        case .aborted:
            return transfer.abortRequested ? .abortedByClient : .unknown
        case .notCaptured:
            return .captureIncomplete
        case .incomplete:
            // The capture ended during it, or lost part of it; a clean close short of the announced size is not
            // explained by the capture.
            let connection = transfer.observedConnection
            if transfer.reply == nil || connection?.endedWithoutClose == true || transfer.missingBytes > 0 {
                return .captureIncomplete
            }
            return .unknown
        case .stalled:
            return .dataTimeout
        case .reset:
            return .unknown
        case .refused, .unanswered, .notSeen:
            return connectionFailureCause(of: transfer, status: status, session: session)
        }
    }

    /// The cause of a data connection that could not be made, from the announcement's address and the mode.
    private static func connectionFailureCause(of transfer: Transfer, status: DataStatus, session: FTPSession)
        -> DataCause
    {
        if let cause = FieldDiagnosis.passiveCause(of: transfer, status: status, session: session) { return cause }
        guard let mode = transfer.mode, let announced = transfer.announced else {
            // The announcement is unreadable: hidden by TLS, never captured, or not parseable.
            if transfer.inferred || session.tls { return .tlsHidesAnnouncement }
            if transfer.mode == nil && (session.startedMidstream || session.missingBytes > 0) {
                return .captureIncomplete
            }
            return .unknown
        }
        if mode.serverConnects {
            switch AddressRules.active(announced: announced.address, client: session.client.address) {
            case .behindNAT: return .natWithoutALG
            case .thirdHost: return .bounce
            case .own:
                if status != .notSeen { return .clientFirewall }
                // Captured inside the client's network: the client's own private address was announced to a
                // public server, and the server's SYNs never arrived.
                return AddressRules.privateToOutside(announced.address, peer: session.server.address)
                    ? .natWithoutALG : .unknown
            }
        }
        switch AddressRules.passive(announced: announced.address, server: session.server.address) {
        case .internal, .other: return .passiveAddressInternal
        case .own: return .passivePortBlocked
        }
    }

    /// The facts behind the verdict.
    static func evidence(of transfer: Transfer, session: FTPSession) -> DataEvidence {
        var evidence = DataEvidence()
        evidence.synAttempts = transfer.synAttempts
        evidence.announced = transfer.announced
        evidence.observed = transfer.observed
        if let connection = transfer.observedConnection {
            let originatorIsServer = connection.originator.address == session.server.address
                || (connection.originator.address != session.client.address && transfer.mode?.serverConnects == true)
            let originator: DataSide = originatorIsServer ? .server : .client
            let responder: DataSide = originatorIsServer ? .client : .server
            if connection.responderReset {
                evidence.resetBy = responder
            } else if connection.originatorReset {
                evidence.resetBy = originator
            }
            evidence.icmp = connection.icmp
        }
        let activeAnnouncement = transfer.mode?.serverConnects == true ? transfer.announced?.address : nil
        evidence.vantage = AddressRules.vantage(
            client: session.client.address, server: session.server.address, activeAnnouncement: activeAnnouncement)
        return evidence
    }

    static func status(of transfer: Transfer) -> DataStatus {
        let finalCode = transfer.reply?.code
        if let announcementCode = transfer.announcementReply?.code, announcementCode >= 400, transfer.connections.isEmpty {
            // The server refused the announcement itself (500 Illegal PORT command, 425 can't open passive port).
            return .commandFailed
        }
        guard transfer.command != nil else {
            guard let connection = transfer.observedConnection else { return .unused }
            if let failed = connectionStatus(transfer) { return failed }
            if connection.state == .rsto || connection.state == .rstr { return .reset }
            return connection.endedWithoutClose ? .incomplete : .completed
        }
        if let connection = transfer.observedConnection {
            if let failed = connectionStatus(transfer) { return failed }
            if finalCode == 426 || transfer.abortRequested { return .aborted }
            if connection.state == .rsto || connection.state == .rstr {
                if let refused = FieldDiagnosis.statusOfResetConnection(transfer) { return refused }
                // The receiver resetting means it did not take all the data, whatever the server's 226 says
                // (a client that gave up and closed, then answered the rest with RST).
                if !transfer.receiverReset, let code = finalCode, code >= 200 && code < 300, !shortOfExpected(transfer) {
                    return .completed
                }
                return .reset
            }
            if shortOfExpected(transfer) { return .incomplete }
            guard let code = finalCode else {
                return connection.endedWithoutClose ? .incomplete : (connection.state == .sf ? .completed : .incomplete)
            }
            if code >= 200 && code < 300 { return .completed }
            if code == 425 { return .notSeen }
            return .commandFailed
        }
        guard let code = finalCode else {
            // A 150 without a final reply means the data connection ran but is not in the capture.
            return transfer.preliminaryReply != nil ? .incomplete : .notSeen
        }
        if code >= 200 && code < 300 { return .notCaptured }
        if code == 425 { return .notSeen }
        if code == 426 { return transfer.preliminaryReply != nil ? .aborted : .notSeen }
        return .commandFailed
    }

    /// The failure read from the connection itself, if it failed to establish.
    static func connectionStatus(_ transfer: Transfer) -> DataStatus? {
        transfer.observedConnection.flatMap(connectionFailure)
    }

    /// The outcome of one of several connections of a transfer (the ladder draws each): its own failure to
    /// establish, a reset, else the transfer's status.
    static func outcome(of connection: DataConnectionRecord, in transfer: Transfer) -> DataStatus {
        if let failed = connectionFailure(connection) { return failed }
        switch connection.state {
        case .rsto, .rstr, .rstrh: return .reset
        default: return transfer.status
        }
    }

    /// A connection that never carried a byte and did not get past the handshake.
    static func connectionFailure(_ connection: DataConnectionRecord) -> DataStatus? {
        if connection.originatorBytes + connection.responderBytes > 0 { return nil }
        switch connection.state {
        case .rej: return .refused
        case .s0, .rstos0, .sh:
            // An ICMP destination-unreachable quoting the SYN is an explicit rejection, like a RST.
            return connection.icmpReason != nil ? .refused : .unanswered
        default: return nil
        }
    }

    static func shortOfExpected(_ transfer: Transfer) -> Bool {
        guard let expected = transfer.expectedSize, transfer.command == .retr else { return false }
        let offset = transfer.restOffset ?? 0
        let wanted = expected > offset ? expected - offset : 0
        // ASCII mode changes line ends in transit, so sizes only compare in image (binary) mode.
        if let type = transfer.transferType, type.hasPrefix("A") { return false }
        return transfer.bytes < wanted
    }

    static func explain(_ transfer: Transfer, session: FTPSession) -> String? {
        if let abandoned = FieldDiagnosis.explainAbandoned(transfer, session: session) { return abandoned }
        guard let mode = transfer.mode else {
            switch transfer.status {
            case .notSeen:
                return "The server could not open a data connection (\(replySummary(transfer))) and no announcement was seen in the capture."
            default: return nil
            }
        }
        let announced = transfer.announced
        let verb: FTPVerb = transfer.announcementVerb ?? (mode.serverConnects ? .port : .pasv)
        let attempts = transfer.synAttempts
        let connection = transfer.observedConnection
        var icmp = ""
        if let reason = connection?.icmpReason {
            icmp = " An ICMP \"\(reason)\" from \(connection?.icmpReporter?.description ?? "a router") answered the SYN."
        }
        switch transfer.status {
        case .refused, .unanswered, .notSeen:
            break
        case .commandFailed:
            if let refusal = FieldDiagnosis.explainRefusal(transfer) { return refusal }
            if let code = transfer.announcementReply?.code, code >= 400, let text = transfer.announcementReply?.text {
                return "The server rejected \(verb) with \(code) \(text.firstLine.trimmingFinalPeriod)."
                    + (mode.serverConnects
                        && announced.map { AddressRules.active(announced: $0.address, client: session.client.address) != .own }
                            == true
                        ? " It announced \(announced!.address), not the address the control connection comes from (\(session.client.address)): NAT without an FTP helper, or a bounce attempt; use passive mode."
                        : "")
            }
            return nil
        default:
            return nil
        }
        let outcome: String
        switch transfer.status {
        case .refused:
            outcome = connection?.icmpReason != nil ? "was rejected by ICMP" : "was refused (RST answered the SYN)"
        case .unanswered:
            outcome = "got no answer (\(attempts) SYN\(attempts == 1 ? "" : "s") unanswered)"
        default: outcome = "was never attempted in the capture"
        }
        guard let announced else {
            return "The data connection \(outcome); the announcement could not be parsed."
        }
        if mode.serverConnects {
            let opener = "The server's data connection to \(announced) \(outcome).\(icmp)"
            let target = AddressRules.active(announced: announced.address, client: session.client.address)
            if target == .behindNAT {
                return opener
                    + " The client announced its private address \(announced.address) in \(verb) but its control connection comes from \(session.client.address): it is behind NAT that does not rewrite \(verb), so the server cannot reach it. Use passive mode (PASV/EPSV), or enable the NAT's FTP helper."
            }
            if target == .thirdHost {
                return opener
                    + " \(verb) named \(announced.address), not the control client \(session.client.address): NAT, a multi-homed client, or a third-party (bounce) transfer. Use passive mode."
            }
            if transfer.status == .refused {
                return opener
                    + " The client (or a firewall in front of it) rejects incoming connections on port \(announced.port). Use passive mode, or allow the server's inbound data connections on the client's firewall."
            }
            if transfer.status == .unanswered {
                return opener
                    + " A firewall in front of the client drops the server's incoming SYN. Use passive mode, or allow inbound connections from \(session.server.address) to the client's data ports."
            }
            if transfer.status == .notSeen && AddressRules.privateToOutside(announced.address, peer: session.server.address) {
                // Captured on the client's side: the server's SYNs never arrived here.
                return opener
                    + " No connection from the server reached this capture point before it gave up (\(replySummary(transfer))). The client announced its private address \(announced.address) to a server on a public address: behind NAT the server cannot reach it, or a firewall on the way drops its SYN. Use passive mode (PASV/EPSV)."
            }
            return opener + " The server gave up (\(replySummary(transfer))) without a SYN in the capture: it may have failed to connect before reaching this link, or refused the address. Use passive mode."
        }
        let opener = "The client's data connection to \(announced) \(outcome).\(icmp)"
        let target = AddressRules.passive(announced: announced.address, server: session.server.address)
        if target == .internal {
            return opener
                + " The server announced its internal address \(announced.address) in the \(verb) reply, but clients reach it at \(session.server.address). Set the server's external address (vsftpd pasv_address, ProFTPD MasqueradeAddress) or enable the NAT's FTP helper."
        }
        if target == .other {
            return opener
                + " The server announced \(announced.address), not its control address \(session.server.address); check that address is reachable from the client, or configure the server's external address."
        }
        let range = passiveRange(session)
        if let reporter = connection?.icmpReporter, transfer.status == .refused {
            let who = reporter == session.server.address ? "The server's own firewall" : "A firewall at \(reporter)"
            return opener + " \(who) rejects connections to the passive port: open the server's passive port range\(range) on it."
        }
        if transfer.status == .refused {
            return opener
                + " Nothing listens on that port or a firewall rejects it: open the server's passive port range\(range) on its firewall."
        }
        return opener
            + " A firewall between client and server drops connections to the passive port: open the server's passive port range\(range) on its firewall; if the server sits behind NAT with port forwarding, forward that range to it as well."
    }

    static func passiveRange(_ session: FTPSession) -> String {
        let ports = session.transfers.compactMap { transfer -> UInt16? in
            guard let mode = transfer.mode, !mode.serverConnects else { return nil }
            return transfer.announced?.port
        }
        guard let low = ports.min(), let high = ports.max() else { return "" }
        return low == high ? " (port \(low) was announced)" : " (observed \(low)–\(high))"
    }

    static func replySummary(_ transfer: Transfer) -> String {
        guard let reply = transfer.reply else { return "no reply" }
        return "\(reply.code) \(reply.text.firstLine)"
    }
}

extension Substring {
    var trimmingFinalPeriod: Substring { hasSuffix(".") ? dropLast() : self }
}

extension String {
    /// The text up to its first line feed (all of it when there is none): the first line of a multi-line reply.
    ///
    /// Searched as UTF-8 bytes: searching `Character`s runs grapheme breaking over the text (thousands of
    /// instructions a reply, a tenth of a control-heavy run), and would not see the LF of a CR LF pair.
    public var firstLine: Substring { utf8.firstIndex(of: 0x0A).map { self[..<$0] } ?? self[...] }
}
