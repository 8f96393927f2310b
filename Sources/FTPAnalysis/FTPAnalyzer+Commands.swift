import FTPProtocol
import NetworkTypes
import TCPReassembly

/// Control lines into the session state machine, and its actions carried out: records, events, anomalies, and
/// what concerns the data channels handed to the correlator's side (`FTPAnalyzer+DataChannels`).
extension FTPAnalyzer {
    // MARK: - Control lines

    /// A command line from the client. The command is lent `inout` so its strings move into the record.
    func handleCommand(_ line: FTPLine, _ command: inout FTPCommand, session: FTPSession, at time: Timestamp) {
        if session.clientEncrypted { return }
        let verb = command.verb
        let index = session.commands.count
        var actions = SessionActions()
        let recorded = session.machine.command(line, command, index: index, at: time, into: &actions)
        // The record is appended before the actions are carried out, so that it can take the command's strings
        // whole (the command is not read after this). The machine already holds the command as pending, so a
        // flush by an action before `recordCommand` (a confirmation) stops at it as it would have before it.
        if let truncated = recorded {
            // Built in place in its slot (`CommandLog`): a record (168 bytes) made first and then appended was
            // copied.
            session.commands.append(
                CommandRecord.taking(
                    &command, at: time, user: session.machine.userBeforeCommand, truncated: truncated))
        }
        // Most commands ask for their record alone: done. (Before the loop, which copied all eight of the
        // actions' slots aside for the calls it may make, about 40 instructions a command.)
        if actions.count == 1, recorded != nil { return }
        var position = 0
        while position < actions.count {
            // The actions about the command just input are carried out here, where the command is.
            switch actions[position] {
            case .recordCommand:
                break  // appended above
            case .announceActive(let index):
                let (mode, parsed) = SessionMachine.activeAnnouncement(verb, argument: session.commands[index].argument)
                announceActive(index, verb: verb, mode: mode, parsed, session: session, at: time)
            case .bindDataCommand(let index):
                if let bound = session.machine.takeDataCommandInput() {
                    bindDataCommand(index, bound, session: session)
                }
            case let action:
                perform(action, session: session, at: time)
            }
            position += 1
        }
    }

    /// A reply (or invalid line) from the server, handed over (`consuming`) so its text moves into the record.
    func handleReplyEvent(_ event: consuming ReplyEvent, session: FTPSession, at time: Timestamp) {
        var actions = SessionActions()
        session.machine.reply(event, at: time, into: &actions)
        guard actions.count > 0 else { return }
        switch consume event {
        case .reply(var reply):
            var record = SessionMachine.record(taking: &reply, at: time)
            // Most replies answer their command and ask nothing else (see `handleCommand`).
            if actions.count == 1, case .answered(let index) = actions[0] {
                answer(index, with: &record, session: session)
                return
            }
            var position = 0
            while position < actions.count {
                if case .answered(let index) = actions[position] {
                    answer(index, with: &record, session: session)
                } else {
                    perform(actions[position], session: session, at: time, lending: record)
                }
                position += 1
            }
        case .invalid(let line):
            var position = 0
            while position < actions.count {
                if case .malformedReply(let index) = actions[position] {
                    session.commands[index].malformedReply = line.text
                    flushCommands(session)
                } else {
                    perform(actions[position], session: session, at: time)
                }
                position += 1
            }
        }
    }

    /// Carries out the machine's actions in order (none of them about a reply: see `perform(_:session:at:lending:)`).
    func perform(_ actions: SessionActions, session: FTPSession, at time: Timestamp) {
        var position = 0
        while position < actions.count {
            perform(actions[position], session: session, at: time)
            position += 1
        }
    }

    /// Carries out one of the machine's actions that is not about a reply.
    func perform(_ action: SessionAction, session: FTPSession, at time: Timestamp) {
        switch action {
        case .confirm(let byContent):
            if byContent { confirmProbe(session) }
            confirm(session)
        case .stopAnalysing:
            // The caller sees `notFTP` and drops the connection.
            break
        case .anomaly:
            session.noteAnomaly(session.machine.takeAnomaly(), at: time)
        case .recordCommand, .announceActive, .bindDataCommand, .malformedReply:
            break  // about the line just input: carried out by `handleCommand` / `handleReplyEvent`
        case .pendingCommandDropped:
            stats.droppedPendingCommands += 1
        case .abortRunningTransfer:
            // Only a transfer still running can be aborted; an ABOR after its final reply changes nothing.
            if let running = session.transfers.last(where: { $0.command != nil }), running.reply == nil {
                running.abortRequested = true
            }
        case .repliesLost:
            for lost in session.machine.lostReplies { session.commands[lost].replyLost = true }
        case .loginAccepted:
            detect(.loginAccepted(session))
        case .siteAnswered(let index):
            detect(.commandAnswered(session.commands[index], session))
        case .gap(let length, let fromClient):
            emit(.gap(session.identity, time: time, length: length, fromClient: fromClient))
        case .greeting, .greetingAfterDelay, .orphanReply, .preliminary, .answered, .startTLS, .passiveReply,
            .activeReply, .dataReply:
            // Only a reply's input makes these, and it carries them out with the reply lent.
            preconditionFailure("\(action) without the reply it is about: see perform(_:session:at:lending:)")
        }
    }

