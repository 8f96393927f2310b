import FTPProtocol
import NetworkTypes
import TCPReassembly

/// Settling transfers and sessions, and delivering events in order.
extension FTPAnalyzer {
    // MARK: - Settling and events

    /// Counts a finding, keeps it for whole-capture reports (unless streaming), and delivers it.
    func record(_ finding: Finding) {
        findingCounts[finding.severity, default: 0] += 1
        if configuration.retainSessions { findings.append(finding) }
        emit(.finding(finding))
    }

    func emit(_ event: AnalysisEvent) {
        eventSink?.analysis(event)
    }

    /// Data connections are reassembled only when their payload is wanted (extraction); otherwise counted.
    var dataHandling: StreamHandling { dataSink == nil ? .countOnly : .reassemble }

    /// What is known of a data connection now, with any ICMP error that answered its SYN.
    func dataRecord(_ connection: TCPConnection, match: DataChannelMatch) -> DataConnectionRecord {
        var record = DataConnectionRecord(connection, match: match)
        if let icmp = correlator.icmpByFlow[FlowKey(source: connection.originator, destination: connection.responder)] {
            record.icmpReason = icmp.message.reason
            record.icmpReporter = icmp.message.reporter
            record.icmp = ICMPEvidence(
                type: icmp.message.isICMPv6 ? 1 : 3, code: icmp.message.code, isICMPv6: icmp.message.isICMPv6,
                reporter: icmp.message.reporter, reason: icmp.message.reason)
        }
        return record
    }

    /// Marks a session as FTP: it gets the next id and its greeting (if already seen) is delivered.
    func confirm(_ session: FTPSession) {
        guard session.id.isEmpty else {
            session.confirmed = true
            return
        }
        session.confirmed = true
        session.id = "S\(nextSessionNumber)"
        nextSessionNumber += 1
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
        while session.emittedCommands < session.commands.count {
            let command = session.commands[session.emittedCommands]
            let settled =
                command.reply != nil || command.malformedReply != nil || command.replyLost || session.ended
                || !session.pending.contains(session.emittedCommands)
            guard settled else { return }
            emit(.command(session.identity, command))
            session.emittedCommands += 1
        }
    }

    /// Settles a transfer once its final reply and every data connection are in.
    func trySettle(_ transfer: Transfer, session: FTPSession) {
        guard !transfer.settled, transfer.command != nil, transfer.reply != nil, transfer.liveConnections.isEmpty
        else { return }
        settle(transfer, session: session)
    }

    func settle(_ transfer: Transfer, session: FTPSession) {
        for (connection, match) in transfer.liveConnections {
            // Still open at the end of the session or the capture: take the state as it is now.
            transfer.connections.append(dataRecord(connection, match: match))
            if !configuration.retainSessions && dataSink == nil {
                // Nothing will read this transfer again (streamed outputs have it; nothing extracts its bytes), so
                // the connection lets go of it: an unanswered SYN's record lasts a minute, and through it the
                // whole session with every command would too.
                connection.context = nil
            }
        }
        transfer.liveConnections.removeAll()
        transfer.settled = true
        DataChannelDiagnosis.settle(transfer, session: session)
        if let result = dataSink?.dataChannelSettled(transfer, of: session) {
            if let file = result.file { transfer.extractedFile = file }
            if let listing = result.listing { transfer.listing = listing }
        }
        if session.confirmed {
            let index = session.transfers.lastIndex { $0 === transfer } ?? 0
            emit(.transfer(session.identity, SettledTransfer(transfer, index: index)))
            detect(.dataChannelSettled(transfer, index: index, session))
        }
    }

    /// The control connection ended: everything about the session is settled and delivered.
    func endSession(_ session: FTPSession) {
        guard !session.ended else { return }
        if !session.confirmed && session.wellFormedCommands > 0 && session.validReplyLines > 0 { confirm(session) }
        // On a control port, well-formed FTP commands and nothing that contradicts FTP make an FTP session even
        // when the server never greeted (it closed or reset first): a failed FTP session, not another protocol.
        if !session.confirmed && !session.detectedByContent && session.wellFormedCommands > 0
            && session.wellFormedCommands >= session.malformedCommands && session.invalidServerLines == 0
        {
            if !session.greetingSeen {
                session.noteAnomaly("no greeting from the server before the connection ended", at: session.start)
            }
            confirm(session)
        }
        session.ended = true
        liveSessions[ObjectIdentifier(session)] = nil
        correlator.dropExpectations(of: session)
        guard session.confirmed else {
            guard !session.detectedByContent, session.sawPayload else { return }
            stats.nonFTPControlConnections += 1
            detect(.notFTP(session))
            return
        }
        correlator.protectedSessions.removeAll { $0 === session }
        flushCommands(session)
        for transfer in session.transfers where !transfer.settled { settle(transfer, session: session) }
        detect(.sessionEnded(session))
        emit(.sessionEnded(session))
    }

    /// How long after its data connection failed an announcement that no command used is settled.
    static let failedAnnouncementGrace: Int64 = 30_000_000_000

    /// Settles data channels whose time is up, so that a long session (or a live capture) reports them when
    /// they fail rather than when the session ends: an announcement whose connection failed and that no
    /// command used (after 30 s), an announcement never used (after the expectation lifetime), a data command
    /// never answered (after the expectation lifetime). Call periodically with the capture's current time.
    public func expire(now: Timestamp) {
        let lifetime = configuration.expectationLifetime
        correlator.expireICMP(now: now)
        for session in liveSessions.values where session.confirmed {
            for transfer in session.transfers where !transfer.settled && transfer.liveConnections.isEmpty {
                if transfer.command == nil {
                    if let last = transfer.connections.map(\.lastTime).max() {
                        if last.nanoseconds(to: now) > FTPAnalyzer.failedAnnouncementGrace { settle(transfer, session: session) }
                    } else if let announced = transfer.announcedAt, announced.nanoseconds(to: now) > lifetime {
                        settle(transfer, session: session)
                    }
                } else if transfer.reply == nil, let sent = transfer.commandTime, sent.nanoseconds(to: now) > lifetime {
                    settle(transfer, session: session)
                }
            }
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
