import FTPProtocol
import NetworkTypes
import TCPReassembly

/// The FTP analysis: turns reassembled TCP connections into sessions, commands, replies and data channels.
///
/// It is the reassembler's delegate: every connection is offered to it when first seen, and it decides whether the
/// connection is a control channel (reassembled and parsed), a data channel (counted only), a connection on another
/// port that might be FTP (probed by its first bytes), or nothing to do with FTP (ignored).
public final class FTPAnalyzer: TCPStreamDelegate {
    /// The configuration in force.
    public let configuration: AnalysisConfiguration
    /// Sessions found so far (unconfirmed candidates included until `finish`).
    public internal(set) var sessions: [FTPSession] = []
    /// Control connections not ended yet (candidates on control ports and confirmed sessions), by identity.
    var liveSessions: [ObjectIdentifier: FTPSession] = [:]
    /// Findings, available after `finish`.
    public internal(set) var findings: [Finding] = []
    /// Counters.
    public internal(set) var stats = AnalysisStats()

    /// Data-channel expectations, early SYNs, ICMP errors and TLS-hidden sessions.
    let correlator: DataChannelCorrelator
    /// The texts of recent control lines, lent to every session's channels as they read: the same reply and argument texts
    /// recur across sessions, and each found here is a retain instead of an allocation (`ControlTextCache`).
    let controlTexts = ControlTextCache()
    /// The line buffer every session's framers work in while no line of theirs is pending: one buffer that stays
    /// in cache instead of one per direction of each open session (`LineFramer.append(_:shared:_:)`).
    let controlLines = SharedLineBuffer.allocate()
    /// The ports whose connections are control channels (computed once, not per connection).
    let controlAndImplicitTLSPorts: PortSet
    var finished = false
    var detectors: DetectorSet
    var captureEnded = false
    /// Findings by severity, counted even when `findings` is not kept (streaming runs).
    public var findingCounts: [Severity: Int] {
        var counts: [Severity: Int] = [:]
        for severity in Severity.allCases where findingsBySeverity[severity.rank] > 0 {
            counts[severity] = findingsBySeverity[severity.rank]
        }
        return counts
    }
    /// `findingCounts` by `Severity.rank`, counted per finding: a dictionary keyed by the severity hashed its raw
    /// string (about 300 instructions a finding).
    var findingsBySeverity = [0, 0, 0, 0]
    var nextSessionNumber = 1
    /// Where the analysis stands in the one-thread order (`OrderKey`): the caller sets the packet and phase (the
    /// workers of a sharded analysis per packet; every loop around its sweeps and the end of input); the analyzer
    /// fills in which connection or session a sweep or the end of input is settling. Read only by a sharded
    /// analysis's event log.
    public var order = OrderKey()
    /// Numbers confirmed sessions across the workers of a sharded analysis; nil: the analyzer counts them.
    public var numbering: SessionNumbering?
    /// Receives data-channel payload (file extraction); nil means data connections are only counted.
    public weak var dataSink: DataChannelSink?
    /// Receives events as they are settled (timeline, live output). Optional: offline reports can read `sessions`.
    ///
    /// Not kept alive by the analyzer (a sink may own its analyzer, as test harnesses do): keep the sink for as long
    /// as the analysis runs.
    public var eventSink: AnalysisEventSink? {
        get { sink }
        set { sink = newValue }
    }
    /// `eventSink`, held unowned rather than weak: a weak reference gives the sink a side table, and every retain
    /// and release of it (one pair per event, a few per control line) then took the runtime's slow path.
    unowned(unsafe) var sink: AnalysisEventSink?

    /// Creates an analyzer.
    public init(configuration: AnalysisConfiguration = AnalysisConfiguration()) {
        self.configuration = configuration
        correlator = DataChannelCorrelator(configuration: configuration)
        controlAndImplicitTLSPorts = PortSet(configuration.controlPorts.union(configuration.implicitTLSPorts))
        detectors = DetectorSet(configuration: configuration)
    }

    deinit {
        controlLines.deallocate()
    }

    // MARK: - Connections

    public func connectionOpened(_ connection: TCPConnection) -> StreamHandling {
        stats.tcpConnections += 1
        let ports = controlAndImplicitTLSPorts
        let onControlPort = ports.contains(connection.responder.port) || ports.contains(connection.originator.port)
        if let attachment = correlator.connectionOpened(
            DataConnectionAttempt(connection), connection, onControlPort: onControlPort)
        {
            return route(connection, attachment)
        }
        if onControlPort {
            if liveSessions.count >= configuration.maxSessions {
                // A connection flood to the FTP port must not grow the session list without bound.
                stats.droppedSessions += 1
                return .ignore
            }
            let serverIsResponder = ports.contains(connection.responder.port)
            let session = FTPSession(
                client: serverIsResponder ? connection.originator : connection.responder,
                server: serverIsResponder ? connection.responder : connection.originator,
                start: connection.firstTime, serial: connection.serial, limits: configuration.protocolLimits,
                maxPendingCommands: configuration.maxPendingCommands)
            session.startedMidstream = !connection.sawInitialSYN
            liveSessions[ObjectIdentifier(session)] = session
            connection.context = session
            return .reassemble
        }
        guard configuration.detectByContent else { return .ignore }
        let session = FTPSession(
            client: connection.originator, server: connection.responder, start: connection.firstTime,
            serial: connection.serial, limits: configuration.protocolLimits,
            maxPendingCommands: configuration.maxPendingCommands)
        session.startedMidstream = !connection.sawInitialSYN
        session.detectedByContent = true
        session.phase = .probing
        connection.context = session
        return .reassemble
    }

