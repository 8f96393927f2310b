import FTPProtocol
import NetworkTypes

/// Server lines into the session state machine: the greeting, replies paired with their commands (repaired after
/// capture gaps), and what a final reply means.
extension SessionMachine {
    /// A reply (or invalid line) from the server.
    mutating func reply(_ event: ReplyEvent, at time: Timestamp) -> SessionActions {
        var actions = SessionActions()
        reply(event, at: time, into: &actions)
        return actions
    }

    /// `reply(_:at:)` into the caller's actions: the analyzer's path, which so spares two copies of the actions
    /// (136 bytes, copied with memcpy) per reply.
    mutating func reply(_ event: ReplyEvent, at time: Timestamp, into actions: inout SessionActions) {
        if phase == .notFTP { return }
        if detectedByContent && !confirmed && validReplyLines == 0 && invalidServerLines == 0 && greetingCode == nil
            && !Self.isGreeting(event)
        {
            // A connection on another port is FTP only if the server speaks first with a greeting (RFC 959
            // section 5.4: 220, or 120 then 220). Judged on the first parsed line, however the bytes were
            // segmented.
            phase = .notFTP
            actions.append(.stopAnalysing)
            return
        }
        switch event {
        case .invalid(let line):
            invalidServerLines += 1
            note(.invalidReplyLine(String(line.text.prefix(80))), &actions)
            // A line without a valid code where a reply is due is taken as that (malformed) reply, so the
            // replies after it still pair with the right commands.
            if confirmed, !pending.isEmpty {
                let head = pending.remove(at: 0)
                actions.append(.malformedReply(index: head.index))
            }
        case .reply(let reply):
            self.reply(reply, at: time, into: &actions)
        }
    }

    private mutating func reply(_ reply: FTPReply, at time: Timestamp, into actions: inout SessionActions) {
        validReplyLines += 1
        if reply.truncatedLines > 0 || !reply.isComplete {
            // A reply that never ends holds the whole server side; the cap keeps it bounded, this says so.
            note(
                .replyLinesNotKept(
                    code: reply.code, complete: reply.isComplete, lines: reply.lineCount + reply.truncatedLines,
                    notKept: reply.truncatedLines, maxReplyLines: limits.maxReplyLines), &actions)
        }
        if reply.hasTruncatedLine {
            // Cut like an over-long command (FTPLimits.maxLineLength), and said so like one (issue 16).
            note(.replyLineCut(code: reply.code, maxLineLength: limits.maxLineLength), &actions)
        }
        if !greetingSeen && validReplyLines == 1 && (reply.code == 120 || reply.code == 220 || reply.code == 421) {
            if reply.code != 120 { greetingSeen = true }
            greetingCode = reply.code
            actions.append(.greeting)
            if reply.code == 220 && !detectedByContent { confirmOnReply(&actions) }
            return
        }
        if !greetingSeen && reply.code == 220 && greetingCode == 120 {
            greetingSeen = true
            greetingCode = 220
            actions.append(.greetingAfterDelay)
            return
        }
        if !detectedByContent { confirmOnReply(&actions) }
        if gapRepairBudget > 0 && !repairAfterGap(reply.code, into: &actions) {
            actions.append(.orphanReply)
            return
        }
        guard !pending.isEmpty else {
            actions.append(.orphanReply)
            return
        }
        if reply.code >= 100 && reply.code < 200 {
            pending[0].gotPreliminary = true
            actions.append(.preliminary(index: pending[0].index))
            return
        }
        if (500...504).contains(reply.code), pending.count > 1, pending[0].gotPreliminary, pending[0].verb.isDataTransfer {
            // A transfer that already got its 150 cannot end in a syntax error: the error answers the command
            // sent during the transfer (typically an ABOR the server did not take as urgent, RFC 959 4.1.3).
            answered = pending.remove(at: 1)
        } else if pending.count == 1 {
            // The common case, one command awaiting its reply: taken from the end, without `remove(at:)`'s shift
            // (a memmove call even for nothing to move).
            answered = pending.removeLast()
        } else {
            answered = pending.remove(at: 0)
        }
        actions.append(.answered(index: answered!.index))
    }

    /// The record of a reply as the session keeps it (a line cut by `FTPLimits.maxLineLength` is flagged).
    static func record(_ reply: FTPReply, at time: Timestamp) -> ReplyRecord {
        var record = ReplyRecord(code: reply.code, text: reply.text, time: time)
        record.truncated = reply.hasTruncatedLine
        return record
    }

    /// `record(_:at:)` for a reply about to be dropped: its text is moved into the record, not copied.
    static func record(taking reply: inout FTPReply, at time: Timestamp) -> ReplyRecord {
        var record = ReplyRecord(code: reply.code, text: reply.takeText(), time: time)
        record.truncated = reply.hasTruncatedLine
        return record
    }

    private mutating func confirmOnReply(_ actions: inout SessionActions) {
        guard !confirmed else { return }
        confirm()
        actions.append(.confirm(byContent: false))
    }

    /// True for a reply that can open a session: 220, or 120 (ready in nnn minutes) before it.
    static func isGreeting(_ event: ReplyEvent) -> Bool {
        if case .reply(let reply) = event { return reply.code == 220 || reply.code == 120 }
        return false
    }

