import NetworkTypes
import TCPReassembly

/// How the analyzer should read a data connection the correlator attached.
enum DataRouting: Equatable {
    /// Its payload may be wanted (file extraction): reassemble it when a data sink is present.
    case payload
    /// Count it only: an inferred channel of a TLS-protected session carries encrypted bytes.
    case countOnly
}

/// A data connection the correlator tied to a transfer: the analyzer routes it there.
struct DataChannelAttachment {
    /// What the connection's packets are delivered with.
    let context: DataContext
    /// How to read it.
    let routing: DataRouting
}

/// What the correlator asks of the analyzer while it settles.
enum CorrelationAction {
    /// The transfer's verdict is final: deliver it (`.transfer`) and let the detectors see it.
    case settled(Transfer, FTPSession)
    /// Nothing will read the transfer through this connection again (streamed outputs have it, nothing extracts
    /// its bytes): let the connection go of it, so an unanswered SYN's record, lasting a minute, does not keep the
    /// whole session alive.
    case release(any LiveDataConnection)
}

/// What became of an announcement offered to the correlator.
enum AnnouncementOutcome {
    /// Filed; a connection seen just before it (capture reordering) was attached at once.
    case filed(early: (connection: any LiveDataConnection, attachment: DataChannelAttachment)?)
    /// Not tracked: too many announcements overall, or in this session (`firstOverSessionLimit` the first time the
    /// session went over, so its anomaly is noted once).
    case dropped(firstOverSessionLimit: Bool)
}

/// The correlator's inputs, each settling what it completes.
extension DataChannelCorrelator {
    /// How long after its data connection failed an announcement that no command used is settled.
    static let failedAnnouncementGrace: Int64 = 30_000_000_000

    /// A readable announcement (PORT/EPRT/LPRT sent, 227/229/228 received) with `transfer.announced` set.
    func announce(_ transfer: Transfer, session: FTPSession, at time: Timestamp) -> AnnouncementOutcome {
        guard let endpoint = transfer.announced else { return .filed(early: nil) }
        if expectationCount >= configuration.maxExpectationsTotal {
            pruneExpectations(now: time)
            if expectationCount >= configuration.maxExpectationsTotal { return .dropped(firstOverSessionLimit: false) }
        }
        session.expectationCount += 1
        if session.expectationCount > configuration.maxExpectationsPerSession {
            return .dropped(firstOverSessionLimit: session.expectationCount == configuration.maxExpectationsPerSession + 1)
        }
        let expectation = Expectation(session: session, transfer: transfer, endpoint: endpoint, time: time)
        // A SYN seen just before its announcement (capture reordering) is matched now; the expectation is filed
        // either way (and marked used when the connection is attached).
        var early: (attempt: DataConnectionAttempt, connection: any LiveDataConnection, match: DataChannelMatch)?
        if let index = latestUnmatched(matching: expectation) {
            let (attempt, connection) = recentUnmatched.remove(at: index)
            if let match = matches(attempt, expectation) { early = (attempt, connection, match) }
        }
        add(expectation)
        guard let early else { return .filed(early: nil) }
        let attachment = attach(
            early.connection, at: early.attempt, to: transfer, session: session, match: early.match, routing: .payload)
        return .filed(early: (early.connection, attachment))
    }

    /// The newest remembered unmatched connection the expectation matches. Every match is to the announced
    /// port, so the port is compared first, in place: the list is full (256) on busy links, and copying each
    /// entry into a closure cost more than the announcement itself.
    private func latestUnmatched(matching expectation: Expectation) -> Int? {
        var index = recentUnmatched.count - 1
        while index >= 0 {
            if recentUnmatched[index].attempt.responder.port == expectation.endpoint.port,
                matches(recentUnmatched[index].attempt, expectation) != nil
            {
                return index
            }
            index -= 1
        }
        return nil
    }

    /// After AUTH TLS (RFC 4217) or on an implicit FTPS port the session's announcements are encrypted: its data
    /// connections can only be inferred from the hosts they join.
    func sessionProtected(_ session: FTPSession) {
        protectedSessions.append(session)
    }