    public func connection(
        _ connection: TCPConnection, received data: UnsafeRawBufferPointer, from direction: Direction,
        at time: Timestamp
    ) {
        guard let context = connection.unretainedContext else { return }
        // A control connection on a control port: its context (the session) borrowed from the connection (which
        // holds it for the whole segment: only a connection judged by its content can drop it mid-way,
        // `abandonProbe`), and matched by its type, without the retain/release pair and the runtime cast of `as?`
        // per control segment.
        let done = context._withUnsafeGuaranteedRef { object -> Bool in
            guard ObjectIdentifier(type(of: object)) == ObjectIdentifier(FTPSession.self) else { return false }
            let session = unsafeDowncast(object, to: FTPSession.self)
            if session.judgedByContent { return false }
            received(data, on: connection, session, from: direction, at: time)
            return true
        }
        if done { return }
        guard let session = connection.context as? FTPSession else {
            if let channel = connection.context as? DataContext, let sink = dataSink {
                let fromServer =
                    (direction == .originator) == (connection.originator.address == channel.session.server.address)
                sink.dataChannel(channel.transfer, of: channel.session, received: data, fromServer: fromServer, at: time)
            }
            return
        }
        // Held for the call by `session`, even if probing drops it from the connection.
        received(data, on: connection, session, from: direction, at: time)
    }

    /// `connection(_:received:from:at:)` for a control connection.
    private func received(
        _ data: UnsafeRawBufferPointer, on connection: TCPConnection, _ session: FTPSession,
        from direction: Direction, at time: Timestamp
    ) {
        session.end = time
        session.sawPayload = true
        let fromClient = (direction == .originator) == (session.client == connection.originator)
        var held = 0
        if !(fromClient ? session.clientHead.isComplete : session.serverHead.isComplete) {
            switch openStream(session, data: data, fromClient: fromClient, at: time) {
            case .hold, .implicitTLS:
                return
            case .replay(let count):
                held = count
            }
        }
        if session.probing {
            probe(connection, session: session, data: data, fromClient: fromClient)
            if connection.context !== session { return }
        }
        if held > 0 {
            // Bytes held while they could have begun a TLS record: they were the start of clear text after all.
            let head = fromClient ? session.clientHead : session.serverHead
            head.withBytes { bytes in
                let replay = UnsafeRawBufferPointer(rebasing: bytes[..<held])
                feed(replay, session: session, fromClient: fromClient, at: time)
            }
            if session.notFTP {
                abandonProbe(connection)
                return
            }
        }
        var data = data
        if fromClient ? session.clientEncrypted : session.serverEncrypted {
            // A protected channel: skip its TLS records. If one side stops speaking TLS (CCC, RFC 4217 section
            // 12), what it sends next is clear text again and is parsed; each side returns on its own.
            let plainStart = fromClient ? session.clientTLS.consume(data) : session.serverTLS.consume(data)
            guard let plainStart else { return }
            resumeClearText(session, fromClient: fromClient, at: time)
            data = UnsafeRawBufferPointer(rebasing: data[plainStart...])
        }
        feed(data, session: session, fromClient: fromClient, at: time)
        // Probing judged the server's first line: not a greeting, so not FTP.
        if session.notFTP { abandonProbe(connection) }
    }

    /// Clear-text bytes of one direction into its control channel, and what they complete into the session.
    private func feed(_ data: UnsafeRawBufferPointer, session: FTPSession, fromClient: Bool, at time: Timestamp) {
        if fromClient {
            session.clientChannel.append(data, texts: controlTexts, lines: controlLines) { line, command in
                handleCommand(line, &command, session: session, at: time)
            }
        } else {
            session.serverChannel.append(data, texts: controlTexts, lines: controlLines) { event in
                // Lines after a 234 in the same segment are the TLS handshake, not replies.
                if !session.serverEncrypted { handleReplyEvent(consume event, session: session, at: time) }
            }
        }
    }