    /// After a capture gap a lost command still gets its reply, and a lost reply leaves its command waiting:
    /// pairing by order alone would then shift every later reply by one. A reply that cannot answer the
    /// command at the head of the queue is instead given to the command it can answer (replies lost) or kept as
    /// the answer to a lost command. Returns false when the reply answers no pending command.
    private mutating func repairAfterGap(_ code: Int, into actions: inout SessionActions) -> Bool {
        gapRepairBudget -= 1
        if gapRepairBudget == 0 {
            unrepairedClientGaps = 0
            unrepairedServerGaps = 0
        }
        guard !pending.isEmpty else { return true }
        if ReplyPlausibility.canAnswer(code, pending[0].verb) { return true }
        if unrepairedServerGaps > 0,
            let match = pending.dropFirst().firstIndex(where: { ReplyPlausibility.canAnswer(code, $0.verb) })
        {
            lostReplies = pending[..<match].map(\.index)
            actions.append(.repliesLost)
            pending.removeFirst(match)
            unrepairedServerGaps -= 1
            return true
        }
        if unrepairedClientGaps > 0 {
            if code >= 200 { unrepairedClientGaps -= 1 }
            return false
        }
        return true
    }

    /// True when `applyAnswer` reads the argument of the command answered (CWD, XCWD, SIZE).
    var readsArgumentWhenAnswered: Bool {
        guard let verb = answered?.verb else { return false }
        // Matched on the cases: `==` on `FTPVerb` (which has a payload case) is a call per comparison, three per
        // final reply.
        switch verb {
        case .cwd, .xcwd, .size: return true
        default: return false
        }
    }

    /// What a final reply means for the command it answers (`answered`) (after the analyzer recorded it and delivered the
    /// settled commands): the login, the working directory, SIZE, TLS, and the data channels. `argument` is the
    /// argument of the command answered; only CWD and SIZE read it (`readsArgumentWhenAnswered`).
    mutating func applyAnswer(_ reply: ReplyRecord, argument: String?) -> SessionActions {
        var actions = SessionActions()
        guard let command = answered else { return actions }
        answered = nil
        let code = reply.code
        switch command.verb {
        case .user, .pass, .acct:
            guard !loginAttempts.isEmpty else { break }
            let last = loginAttempts.count - 1
            if code == 230 || code == 202 {
                loginAttempts[last].outcome = loginAttempts[last].isAnonymousUser ? .anonymous : .succeeded
                loginAttempts[last].replyCode = code
                if confirmed && !credentialsReported && loginAttempts.contains(where: { $0.password != nil }) {
                    // Reported at the accepted login (with the attempts so far), not at the session's end.
                    credentialsReported = true
                    actions.append(.loginAccepted)
                }
            } else if code >= 400 {
                loginAttempts[last].outcome = .failed
                loginAttempts[last].replyCode = code
            } else {
                loginAttempts[last].replyCode = code
            }
        case .pwd, .xpwd:
            if code == 257, let path = ReplyParsing.parse257Path(reply.text) { workingDirectory = path }
        case .cwd, .xcwd:
            if code >= 200 && code < 300 {
                let argument = argument ?? ""
                if argument.hasPrefix("/") || workingDirectory != nil {
                    workingDirectory = ReplyParsing.resolvePath(argument, cwd: workingDirectory)
                }
            }
        case .cdup, .xcup:
            if code >= 200 && code < 300, let cwd = workingDirectory {
                workingDirectory = ReplyParsing.resolvePath("..", cwd: cwd)
            }
        case .size:
            if code == 213, let size = ReplyParsing.parse213Size(reply.text) {
                lastSize = (ReplyParsing.pathname(argument ?? "", cwd: workingDirectory), size)
            }
        case .auth:
            // RFC 4217: 234 accepts AUTH TLS/SSL and the TLS handshake begins right after the reply.
            if code == 234 { actions.append(.startTLS) }
        case .pasv, .epsv, .lpsv:
            actions.append(.passiveReply(index: command.index))
        case .port, .eprt, .lprt:
            actions.append(.activeReply(index: command.index))
        case .site:
            if confirmed { actions.append(.siteAnswered(index: command.index)) }
        default:
            if command.verb.isDataTransfer { actions.append(.dataReply(index: command.index)) }
        }
        return actions
    }

    // MARK: - Gaps

    /// Bytes missing from one side of the control connection.
    mutating func gap(length: UInt64, offset: UInt64, fromClient: Bool) -> SessionActions {
        var actions = SessionActions()
        if confirmed { actions.append(.gap(length: length, fromClient: fromClient)) }
        note(.missingBytes(length: length, fromClient: fromClient, offset: offset), &actions)
        return actions
    }

    /// The channel has delivered what was open at the gap: check the replies after it against their commands
    /// for a while.
    mutating func repairPairing(afterGapFromClient fromClient: Bool) {
        gapRepairBudget = Self.gapRepairReplies
        if fromClient { unrepairedClientGaps += 1 } else { unrepairedServerGaps += 1 }
    }

    // MARK: - End

    /// The control connection ended: a connection on a control port not yet confirmed may still be judged FTP by
    /// what it showed. Returns the actions; the analyzer then ends the session.
    mutating func connectionEnded() -> SessionActions {
        var actions = SessionActions()
        if !confirmed && wellFormedCommands > 0 && validReplyLines > 0 {
            confirm()
            actions.append(.confirm(byContent: false))
        }
        // On a control port, well-formed FTP commands and nothing that contradicts FTP make an FTP session even
        // when the server never greeted (it closed or reset first): a failed FTP session, not another protocol.
        if !confirmed && !detectedByContent && wellFormedCommands > 0 && wellFormedCommands >= malformedCommands
            && invalidServerLines == 0
        {
            if !greetingSeen { note(.noGreeting, &actions) }
            confirm()
            actions.append(.confirm(byContent: false))
        }
        return actions
    }
}
