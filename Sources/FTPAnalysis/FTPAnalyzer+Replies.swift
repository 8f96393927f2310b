import FTPProtocol
import NetworkTypes
import TCPReassembly

/// Server lines: replies paired with their commands (repaired after capture gaps) and applied.
extension FTPAnalyzer {
    func handleReplyEvent(_ event: ReplyEvent, session: FTPSession, at time: Timestamp) {
        if session.notFTP { return }
        if session.detectedByContent && !session.confirmed && session.validReplyLines == 0
            && session.invalidServerLines == 0 && session.bannerCode == nil && !Self.isGreeting(event)
        {
            // A connection on another port is FTP only if the server speaks first with a greeting (RFC 959
            // section 5.4: 220, or 120 then 220). Judged on the first parsed line, however the bytes were
            // segmented; the caller drops the connection.
            session.phase = .notFTP
            return
        }
        switch event {
        case .invalid(let line):
            session.invalidServerLines += 1
            session.noteAnomaly("invalid reply line: \(line.text.prefix(80))", at: time)
            // A line without a valid code where a reply is due is taken as that (malformed) reply, so the
            // replies after it still pair with the right commands.
            if session.confirmed, let head = session.pendingHead {
                session.pending.remove(at: 0)
                session.commands[head].malformedReply = line.text
                flushCommands(session)
            }
        case .reply(let reply):
            session.validReplyLines += 1
            if reply.truncatedLines > 0 || !reply.isComplete {
                // A reply that never ends holds the whole server side; the cap keeps it bounded, this says so.
                session.noteAnomaly(
                    "multi-line \(reply.code) reply \(reply.isComplete ? "of" : "never closed after") \(reply.lineCount + reply.truncatedLines) lines; \(reply.truncatedLines) beyond maxReplyLines (\(configuration.protocolLimits.maxReplyLines)) not kept",
                    at: time)
            }
            var record = ReplyRecord(code: reply.code, text: reply.text, time: time)
            if reply.hasTruncatedLine {
                // Cut like an over-long command (FTPLimits.maxLineLength), and said so like one (issue 16).
                record.truncated = true
                session.noteAnomaly(
                    "\(reply.code) reply line longer than \(configuration.protocolLimits.maxLineLength) bytes cut",
                    at: time)
            }
            if !session.greetingSeen && session.validReplyLines == 1 && [120, 220, 421].contains(reply.code) {
                if reply.code != 120 { session.greetingSeen = true }
                session.banner = reply.text
                session.bannerCode = reply.code
                session.bannerTime = time
                if reply.code == 220 && !session.detectedByContent { confirm(session) }
                return
            }
            if !session.greetingSeen && reply.code == 220 && session.bannerCode == 120 {
                session.greetingSeen = true
                // 120 "ready in nnn minutes" then 220 (RFC 959 section 5.4): the 120 is kept as unsolicited.
                session.unsolicitedReplies.append(ReplyRecord(code: 120, text: session.banner ?? "", time: session.bannerTime ?? time))
                session.banner = reply.text
                session.bannerCode = 220
                session.bannerTime = time
                return
            }
            if !session.detectedByContent { confirm(session) }
            if session.gapRepairBudget > 0 && !repairAfterGap(reply.code, session: session) {
                adoptOrphanReply(record, session: session)
                return
            }
            guard let head = session.pendingHead else {
                adoptOrphanReply(record, session: session)
                return
            }
            if reply.code >= 100 && reply.code < 200 {
                session.commands[head].preliminary.append(record)
                if let transferIndex = session.commands[head].transferIndex,
                    session.transfers[transferIndex].command != nil
                {
                    let transfer = session.transfers[transferIndex]
                    if transfer.preliminaryReply == nil { transfer.preliminaryReply = record }
                    if let size = ReplyParsing.parse150Size(reply.text) { transfer.expectedSize = size }
                    if transfer.command == .stou, let name = Self.stouFileName(reply.text) {
                        transfer.path = ReplyParsing.resolvePath(name, cwd: session.workingDirectory)
                    }
                }
                return
            }
            var answered = head
            if (500...504).contains(reply.code), session.pending.count > 1, !session.commands[head].preliminary.isEmpty,
                session.commands[head].verb.isDataTransfer
            {
                // A transfer that already got its 150 cannot end in a syntax error: the error answers the command
                // sent during the transfer (typically an ABOR the server did not take as urgent, RFC 959 4.1.3).
                answered = session.pending[1]
                session.pending.remove(at: 1)
            } else {
                session.pending.remove(at: 0)
            }
            session.commands[answered].reply = record
            // The command is delivered before what its reply settles (a transfer, a finding).
            flushCommands(session)
            applyReply(record, to: answered, session: session)
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

    /// True for a reply that can open a session: 220, or 120 (ready in nnn minutes) before it.
    static func isGreeting(_ event: ReplyEvent) -> Bool {
        if case .reply(let reply) = event { return reply.code == 220 || reply.code == 120 }
        return false
    }

    /// The name a server chose for STOU, from `150 FILE: name` (RFC 1123 section 4.1.2.9).
    static func stouFileName(_ text: String) -> String? {
        let parts = text.split(separator: "FILE:", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let name = parts[1].trimmingCharacters(in: " ").split(separator: " ").first
        return name.map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Replies after a gap during which pairing is checked.
    static let gapRepairReplies = 50

    /// After a capture gap a lost command still gets its reply, and a lost reply leaves its command waiting:
    /// pairing by order alone would then shift every later reply by one. A reply that cannot answer the
    /// command at the head of the queue is instead given to the command it can answer (replies lost) or kept as
    /// the answer to a lost command. Returns false when the reply answers no pending command.
    func repairAfterGap(_ code: Int, session: FTPSession) -> Bool {
        session.gapRepairBudget -= 1
        if session.gapRepairBudget == 0 {
            session.unrepairedClientGaps = 0
            session.unrepairedServerGaps = 0
        }
        guard let head = session.pendingHead else { return true }
        if ReplyPlausibility.canAnswer(code, session.commands[head].verb) { return true }
        if session.unrepairedServerGaps > 0,
            let match = session.pending.dropFirst().firstIndex(where: {
                ReplyPlausibility.canAnswer(code, session.commands[$0].verb)
            })
        {
            for lost in session.pending[..<match] { session.commands[lost].replyLost = true }
            session.pending.removeSubrange(..<match)
            session.unrepairedServerGaps -= 1
            return true
        }
        if session.unrepairedClientGaps > 0 {
            if code >= 200 { session.unrepairedClientGaps -= 1 }
            return false
        }
        return true
    }

    func applyReply(_ reply: ReplyRecord, to index: Int, session: FTPSession) {
        let command = session.commands[index]
        let code = reply.code
        switch command.verb {
        case .user, .pass, .acct:
            guard !session.loginAttempts.isEmpty else { break }
            let last = session.loginAttempts.count - 1
            if code == 230 || code == 202 {
                session.loginAttempts[last].outcome =
                    FTPSession.isAnonymousUser(session.loginAttempts[last].user) ? .anonymous : .succeeded
                session.loginAttempts[last].replyCode = code
                if session.confirmed && !session.credentialsReported
                    && session.loginAttempts.contains(where: { $0.password != nil })
                {
                    // Reported at the accepted login (with the attempts so far), not at the session's end.
                    session.credentialsReported = true
                    detect(.loginAccepted(session))
                }
            } else if code >= 400 {
                session.loginAttempts[last].outcome = .failed
                session.loginAttempts[last].replyCode = code
            } else {
                session.loginAttempts[last].replyCode = code
            }
        case .pwd, .xpwd:
            if code == 257, let path = ReplyParsing.parse257Path(reply.text) { session.workingDirectory = path }
        case .cwd, .xcwd:
            if code >= 200 && code < 300 {
                let argument = command.argument
                if argument.hasPrefix("/") || session.workingDirectory != nil {
                    session.workingDirectory = ReplyParsing.resolvePath(argument, cwd: session.workingDirectory)
                }
            }
        case .cdup, .xcup:
            if code >= 200 && code < 300, let cwd = session.workingDirectory {
                session.workingDirectory = ReplyParsing.resolvePath("..", cwd: cwd)
            }
        case .size:
            if code == 213, let size = ReplyParsing.parse213Size(reply.text) {
                session.lastSize = (ReplyParsing.resolvePath(command.argument, cwd: session.workingDirectory), size)
            }
        case .auth:
            // RFC 4217: 234 accepts AUTH TLS/SSL and the TLS handshake begins right after the reply.
            if code == 234 { startTLS(session, at: reply.time) }
        case .pasv, .epsv, .lpsv:
            applyPassiveReply(reply, to: index, session: session)
        case .port, .eprt, .lprt:
            if let transferIndex = command.transferIndex {
                let transfer = session.transfers[transferIndex]
                transfer.announcementReply = reply
                if code >= 400 { correlator.removeExpectations(of: transfer) }
            }
        case .site:
            if session.confirmed { detect(.commandAnswered(session.commands[index], session)) }
        default:
            if let transferIndex = command.transferIndex, command.verb.isDataTransfer {
                session.transfers[transferIndex].reply = reply
                trySettle(session.transfers[transferIndex], session: session)
            }
        }
    }

    func applyPassiveReply(
        _ reply: ReplyRecord, to index: Int, session: FTPSession, into existing: Transfer? = nil
    ) {
        let command = session.commands[index]
        if command.verb == .epsv && DataChannelParser.isEPSVAll(command.argument) { return }
        if existing == nil && !transferAllowed(session, at: reply.time) { return }
        let transfer = existing ?? Transfer()
        transfer.announcementVerb = command.verb
        transfer.announcedAt = command.time
        transfer.announcementReply = reply
        if existing == nil { session.transfers.append(transfer) }
        session.commands[index].transferIndex = session.transfers.firstIndex { $0 === transfer }
        let parsed: Result<AnnouncedEndpoint, AnnouncementError>
        switch command.verb {
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
            session.noteAnomaly("unparseable \(reply.code) reply \"\(reply.text.prefix(80))\": \(error)", at: reply.time)
        }
    }

    /// False once the session holds `maxTransfersPerSession` transfers: a flood of PORT or PASV commands must not
    /// grow the session without bound. Reported once per session.
    func transferAllowed(_ session: FTPSession, at time: Timestamp) -> Bool {
        if session.transfers.count < configuration.maxTransfersPerSession { return true }
        stats.droppedTransfers += 1
        if !session.transferCapReported {
            session.transferCapReported = true
            session.noteAnomaly(
                "more than \(configuration.maxTransfersPerSession) data transfers and announcements; later ones not tracked",
                at: time)
        }
        return false
    }
}

extension FTPSession {
    /// The oldest command awaiting its reply. Indexed rather than `pending.first`, and removed with
    /// `remove(at: 0)` rather than `removeFirst()`: those generic collection paths allocate per call in a debug
    /// build, which the control-line allocation tests run (and the reply path is taken once per line).
    var pendingHead: Int? { pending.isEmpty ? nil : pending[0] }
}
