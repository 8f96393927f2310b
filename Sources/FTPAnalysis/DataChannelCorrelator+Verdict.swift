import NetworkTypes
import TCPReassembly

/// The correlator's verdict rules: what became of a data channel, as one typed verdict per transfer with the
/// facts its wording quotes (the sentences are the reports' business, Reports/CauseWording.swift). Pure functions
/// of the transfer and its session; the correlator applies them when it settles (DataChannelCorrelator+Events).
extension DataChannelCorrelator {
    /// Gives the transfer its verdict (status, cause, evidence) from its replies and its observed connections.
    ///
    /// Written into `transfer.verdict` in place: built in a local and returned, the verdict (342 bytes) was moved
    /// twice more and the transfer's previous one destroyed field by field, for every transfer settled. The rules
    /// read the transfer's other fields only, never its verdict, so the access to it does not overlap theirs.
    static func judge(_ transfer: Transfer, session: FTPSession) {
        var status = status(of: transfer)
        if status == .unused && FieldDiagnosis.clientGaveUp(on: transfer, session: session) { status = .notSeen }
        if transfer.judged {
            // Judged again (its last connection closed after it settled): from a clean slate.
            transfer.verdict = DataVerdict(status: .unused, cause: nil, evidence: DataEvidence())
        }
        transfer.judged = true
        fillEvidence(&transfer.verdict.evidence, of: transfer, session: session)
        let cause: DataCause?
        if let (stallCause, stall) = StallRules.stall(of: transfer, status: status) {
            status = .stalled
            cause = stallCause
            transfer.verdict.evidence.stall = stall
        } else {
            cause = self.cause(of: transfer, status: status, session: session)
        }
        if status.isFailure { fillWordingFacts(&transfer.verdict.evidence, of: transfer, status: status, session: session) }
        transfer.verdict.status = status
        transfer.verdict.cause = cause
    }

