import FTPProtocol
import NetworkTypes
import TCPReassembly

/// Client lines: commands recorded, queued for their replies, and applied (login, TYPE/REST, announcements, data commands).
extension FTPAnalyzer {
    // MARK: - Control lines

    func handleCommand(_ line: FTPLine, _ command: FTPCommand, session: FTPSession, at time: Timestamp) {
        if session.clientEncrypted || session.notFTP { return }
        if command.isWellFormed && command.isKnown {
            session.wellFormedCommands += 1
        } else {
            session.malformedCommands += 1
        }
        if !session.confirmed && session.greetingSeen && command.isWellFormed && command.isKnown {
            if session.detectedByContent { confirmProbe(session) }
            confirm(session)
        }
        var record = CommandRecord(
            time: time, verb: command.verb, malformedVerb: command.malformedVerb, argument: command.argument)
        record.user = session.user
        // A line the stream ended in the middle of is delivered, flagged, rather than lost (issue 16): the
        // server may still have acted on it (a QUIT without CRLF before the FIN is common).
        record.truncated = line.truncated || line.unterminated
        if line.truncated {
            session.noteAnomaly(
                "command line of \(line.originalLength) bytes cut to \(line.bytes.count)", at: time)
        } else if line.unterminated {
            session.noteAnomaly("command line without CRLF at the end of the stream: \(line.text.prefix(80))", at: time)
        }
        if !command.isWellFormed {
            session.noteAnomaly("malformed command line: \(line.text.prefix(80))", at: time)
        }
        let index = session.commands.count
        session.commands.append(record)
        if session.pending.count >= configuration.maxPendingCommands {
            session.pending.remove(at: 0)
            stats.droppedPendingCommands += 1
            if !session.pendingCapReported {
                // Once per session: a pipelining flood would otherwise fill the anomaly list with this one line.
                session.pendingCapReported = true
                session.noteAnomaly(
                    "more than \(configuration.maxPendingCommands) commands awaiting replies; oldest given up",
                    at: time)
            }
        }
        session.pending.append(index)
        applyCommand(index, command: command, session: session, at: time)
    }

    func applyCommand(_ index: Int, command: FTPCommand, session: FTPSession, at time: Timestamp) {
        switch command.verb {
        case .user:
            session.user = command.argument
            session.loginAttempts.append(
                LoginAttempt(user: command.argument, time: time, password: nil, outcome: .unknown, replyCode: nil))
        case .pass:
            if session.loginAttempts.isEmpty || session.loginAttempts[session.loginAttempts.count - 1].password != nil
            {
                // PASS without a USER before it (or a second PASS): still an attempt, user unknown.
                session.loginAttempts.append(
                    LoginAttempt(user: session.user ?? "", time: time, password: nil, outcome: .unknown, replyCode: nil))
            }
            session.loginAttempts[session.loginAttempts.count - 1].password = command.argument
        case .quit:
            session.quitSent = true
        case .rest:
            session.restOffset = UInt64(command.argument.trimmingCharacters(in: " \t"))
        case .type:
            session.currentType = command.argument.uppercased()
        case .abor:
            // Only a transfer still running can be aborted; an ABOR after its final reply changes nothing.
            if let running = session.transfers.last(where: { $0.command != nil }), running.reply == nil {
                running.abortRequested = true
            }
        case .port, .eprt, .lprt:
            let parsed: Result<AnnouncedEndpoint, AnnouncementError>
            let mode: DataMode
            switch command.verb {
            case .port:
                parsed = DataChannelParser.parsePORT(command.argument)
                mode = .active
            case .eprt:
                parsed = DataChannelParser.parseEPRT(command.argument)
                mode = .extendedActive
            default:
                parsed = DataChannelParser.parseLPRT(command.argument)
                mode = .longActive
            }
            guard transferAllowed(session, at: time) else { return }
            let transfer = Transfer()
            transfer.mode = mode
            transfer.announcementVerb = command.verb
            transfer.announcedAt = time
            switch parsed {
            case .success(let announced):
                let host = announced.host.flatMap { $0.isUnspecified ? nil : $0 } ?? session.client.address
                transfer.announced = Endpoint(address: host, port: announced.port)
            case .failure(let error):
                session.noteAnomaly("unparseable \(command.verb.name) argument \"\(command.argument.prefix(80))\": \(error)", at: time)
            }
            session.transfers.append(transfer)
            session.commands[index].transferIndex = session.transfers.count - 1
            if transfer.announced != nil { addExpectation(for: transfer, session: session, at: time) }
        default:
            if command.verb.isDataTransfer {
                bindDataCommand(index, command: command, session: session, at: time)
            }
        }
    }

    func bindDataCommand(_ index: Int, command: FTPCommand, session: FTPSession, at time: Timestamp) {
        let transfer: Transfer
        if let open = session.transfers.last, open.command == nil, open.mode != nil, !open.settled {
            transfer = open
        } else {
            // No announcement seen (capture began later, EPSV ALL reuse, or RFC 959's default data port).
            guard transferAllowed(session, at: time) else { return }
            transfer = Transfer()
            session.transfers.append(transfer)
        }
        transfer.command = command.verb
        transfer.argument = command.argument
        transfer.commandTime = time
        transfer.transferType = session.currentType
        transfer.restOffset = session.restOffset
        session.restOffset = nil
        if command.verb.takesPath || !command.argument.isEmpty {
            let argument = command.argument
            if !argument.isEmpty && !argument.hasPrefix("-") {
                transfer.path = ReplyParsing.resolvePath(argument, cwd: session.workingDirectory)
            } else if command.verb.isListing {
                transfer.path = session.workingDirectory
            }
        }
        if command.verb == .retr, let size = session.lastSize, size.path == transfer.path {
            transfer.expectedSize = size.size
        }
        session.commands[index].transferIndex = session.transfers.firstIndex { $0 === transfer }
    }
}
