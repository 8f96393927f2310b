import FTPProtocol
import NetworkTypes
import TCPReassembly

/// Transfers from the session state machine's actions: announcements (PORT/EPRT/LPRT, 227/229/228), data
/// commands bound to them, and the replies that tell how they went, handed to the correlator's side.
extension FTPAnalyzer {
    /// PORT/EPRT/LPRT: a new transfer with the announced endpoint (the client's own address when the argument
    /// leaves it out), filed as an expectation when readable.
    func announceActive(
        _ index: Int, verb: FTPVerb, mode: DataMode, _ parsed: Result<AnnouncedEndpoint, AnnouncementError>,
        session: FTPSession, at time: Timestamp
    ) {
        guard transferAllowed(session, at: time) else { return }
        let transfer = Transfer.make()
        transfer.mode = mode
        transfer.announcementVerb = verb
        transfer.announcedAt = time
        switch parsed {
        case .success(let announced):
            let host = announced.host.flatMap { $0.isUnspecified ? nil : $0 } ?? session.client.address
            transfer.announced = Endpoint(address: host, port: announced.port)
        case .failure(let error):
            let argument = String(session.commands[index].argument.prefix(80))
            session.noteAnomaly(.unparseableArgument(verb: verb, argument: argument, error: error), at: time)
        }
        session.addTransfer(transfer)
        session.commands[index].transferIndex = session.transfers.count - 1
        if transfer.announced != nil { addExpectation(for: transfer, session: session, at: time) }
    }

    /// A data command: it takes the open announcement, or a transfer of its own.
    /// The command is handed over (`consuming`): its strings move into the transfer.
    func bindDataCommand(_ index: Int, _ command: consuming DataCommand, session: FTPSession) {
        let transfer: Transfer
        if let open = session.transfers.last, open.command == nil, open.mode != nil, !open.settled {
            transfer = open
        } else {
            // No announcement seen (capture began later, EPSV ALL reuse, or RFC 959's default data port).
            guard transferAllowed(session, at: command.time) else { return }
            transfer = Transfer.make()
            session.addTransfer(transfer)
        }
        transfer.command = command.verb
        // The strings moved in, not assigned (`replace`): assigned, each was the runtime's generic assignment.
        replace(fieldAddress(&transfer.writable.pointee.argument), with: command.takeArgument())
        transfer.commandTime = command.time
        replace(fieldAddress(&transfer.writable.pointee.transferType), with: command.takeTransferType())
        transfer.restOffset = command.restOffset
        session.machine.restTaken()
        if let path = command.takePath() { replace(fieldAddress(&transfer.writable.pointee.pathname), with: path) }
        if let size = command.expectedSize { transfer.expectedSize = size }
        // Searched from the end: the transfer is the session's last (the open announcement, or just appended).
        session.commands[index].transferIndex = session.transfers.lastIndex { $0 === transfer }
    }

    /// A preliminary (1xx) reply: kept with its command, and for a data command the size or STOU name it gives.
    func preliminaryReply(_ record: ReplyRecord, to index: Int, session: FTPSession) {
        session.commands[index].appendPreliminary(record)
        guard let transferIndex = session.commands[index].transferIndex,
            session.transfers[transferIndex].command != nil
        else { return }
        let transfer = session.transfers[transferIndex]
        if transfer.preliminaryReply == nil { transfer.preliminaryReply = record }
        if let size = ReplyParsing.parse150Size(record.text) { transfer.expectedSize = size }
        if case .stou? = transfer.command, let name = Self.stouFileName(record.text) {
            transfer.pathname = ReplyParsing.pathname(name, cwd: session.workingDirectory)
        }
    }

    /// A reply that answers no command seen. A 227/229/228 still announces a data endpoint: the PASV it
    /// answers was lost in a capture gap or sent before the capture began, so it is reconstructed.
    func adoptOrphanReply(_ record: ReplyRecord, session: FTPSession) {
        session.unsolicitedReplies.append(record)
        if session.confirmed { emit(.reply(session.identity, record)) }
        let lostVerb: FTPVerb
        switch record.code {
        case 227: lostVerb = .pasv
        case 229: lostVerb = .epsv
        case 228: lostVerb = .lpsv
        default: return
        }
        var command = CommandRecord(time: record.time, verb: lostVerb, argument: "")
        command.reply = record
        command.reconstructed = true
        command.user = session.user
        session.commands.append(command)
        // When the data command that used it was already seen (its packet revealed the gap), the announcement
        // belongs to that transfer.
        let waiting = session.transfers.last.flatMap { $0.command != nil && $0.mode == nil ? $0 : nil }
        applyPassiveReply(record, to: session.commands.count - 1, session: session, into: waiting)
    }