    /// The facts the sentence of a failed transfer quotes: the announcement and what its address is, the replies,
    /// which step was refused, the passive ports seen, an abandoned announcement.
    private static func fillWordingFacts(
        _ evidence: inout DataEvidence, of transfer: Transfer, status: DataStatus, session: FTPSession
    ) {
        let client = session.client.address
        let server = session.server.address
        evidence.mode = transfer.mode
        evidence.announcementVerb = transfer.announcementVerb
        evidence.client = client
        evidence.server = server
        evidence.command = transfer.command
        evidence.argument = transfer.argument
        evidence.reply = transfer.reply.map { ReplyLine(code: $0.code, text: String($0.text.firstLine)) }
        evidence.announcementReply = transfer.announcementReply.map {
            ReplyLine(code: $0.code, text: String($0.text.firstLine))
        }
        if let mode = transfer.mode, let announced = transfer.announced {
            if mode.serverConnects {
                switch AddressRules.active(announced: announced.address, client: client) {
                case .own: evidence.announcedAddress = .own
                case .behindNAT: evidence.announcedAddress = .behindNAT
                case .thirdHost: evidence.announcedAddress = .thirdHost
                }
                evidence.privateToOutside = AddressRules.privateToOutside(announced.address, peer: server)
            } else {
                switch AddressRules.passive(announced: announced.address, server: server) {
                case .own: evidence.announcedAddress = .own
                case .internal: evidence.announcedAddress = .internal
                case .other: evidence.announcedAddress = .other
                }
            }
        }
        if let mode = transfer.mode, !mode.serverConnects { evidence.passivePorts = passiveRange(session) }
        if status == .commandFailed {
            if transfer.command != nil, let reply = transfer.reply, FieldDiagnosis.refusesCommand(reply.code) {
                evidence.refusal = .command
            } else if let code = transfer.announcementReply?.code, code >= 400 {
                evidence.refusal = .announcement
            }
        }
        if status == .notSeen { evidence.abandonment = FieldDiagnosis.abandonment(transfer, session: session) }
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

    /// The facts behind the verdict, into `evidence`: in place, because a record filled field by field in a
    /// variable and returned was copied on the way out (its strings retained and released once more per transfer
    /// settled).
    static func fillEvidence(_ evidence: inout DataEvidence, of transfer: Transfer, session: FTPSession) {
        var observed: Endpoint?
        var resetBy: DataSide?
        var icmp: ICMPEvidence?
        if let index = transfer.observedIndex {
            // Fields read in place: the record is 424 bytes, and this runs for every transfer settled.
            observed = transfer.connection(at: index).pointee.responder
            let opener = transfer.connection(at: index).pointee.originator.address
            let originatorIsServer = opener == session.server.address
                || (opener != session.client.address && transfer.mode?.serverConnects == true)
            let originator: DataSide = originatorIsServer ? .server : .client
            let responder: DataSide = originatorIsServer ? .client : .server
            if transfer.connection(at: index).pointee.responderReset {
                resetBy = responder
            } else if transfer.connection(at: index).pointee.originatorReset {
                resetBy = originator
            }
            icmp = transfer.connection(at: index).pointee.icmp
        }
        let activeAnnouncement = transfer.mode?.serverConnects == true ? transfer.announced?.address : nil
        let vantage = AddressRules.vantage(
            client: session.client.address, server: session.server.address, activeAnnouncement: activeAnnouncement)
        evidence.synAttempts = transfer.synAttempts
        evidence.resetBy = resetBy
        evidence.icmp = icmp
        evidence.announced = transfer.announced
        evidence.observed = observed
        evidence.vantage = vantage
    }

    static func status(of transfer: Transfer) -> DataStatus {
        let finalCode = transfer.reply?.code
        if let announcementCode = transfer.announcementReply?.code, announcementCode >= 400, transfer.connections.isEmpty {
            // The server refused the announcement itself (500 Illegal PORT command, 425 can't open passive port).
            return .commandFailed
        }
        if let index = transfer.observedIndex {
            // Read in place: a copy of the 424-byte record per transfer settled cost more than these reads.
            // Through a pointer: the buffer's subscript returned a copy (four strings retained and released).
            return transfer.withConnections {
                status(of: transfer, observed: $0.baseAddress! + index, finalCode: finalCode)
            }
        }
        guard transfer.command != nil else { return .unused }
        guard let code = finalCode else {
            // A 150 without a final reply means the data connection ran but is not in the capture.
            return transfer.preliminaryReply != nil ? .incomplete : .notSeen
        }
        if code >= 200 && code < 300 { return .notCaptured }
        if code == 425 { return .notSeen }
        if code == 426 { return transfer.preliminaryReply != nil ? .aborted : .notSeen }
        return .commandFailed
    }

    /// `status(of:)` for a transfer with an observed record.pointee.
    private static func status(
        of transfer: Transfer, observed record: UnsafePointer<DataConnectionRecord>, finalCode: Int?
    ) -> DataStatus {
        guard transfer.command != nil else {
            if let failed = connectionFailure(record) { return failed }
            if record.pointee.state == .rsto || record.pointee.state == .rstr { return .reset }
            return record.pointee.endedWithoutClose ? .incomplete : .completed
        }
        if let failed = connectionFailure(record) { return failed }
        if finalCode == 426 || transfer.abortRequested { return .aborted }
        if record.pointee.state == .rsto || record.pointee.state == .rstr {
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
            if record.pointee.endedWithoutClose { return .incomplete }
            return record.pointee.state == .sf ? .completed : .incomplete
        }
        if code >= 200 && code < 300 { return .completed }
        if code == 425 { return .notSeen }
        return .commandFailed
    }

    /// The outcome of one of several connections of a transfer (the ladder draws each): its own failure to
    /// establish, a reset, else the transfer's status.
    static func outcome(of connection: DataConnectionRecord, status: DataStatus) -> DataStatus {
        if let failed = connectionFailure(connection) { return failed }
        switch connection.state {
        case .rsto, .rstr, .rstrh: return .reset
        default: return status
        }
    }

    /// A connection that never carried a byte and did not get past the handshake.
    static func connectionFailure(_ connection: DataConnectionRecord) -> DataStatus? {
        withUnsafePointer(to: connection) { connectionFailure($0) }
    }

    /// `connectionFailure(_:)` read in place.
    static func connectionFailure(_ record: UnsafePointer<DataConnectionRecord>) -> DataStatus? {
        if record.pointee.originatorBytes + record.pointee.responderBytes > 0 { return nil }
        switch record.pointee.state {
        case .rej: return .refused
        case .s0, .rstos0, .sh:
            // An ICMP destination-unreachable quoting the SYN is an explicit rejection, like a RST.
            return record.pointee.icmpReason != nil ? .refused : .unanswered
        default: return nil
        }
    }

    static func shortOfExpected(_ transfer: Transfer) -> Bool {
        guard let expected = transfer.expectedSize, case .retr? = transfer.command else { return false }
        let offset = transfer.restOffset ?? 0
        let wanted = expected > offset ? expected - offset : 0
        // ASCII mode changes line ends in transit, so sizes only compare in image (binary) mode.
        if let type = transfer.transferType, type.hasPrefix("A") { return false }
        return transfer.bytes < wanted
    }

    /// The passive ports the server announced in the session so far.
    static func passiveRange(_ session: FTPSession) -> ClosedRange<UInt16>? {
        // One pass keeping the bounds: the ports gathered into an array first were an allocation per failed
        // passive transfer judged.
        var range: ClosedRange<UInt16>?
        for transfer in session.transfers {
            guard let mode = transfer.mode, !mode.serverConnects, let port = transfer.announced?.port else { continue }
            range = range.map { min($0.lowerBound, port)...max($0.upperBound, port) } ?? port...port
        }
        return range
    }
}

extension String {
    /// The text up to its first line feed (all of it when there is none): the first line of a multi-line reply.
    ///
    /// Searched as UTF-8 bytes: searching `Character`s runs grapheme breaking over the text (thousands of
    /// instructions a reply, a tenth of a control-heavy run), and would not see the LF of a CR LF pair.
    ///
    /// The bytes are searched in the string's contiguous storage when it has one: the generic search through the
    /// UTF-8 view cost a thousand instructions a reply.
    public var firstLine: Substring {
        let offset = utf8.withContiguousStorageIfAvailable { $0.firstIndex(of: 0x0A) }
        switch offset {
        case .some(.some(let offset)): return self[..<utf8.index(utf8.startIndex, offsetBy: offset)]
        case .some(.none): return self[...]
        case .none: return utf8.firstIndex(of: 0x0A).map { self[..<$0] } ?? self[...]
        }
    }
}
