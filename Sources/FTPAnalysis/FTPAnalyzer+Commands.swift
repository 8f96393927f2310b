import FTPProtocol
import NetworkTypes
import TCPReassembly

/// Control lines into the session state machine, and its actions carried out: records, events, anomalies, and
/// what concerns the data channels handed to the correlator's side (`FTPAnalyzer+DataChannels`).
extension FTPAnalyzer {
    // MARK: - Control lines

    func handleCommand(_ line: FTPLine, _ command: FTPCommand, session: FTPSession, at time: Timestamp) {
        if session.clientEncrypted { return }
        let actions = session.machine.command(line, command, index: session.commands.count, at: time)
        var position = 0
        while position < actions.count {
            if case .recordCommand(let user, let truncated) = actions[position] {
                var record = CommandRecord(
                    time: time, verb: command.verb, malformedVerb: command.malformedVerb, argument: command.argument)
                record.user = user
                record.truncated = truncated
                session.commands.append(record)
            } else {
                perform(actions[position], session: session, at: time)
            }
            position += 1
        }
    }

    func handleReplyEvent(_ event: ReplyEvent, session: FTPSession, at time: Timestamp) {
        perform(session.machine.reply(event, at: time), session: session, at: time)
    }

    /// Carries out the machine's actions in order.
    func perform(_ actions: SessionActions, session: FTPSession, at time: Timestamp) {
        var position = 0
        while position < actions.count {
            perform(actions[position], session: session, at: time)
            position += 1
        }
    }

    /// Carries out one of the machine's actions.
    func perform(_ action: SessionAction, session: FTPSession, at time: Timestamp) {
        switch action {
        case .confirm(let byContent):
            if byContent { confirmProbe(session) }
            confirm(session)
        case .stopAnalysing:
            // The caller sees `notFTP` and drops the connection.
            break
        case .anomaly(let anomaly):
            session.noteAnomaly(anomaly, at: time)
        case .recordCommand:
            break  // handled by `handleCommand`, which has the command
        case .pendingCommandDropped:
            stats.droppedPendingCommands += 1
        case .announceActive(let index, let verb, let mode, let parsed):
            announceActive(index, verb: verb, mode: mode, parsed, session: session, at: time)
        case .bindDataCommand(let index, let command):
            bindDataCommand(index, command, session: session)
        case .abortRunningTransfer:
            // Only a transfer still running can be aborted; an ABOR after its final reply changes nothing.
            if let running = session.transfers.last(where: { $0.command != nil }), running.reply == nil {
                running.abortRequested = true
            }
        case .greeting(let record):
            session.banner = record.text
            session.bannerCode = record.code
            session.bannerTime = record.time
        case .greetingAfterDelay(let record):
            // The 120 "ready in nnn minutes" before it is kept as unsolicited.
            session.unsolicitedReplies.append(
                ReplyRecord(code: 120, text: session.banner ?? "", time: session.bannerTime ?? time))
            session.banner = record.text
            session.bannerCode = 220
            session.bannerTime = record.time
        case .orphanReply(let record):
            adoptOrphanReply(record, session: session)
        case .preliminary(let index, let record):
            preliminaryReply(record, to: index, session: session)
        case .malformedReply(let index, let text):
            session.commands[index].malformedReply = text
            flushCommands(session)
        case .repliesLost(let indexes):
            for lost in indexes { session.commands[lost].replyLost = true }
        case .answered(let command, let record):
            session.commands[command.index].reply = record
            // The command is delivered before what its reply settles (a transfer, a finding).
            flushCommands(session)
            perform(session.machine.apply(record, to: command), session: session, at: time)
        case .loginAccepted:
            detect(.loginAccepted(session))
        case .startTLS(let time):
            startTLS(session, at: time)
        case .passiveReply(let index, let record):
            applyPassiveReply(record, to: index, session: session)
        case .activeReply(let index, let record):
            if let transferIndex = session.commands[index].transferIndex {
                let transfer = session.transfers[transferIndex]
                transfer.announcementReply = record
                if record.code >= 400 { correlator.removeExpectations(of: transfer) }
            }
        case .siteAnswered(let index):
            detect(.commandAnswered(session.commands[index], session))
        case .dataReply(let index, let record):
            if let transferIndex = session.commands[index].transferIndex {
                session.transfers[transferIndex].reply = record
                trySettle(session.transfers[transferIndex], session: session)
            }
        case .gap(let length, let fromClient):
            emit(.gap(session.identity, time: time, length: length, fromClient: fromClient))
        }
    }
}