    /// Both directions of the control channel are clear text again (CCC, RFC 4217 section 12): announcements are
    /// readable, nothing more is inferred.
    func sessionInClearText(_ session: FTPSession) {
        protectedSessions.removeAll { $0 === session }
    }

    /// The server refused an active announcement (`500 Illegal PORT command`): nothing will connect to it.
    func announcementRefused(_ transfer: Transfer) {
        removeExpectations(of: transfer)
    }

    /// A TCP connection opened: the transfer it is the data channel of, if any. A connection that matches nothing
    /// and is on no control port is remembered a while, for an announcement captured after its SYN.
    func connectionOpened(
        _ attempt: DataConnectionAttempt, _ connection: any LiveDataConnection, onControlPort: Bool
    ) -> DataChannelAttachment? {
        if let (expectation, match) = findExpectation(for: attempt) {
            // Lent, not retained: the table holds both while attaching (which keeps what it stores).
            return expectation.withObjects { session, transfer in
                attach(connection, at: attempt, to: transfer, session: session, match: match, routing: .payload)
            }
        }
        if let session = protectedSession(for: attempt) {
            // The announcement is encrypted: the connection between the session's hosts is its probable data
            // channel, a transfer of its own, read as active when the server opened it.
            let transfer = Transfer.make()
            transfer.inferred = true
            transfer.mode = attempt.originator.address == session.client.address ? .passive : .active
            transfer.announcedAt = attempt.firstTime
            session.addTransfer(transfer)
            return attach(connection, at: attempt, to: transfer, session: session, match: .inferred, routing: .countOnly)
        }
        if !onControlPort { remember(attempt, connection) }
        return nil
    }

    private func attach(
        _ connection: any LiveDataConnection, at attempt: DataConnectionAttempt, to transfer: Transfer,
        session: FTPSession, match: DataChannelMatch, routing: DataRouting
    ) -> DataChannelAttachment {
        transfer.liveConnections.append((connection, match))
        let endpoint = transfer.announced ?? attempt.responder
        var slot = expectations.first(onPort: endpoint.port)
        while slot >= 0 {
            let expectation = expectations.expectation(slot)
            if expectation.announces(transfer) && expectation.endpoint == endpoint { expectations.markUsed(slot) }
            slot = expectations.next(slot)
        }
        let context: DataContext
        if !spareContexts.isEmpty && isKnownUniquelyReferenced(&spareContexts[spareContexts.count - 1]) {
            context = spareContexts.removeLast()
            context.reuse(transfer: transfer, session: session, match: match)
        } else {
            context = DataContext(transfer: transfer, session: session, match: match)
        }
        return DataChannelAttachment(context: context, routing: routing)
    }

    /// The final reply to the transfer's data command arrived (`transfer.reply` set).
    func finalReply(for transfer: Transfer, session: FTPSession, _ perform: (CorrelationAction) -> Void) {
        trySettle(transfer, session: session, perform)
    }

    /// A data connection closed (or went idle, or the capture ended), with its final state.
    func connectionClosed(
        _ record: consuming DataConnectionRecord, _ connection: any LiveDataConnection, of context: DataContext,
        _ perform: (CorrelationAction) -> Void
    ) {
        // The connection lets its context go once this returns: a connection attached later may have it (none
        // kept beyond the limit, which only a burst of closes reaches).
        if spareContexts.count < Self.spareContextLimit { spareContexts.append(context) }
        let transfer = context.transfer
        transfer.liveConnections.remove(connection)
        if transfer.settled {
            addICMP(to: &record)
            // Settled (and delivered) when its session ended; keep the final state for whole-capture reports.
            if let index = transfer.connections.firstIndex(where: {
                $0.originator == record.originator && $0.responder == record.responder && $0.firstTime == record.firstTime
            }) {
                transfer.connections[index] = record
                decide(transfer, session: context.session)
            }
            return
        }
        // Moved into the array first, then given its ICMP error there, in place: the record (424 bytes) was
        // copied once more on the way.
        transfer.connections.append(record)
        if !icmpByFlow.isEmpty {
            transfer.connections.withUnsafeMutableBufferPointer { addICMP(to: &$0[$0.count - 1]) }
        }
        if transfer.inferred {
            // No command or reply will come for an inferred channel: its connection is all there is.
            settle(transfer, session: context.session, perform)
        } else {
            trySettle(transfer, session: context.session, perform)
        }
    }