    /// The name a server chose for STOU, from `150 FILE: name` (RFC 1123 section 4.1.2.9).
    static func stouFileName(_ text: String) -> String? {
        let parts = text.split(separator: "FILE:", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let name = parts[1].trimmingCharacters(in: " ").split(separator: " ").first
        return name.map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A PASV/EPSV/LPSV reply (227/229/228, or a refusal) to command `index`: the transfer it opens, then its
    /// announced endpoint.
    func applyPassiveReply(
        _ reply: ReplyRecord, to index: Int, session: FTPSession, into existing: Transfer? = nil
    ) {
        guard let transfer = openPassiveTransfer(reply, to: index, session: session, into: existing) else { return }
        announcePassive(transfer, of: index, reply: reply, session: session)
    }

    /// The transfer a passive reply opens (nil for EPSV ALL, or past the transfer cap), indexed on its command.
    /// Delivers nothing, so `answer` does it before the command is handed over, after which its record is not
    /// written (`CommandLog`).
    func openPassiveTransfer(
        _ reply: ReplyRecord, to index: Int, session: FTPSession, into existing: Transfer? = nil
    ) -> Transfer? {
        // The fields read one by one: the whole record taken as a value is a 168-byte copy.
        let verb = session.commands[index].verb
        if case .epsv = verb, DataChannelParser.isEPSVAll(session.commands[index].argument) { return nil }
        if existing == nil && !transferAllowed(session, at: reply.time) { return nil }
        let transfer = existing ?? Transfer.make()
        transfer.announcementVerb = verb
        transfer.announcedAt = session.commands[index].time
        transfer.announcementReply = reply
        if existing == nil { session.addTransfer(transfer) }
        // Searched from the end: the transfer is the session's last (the one waiting, or just appended).
        session.commands[index].transferIndex = session.transfers.lastIndex { $0 === transfer }
        return transfer
    }

    /// The endpoint a passive reply announces on the transfer it opened (`openPassiveTransfer`), filed as an
    /// expectation when readable. Reads command `index`, never writes it.
    func announcePassive(_ transfer: Transfer, of index: Int, reply: ReplyRecord, session: FTPSession) {
        let verb = session.commands[index].verb
        let parsed: Result<AnnouncedEndpoint, AnnouncementError>
        switch verb {
        case .pasv:
            transfer.mode = .passive
            guard reply.code == 227 else { return }
            parsed = DataChannelParser.parse227(reply.text)
        case .epsv:
            transfer.mode = .extendedPassive
            guard reply.code == 229 else { return }
            parsed = DataChannelParser.parse229(reply.text)
        default:
            transfer.mode = .longPassive
            guard reply.code == 228 else { return }
            parsed = DataChannelParser.parse228(reply.text)
        }
        switch parsed {
        case .success(let announced):
            // RFC 2428 section 3: 229 carries no address; the data connection goes to the control server.
            let host = announced.host.flatMap { $0.isUnspecified ? nil : $0 } ?? session.server.address
            transfer.announced = Endpoint(address: host, port: announced.port)
            addExpectation(for: transfer, session: session, at: reply.time)
        case .failure(let error):
            session.noteAnomaly(
                .unparseableReply(code: reply.code, text: String(reply.text.prefix(80)), error: error), at: reply.time)
        }
    }

    /// False once the session holds `maxTransfersPerSession` transfers: a flood of PORT or PASV commands must not
    /// grow the session without bound. Reported once per session.
    func transferAllowed(_ session: FTPSession, at time: Timestamp) -> Bool {
        if session.transfers.count < configuration.maxTransfersPerSession { return true }
        stats.droppedTransfers += 1
        if !session.transferCapReported {
            session.transferCapReported = true
            session.noteAnomaly(.transferCap(configuration.maxTransfersPerSession), at: time)
        }
        return false
    }
}