    /// The final reply `record` answers command `index`: it is recorded on the command, the settled commands are
    /// delivered, and then what it means is carried out (a transfer, a finding), in that order. Only the transfer
    /// a passive reply opens is made before the delivery: its index is written on the command, and a delivered
    /// command's record is not written again (`CommandLog`).
    ///
    /// What it means is asked first (the machine's state is all it changes, and nothing the delivered commands
    /// carry): when nothing reads the reply afterwards, which is the common case, its text is moved into the
    /// command's record rather than copied.
    private func answer(_ index: Int, with record: inout ReplyRecord, session: FTPSession) {
        // Only CWD and SIZE read their argument; the others pass a literal nil, which costs no release after.
        let meaning =
            session.machine.readsArgumentWhenAnswered
            ? session.machine.applyAnswer(record, argument: session.commands[index].argument)
            : session.machine.applyAnswer(record, argument: nil)
        if meaning.count == 0 {
            var moved = ReplyRecord(code: record.code, text: "", time: record.time)
            moved.truncated = record.truncated
            swap(&moved.text, &record.text)
            session.commands[index].reply = consume moved
        } else {
            session.commands[index].reply = record
        }
        // A passive reply's transfer is opened (made, counted against the cap, indexed on the command) first; its
        // announcement is read after the delivery, as before, since that may settle other transfers.
        // (A passive reply is the only meaning of the reply to PASV, EPSV or LPSV.)
        if meaning.count == 1, case .passiveReply(let passiveIndex) = meaning[0] {
            let transfer = openPassiveTransfer(record, to: passiveIndex, session: session)
            // The command is delivered before what its reply settles (a transfer, a finding).
            flushCommands(session)
            // None to announce: EPSV ALL, or the session's transfer cap.
            if let transfer { announcePassive(transfer, of: passiveIndex, reply: record, session: session) }
            return
        }
        flushCommands(session)
        if meaning.count > 0 {
            var position = 0
            while position < meaning.count {
                perform(meaning[position], session: session, at: record.time, lending: record)
                position += 1
            }
        }
    }

    /// Carries out an action that came with the reply just input, the reply lent as it is: passed as an optional,
    /// it was copied into one (a retain and a release of its text) for every action, most of which do not read it.
    private func perform(_ action: SessionAction, session: FTPSession, at time: Timestamp, lending record: ReplyRecord) {
        switch action {
        case .greeting, .greetingAfterDelay, .orphanReply, .preliminary, .answered, .startTLS, .passiveReply,
            .activeReply, .dataReply:
            perform(action, session: session, reply: record)
        default:
            perform(action, session: session, at: time)
        }
    }

    /// Carries out an action about the reply just input.
    private func perform(_ action: SessionAction, session: FTPSession, reply record: ReplyRecord) {
        switch action {
        case .greeting:
            session.banner = record.text
            session.bannerCode = record.code
            session.bannerTime = record.time
        case .greetingAfterDelay:
            // The 120 "ready in nnn minutes" before it is kept as unsolicited.
            session.unsolicitedReplies.append(
                ReplyRecord(code: 120, text: session.banner ?? "", time: session.bannerTime ?? record.time))
            session.banner = record.text
            session.bannerCode = 220
            session.bannerTime = record.time
        case .orphanReply:
            adoptOrphanReply(record, session: session)
        case .preliminary(let index):
            preliminaryReply(record, to: index, session: session)
        case .answered(let index):
            var reply = record
            answer(index, with: &reply, session: session)
        case .startTLS:
            startTLS(session, at: record.time)
        case .passiveReply:
            // Carried out by `answer` around the command's delivery (the only place a passive reply comes from).
            preconditionFailure("a passive reply is carried out by answer(_:with:session:)")
        case .activeReply(let index):
            if let transferIndex = session.commands[index].transferIndex {
                let transfer = session.transfers[transferIndex]
                transfer.announcementReply = record
                if record.code >= 400 { correlator.announcementRefused(transfer) }
            }
        case .dataReply(let index):
            if let transferIndex = session.commands[index].transferIndex {
                session.transfers[transferIndex].reply = record
                trySettle(session.transfers[transferIndex], session: session)
            }
        default:
            preconditionFailure("\(action) is not about a reply")
        }
    }
}