    public func connection(
        _ connection: TCPConnection, gapAt offset: UInt64, length: UInt64, from direction: Direction,
        at time: Timestamp
    ) {
        guard let session = connection.context as? FTPSession else {
            if let data = connection.context as? DataContext, let sink = dataSink {
                let fromServer = (direction == .originator) == (connection.originator.address == data.session.server.address)
                sink.dataChannel(data.transfer, of: data.session, gapOf: length, fromServer: fromServer, at: time)
            }
            return
        }
        let fromClient = (direction == .originator) == (session.client == connection.originator)
        if fromClient { session.clientHead.giveUp() } else { session.serverHead.giveUp() }
        session.missingBytes += length
        if session.firstGapTime == nil { session.firstGapTime = time }
        perform(session.machine.gap(length: length, offset: offset, fromClient: fromClient), session: session, at: time)
        // The channel applies the one gap policy (ClientControlChannel); a multi-line reply open at the gap is
        // delivered before it, flagged incomplete. Then replies are checked against their commands for a while.
        if fromClient {
            session.clientChannel.gap()
        } else if !session.serverEncrypted {
            session.serverChannel.gap { event in handleReplyEvent(consume event, session: session, at: time) }
        } else {
            session.serverChannel.gap { _ in }
        }
        session.machine.repairPairing(afterGapFromClient: fromClient)
    }

    /// A sweep or the end of input is closing the connection: what it settles is placed by the connection
    /// (`OrderKey`), in a sharded analysis.
    public func connectionClosing(_ connection: TCPConnection) {
        switch order.phase {
        case .sweepClosing:
            order.rank = connection.sweptFrom
            order.time = connection.queuedTime.nanoseconds
            order.serial = connection.serial
        case .finishClosing:
            order.serial = connection.serial
        default:
            break
        }
    }

    public func connectionClosed(_ connection: TCPConnection) {
        if let session = connection.context as? FTPSession {
            session.end = connection.lastTime
            session.connectionState = connection.state
            for fromClient in [true, false] {
                // A stream of one or two bytes that could have begun a TLS record: clear text after all.
                let head = fromClient ? session.clientHead : session.serverHead
                guard head.held > 0 else { continue }
                head.withBytes { bytes in feed(bytes, session: session, fromClient: fromClient, at: connection.lastTime) }
            }
            session.clientChannel.finish(texts: controlTexts) { line, command in
                handleCommand(line, &command, session: session, at: connection.lastTime)
            }
            session.serverChannel.finish(texts: controlTexts) { event in
                if !session.serverEncrypted { handleReplyEvent(consume event, session: session, at: connection.lastTime) }
            }
            let orig = connection.stats(.originator)
            let resp = connection.stats(.responder)
            if session.quitSent {
                // QUIT ends the session whatever the capture shows of the TCP close after it.
                session.endState = .quit
            } else if connection.endedWithoutClose {
                session.endState = captureEnded ? .captureEnd : .timeout
            } else if orig.sawRST || resp.sawRST {
                session.endState = .reset
            } else {
                session.endState = .closed
            }
            if session.probing {
                // Never confirmed as FTP: forget it.
                liveSessions[ObjectIdentifier(session)] = nil
            } else if !session.confirmed && orig.bytes == 0 && resp.bytes == 0 {
                // Not a byte either way (a SYN flood, a scan, a refused connection): nothing to analyse or report.
                liveSessions[ObjectIdentifier(session)] = nil
            } else {
                endSession(session)
            }
        } else if let data = connection.context as? DataContext {
            correlator.connectionClosed(
                DataConnectionRecord.of(connection, match: data.match), connection, of: data, carryOut)
        }
        connection.context = nil
    }

    /// Records an ICMP destination-unreachable that quotes a TCP segment (a data SYN, typically).
    public func noteICMPUnreachable(_ message: ICMPUnreachable, at time: Timestamp) {
        correlator.noteICMPUnreachable(message, at: time)
    }

    // MARK: - Finishing

    /// Says that the input is over: connections closed from now on end with the capture, not by going idle.
    /// Call just before `TCPReassembler.finish`.
    public func captureEnding() { captureEnded = true }

    /// Settles what is left after the reassembler has closed every connection (which ends every session), with
    /// the time the input ended when known (findings that span sessions still open then are dated at it).
    /// Call once, after `TCPReassembler.finish`.
    public func finish(endingAt end: Timestamp? = nil) {
        guard !finished else { return }
        finished = true
        // End what is still open in the order the connections appeared, so output is repeatable.
        if order.phase == .finishClosing { order.phase = .finishSessions }
        for session in liveSessions.values.sorted(by: { ($0.start, $0.connectionSerial) < ($1.start, $1.connectionSerial) }) {
            if order.phase == .finishSessions {
                order.time = session.start.nanoseconds
                order.serial = session.connectionSerial
            }
            endSession(session)
        }
        if order.phase == .finishSessions { order = OrderKey(index: order.index, phase: .finishFindings) }
        detect(.analysisFinished(end: end))
        findings.sort { ($0.time, $0.severity.rank) < ($1.time, $1.severity.rank) }
    }
}