    /// Records an ICMP destination-unreachable that quotes a TCP segment (bounded: a flood must not grow it).
    func noteICMPUnreachable(_ message: ICMPUnreachable, at time: Timestamp) {
        if icmpByFlow.count < 10_000 {
            icmpByFlow[message.quotedFlow] = (message, time)
        }
    }

    /// The session's control connection ended: its announcements can no longer be used, and once it is confirmed
    /// as FTP every transfer it still has open is settled with what the capture shows now.
    func sessionEnded(_ session: FTPSession, _ perform: (CorrelationAction) -> Void) {
        dropExpectations(of: session)
        protectedSessions.removeAll { $0 === session }
        guard session.confirmed else { return }
        for transfer in session.transfers where !transfer.settled { settle(transfer, session: session, perform) }
    }

    /// Settles data channels whose time is up, so that a long session (or a live capture) reports them when they
    /// fail rather than when the session ends: an announcement whose connection failed and that no command used
    /// (after 30 s), an announcement never used (after the expectation lifetime), a data command never answered
    /// (after the expectation lifetime).
    func expire(_ session: FTPSession, now: Timestamp, _ perform: (CorrelationAction) -> Void) {
        let lifetime = configuration.expectationLifetime
        for transfer in session.transfers where Self.waitsForTime(transfer) {
            if transfer.command == nil {
                if let last = transfer.connections.map(\.lastTime).max() {
                    if last.nanoseconds(to: now) > Self.failedAnnouncementGrace {
                        settle(transfer, session: session, perform)
                    }
                } else if let announced = transfer.announcedAt, announced.nanoseconds(to: now) > lifetime {
                    settle(transfer, session: session, perform)
                }
            } else if transfer.reply == nil, let sent = transfer.commandTime, sent.nanoseconds(to: now) > lifetime {
                settle(transfer, session: session, perform)
            }
        }
    }

    /// True when `expire` may settle something of the session.
    func hasTransfersToExpire(_ session: FTPSession) -> Bool {
        session.transfers.contains(where: Self.waitsForTime)
    }

    /// Unsettled with no data connection open: only its time running out can settle it now.
    private static func waitsForTime(_ transfer: Transfer) -> Bool {
        !transfer.settled && transfer.liveConnections.isEmpty
    }

    // MARK: - Settling

    /// Settles a transfer once its final reply and every data connection are in.
    private func trySettle(_ transfer: Transfer, session: FTPSession, _ perform: (CorrelationAction) -> Void) {
        guard !transfer.settled, transfer.command != nil, transfer.reply != nil, transfer.liveConnections.isEmpty
        else { return }
        settle(transfer, session: session, perform)
    }

    private func settle(_ transfer: Transfer, session: FTPSession, _ perform: (CorrelationAction) -> Void) {
        transfer.liveConnections.forEach { connection, match in
            // Still open at the end of the session or the capture: take the state as it is now.
            var record = connection.snapshot(match: match)
            addICMP(to: &record)
            transfer.connections.append(record)
            perform(.release(connection))
        }
        transfer.liveConnections.removeAll()
        transfer.settled = true
        decide(transfer, session: session)
        perform(.settled(transfer, session))
    }

    /// Gives the transfer its metrics and its verdict from what it holds now.
    private func decide(_ transfer: Transfer, session: FTPSession) {
        transfer.metrics = TransferMetrics.of(transfer, session: session)
        Self.judge(transfer, session: session)
    }

    /// Adds to the record any ICMP error that answered its SYN.
    /// In place: the record is 424 bytes, and every closed data connection passes here.
    private func addICMP(to record: inout DataConnectionRecord) {
        guard !icmpByFlow.isEmpty,
            let icmp = icmpByFlow[FlowKey(source: record.originator, destination: record.responder)]
        else { return }
        record.icmpReason = icmp.message.reason
        record.icmpReporter = icmp.message.reporter
        record.icmp = ICMPEvidence(
            type: icmp.message.isICMPv6 ? 1 : 3, code: icmp.message.code, isICMPv6: icmp.message.isICMPv6,
            reporter: icmp.message.reporter, reason: icmp.message.reason)
    }
}
