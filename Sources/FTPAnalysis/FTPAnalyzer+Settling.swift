import FTPProtocol
import NetworkTypes
import TCPReassembly

/// Settling transfers and sessions, and delivering events in order.
extension FTPAnalyzer {
    // MARK: - Settling and events

    /// Counts a finding, keeps it for whole-capture reports (unless streaming), and delivers it.
    /// Handed over (`consuming`): a finding not kept moves into its event without a copy.
    func record(_ finding: consuming Finding) {
        findingsBySeverity[finding.severity.rank] += 1
        if configuration.retainSessions { findings.append(copy finding) }
        emit(.finding(finding))
    }

    /// Inlined: called, the event (184 bytes) was moved once more into the call's argument, a few per control line.
    @inline(__always)
    func emit(_ event: consuming AnalysisEvent) {
        sink?.take(consume event)
    }

    /// Marks a session as FTP: it gets the next id and its greeting (if already seen) is delivered.
    func confirm(_ session: FTPSession) {
        guard session.id.isEmpty else {
            session.confirmed = true
            return
        }
        session.confirmed = true
        if let numbering {
            session.id = "S\(numbering.number(confirmedAt: order))"
        } else {
            session.id = "S\(nextSessionNumber)"
            nextSessionNumber += 1
        }
        stats.ftpSessions += 1
        liveSessions[ObjectIdentifier(session)] = session
        if configuration.retainSessions { sessions.append(session) }
        emit(.sessionStarted(session.identity))
        if let code = session.bannerCode, let time = session.bannerTime {
            emit(.reply(session.identity, ReplyRecord(code: code, text: session.banner ?? "", time: time)))
        }
        for reply in session.unsolicitedReplies { emit(.reply(session.identity, reply)) }
        flushCommands(session)
    }

    /// Delivers, in order, the commands whose final reply is settled (all of them once the session ended).
    func flushCommands(_ session: FTPSession) {
        guard session.confirmed else { return }
        let log = session.commands
        while log.emitted < log.count {
            let index = log.emitted
            // (Taken off the pending queue is not settled yet: the reply that took it may not be recorded on it.)
            let settled = log[index].isAnswered || session.ended || !session.machine.awaitsSettling(index)
            guard settled else { return }
            // Marked before it is handed over: from here on the record is not written (`CommandLog`), and the
            // event points at it rather than carrying a copy.
            log.emitted = index + 1
            if let sink { sink.take(.command(CommandEvent(session.commandContext(), index: index))) }
        }
    }

    /// The control connection ended: everything about the session is settled and delivered.
    func endSession(_ session: FTPSession) {
        guard !session.ended else { return }
        // The machine judges a connection never confirmed by what it showed (`SessionMachine.connectionEnded`).
        perform(session.machine.connectionEnded(), session: session, at: session.start)
        session.ended = true
        liveSessions[ObjectIdentifier(session)] = nil
        guard session.confirmed else {
            correlator.sessionEnded(session, carryOut)
            guard !session.detectedByContent, session.sawPayload else { return }
            stats.nonFTPControlConnections += 1
            detect(.notFTP(session))
            return
        }
        // Its commands are delivered before the transfers they announced settle.
        flushCommands(session)
        correlator.sessionEnded(session, carryOut)
        detect(.sessionEnded(session))
        emit(.sessionEnded(session))
    }

    /// Settles data channels whose time is up (`DataChannelCorrelator.expire`), so that a long session (or a
    /// live capture) reports them when they fail rather than when the session ends. Call periodically with the
    /// capture's current time.
    public func expire(now: Timestamp) {
        // In order of serial, not of the dictionary (whose order changes from run to run): what settles in the
        // same sweep is delivered in the same order every time, and a sharded run can merge it (`OrderKey`).
        correlator.expireICMP(now: now)
        var due: [FTPSession] = []
        for session in liveSessions.values where session.confirmed && correlator.hasTransfersToExpire(session) {
            due.append(session)
        }
        if due.count > 1 { due.sort { $0.connectionSerial < $1.connectionSerial } }
        for session in due {
            if order.phase == .sweepExpiry { order.serial = session.connectionSerial }
            correlator.expire(session, now: now, carryOut)
        }
    }

    /// The earliest time of anything not yet delivered: events with an earlier time will not come any more.
    /// Streaming outputs that must be in time order hold later rows until this passes them.
    public var pendingWatermark: Timestamp? {
        var earliest: Timestamp?
        for session in liveSessions.values where session.confirmed {
            guard let time = session.earliestPendingTime else { continue }
            if earliest == nil || time < earliest! { earliest = time }
        }
        return earliest
    }
}
