import FTPProtocol
import NetworkTypes
import PacketDecoding
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
    public private(set) var sessions: [FTPSession] = []
    /// Control connections not ended yet (candidates on control ports and confirmed sessions), by identity.
    private var liveSessions: [ObjectIdentifier: FTPSession] = [:]
    /// Findings, available after `finish`.
    public private(set) var findings: [Finding] = []
    /// Counters.
    public private(set) var stats = AnalysisStats()

    private var expectationsByEndpoint: [Endpoint: [Expectation]] = [:]
    private var expectationsByPort: [UInt16: [Expectation]] = [:]
    private var expectationCount = 0
    private var recentUnmatched: [TCPConnection] = []
    private var icmpByFlow: [FlowKey: (message: ICMPUnreachable, time: Timestamp)] = [:]
    private var finished = false
    private var detectors = FindingDetectors()
    private var captureEnded = false
    /// Findings by severity, counted even when `findings` is not kept (streaming runs).
    public private(set) var findingCounts: [Severity: Int] = [:]
    /// Open sessions whose control channel is encrypted: their data connections can only be inferred.
    private var protectedSessions: [FTPSession] = []
    private var nextSessionNumber = 1
    /// Receives data-channel payload (file extraction); nil means data connections are only counted.
    public weak var dataSink: DataChannelSink?
    /// Receives events as they are settled (timeline, live output). Optional: offline reports can read `sessions`.
    public weak var eventSink: AnalysisEventSink?

    /// Creates an analyzer.
    public init(configuration: AnalysisConfiguration = AnalysisConfiguration()) {
        self.configuration = configuration
        detectors.bruteforceThreshold = configuration.bruteforceThreshold
        detectors.bruteforceWindow = configuration.bruteforceWindow
    }

    // MARK: - Connections

    public func connectionOpened(_ connection: TCPConnection) -> StreamHandling {
        stats.tcpConnections += 1
        if let (expectation, match) = findExpectation(for: connection) {
            attach(connection, to: expectation.transfer, session: expectation.session, match: match)
            return dataHandling
        }
        if let session = protectedSession(for: connection) {
            let transfer = Transfer()
            transfer.inferred = true
            transfer.mode = connection.originator.address == session.client.address ? .passive : .active
            transfer.announcedAt = connection.firstTime
            session.transfers.append(transfer)
            attach(connection, to: transfer, session: session, match: .inferred)
            return .countOnly
        }
        let ports = configuration.controlPorts.union(configuration.implicitTLSPorts)
        if ports.contains(connection.responder.port) || ports.contains(connection.originator.port) {
            if liveSessions.count >= configuration.maxSessions {
                // A connection flood to the FTP port must not grow the session list without bound.
                stats.droppedSessions += 1
                return .ignore
            }
            let serverIsResponder = ports.contains(connection.responder.port)
            let session = FTPSession(
                client: serverIsResponder ? connection.originator : connection.responder,
                server: serverIsResponder ? connection.responder : connection.originator,
                start: connection.firstTime, serial: connection.serial, limits: configuration.protocolLimits)
            session.startedMidstream = !connection.sawInitialSYN
            liveSessions[ObjectIdentifier(session)] = session
            connection.context = ControlContext(session: session, probing: false)
            return .reassemble
        }
        remember(connection)
        guard configuration.detectByContent else { return .ignore }
        let session = FTPSession(
            client: connection.originator, server: connection.responder, start: connection.firstTime,
            serial: connection.serial, limits: configuration.protocolLimits)
        session.startedMidstream = !connection.sawInitialSYN
        session.detectedByContent = true
        connection.context = ControlContext(session: session, probing: true)
        return .reassemble
    }

    public func connection(
        _ connection: TCPConnection, received data: UnsafeRawBufferPointer, from direction: Direction,
        at time: Timestamp
    ) {
        guard let control = connection.context as? ControlContext else {
            if let channel = connection.context as? DataContext, let sink = dataSink {
                let fromServer =
                    (direction == .originator) == (connection.originator.address == channel.session.server.address)
                sink.dataChannel(channel.transfer, of: channel.session, received: data, fromServer: fromServer, at: time)
            }
            return
        }
        let session = control.session
        session.end = time
        session.sawPayload = true
        let fromClient = (direction == .originator) == (session.client == connection.originator)
        if control.probing {
            probe(connection, control: control, data: data, fromClient: fromClient)
            if connection.context !== control { return }
        }
        defer { if control.probing && session.confirmed { control.probing = false } }
        var data = data
        if fromClient ? session.clientEncrypted : session.serverEncrypted {
            // A protected channel: skip its TLS records. If one side stops speaking TLS (CCC, RFC 4217 section
            // 12), what it sends next is clear text again and is parsed; each side returns on its own.
            let plainStart = fromClient ? session.clientTLS.consume(data) : session.serverTLS.consume(data)
            guard let plainStart else { return }
            resumeClearText(session, fromClient: fromClient, at: time)
            data = UnsafeRawBufferPointer(rebasing: data[plainStart...])
        } else if !control.probing && session.commands.isEmpty && !session.greetingSeen
            && session.validReplyLines == 0 && looksLikeTLSRecord(data)
        {
            // Implicit FTPS (port 990; RFC 4217 section 1 calls it deprecated, but servers still offer it): TLS
            // from the first byte. Nothing of the control channel is readable.
            session.implicitTLS = true
            confirm(session)
            startTLS(session, at: time)
            _ = fromClient ? session.clientTLS.consume(data) : session.serverTLS.consume(data)
            return
        }
        if fromClient {
            session.clientFramer.append(data) { line in handleClientLine(line, session: session, at: time) }
        } else {
            session.serverFramer.append(data) { line in handleServerLine(line, session: session, at: time) }
        }
    }

    /// The control channel is encrypted from now on (a 234 to AUTH, or implicit FTPS).
    private func startTLS(_ session: FTPSession, at time: Timestamp) {
        guard !session.clientEncrypted && !session.serverEncrypted else { return }
        session.tls = true
        session.clientEncrypted = true
        session.serverEncrypted = true
        if session.tlsTime == nil { session.tlsTime = time }
        session.clientTLS = TLSRecordSkipper()
        session.serverTLS = TLSRecordSkipper()
        protectedSessions.append(session)
        if session.confirmed { emit(.tlsStarted(session, time)) }
    }

    /// The channel left TLS (after CCC): parse it as text again, from a clean line start.
    private func resumeClearText(_ session: FTPSession, fromClient: Bool, at time: Timestamp) {
        if session.clearTextResumedAt == nil { session.clearTextResumedAt = time }
        if fromClient {
            session.clientEncrypted = false
            session.clientFramer = LineFramer(limits: configuration.protocolLimits)
        } else {
            session.serverEncrypted = false
            session.serverFramer = LineFramer(limits: configuration.protocolLimits)
            session.replies = ReplyAssembler(limits: configuration.protocolLimits)
        }
        if !session.clientEncrypted && !session.serverEncrypted { protectedSessions.removeAll { $0 === session } }
    }

    public func connection(
        _ connection: TCPConnection, gapAt offset: UInt64, length: UInt64, from direction: Direction,
        at time: Timestamp
    ) {
        guard let control = connection.context as? ControlContext else {
            if let data = connection.context as? DataContext, let sink = dataSink {
                let fromServer = (direction == .originator) == (connection.originator.address == data.session.server.address)
                sink.dataChannel(data.transfer, of: data.session, gapOf: length, fromServer: fromServer, at: time)
            }
            return
        }
        let session = control.session
        let fromClient = (direction == .originator) == (session.client == connection.originator)
        session.missingBytes += length
        if session.firstGapTime == nil { session.firstGapTime = time }
        if session.confirmed { emit(.gap(session, time: time, length: length, fromClient: fromClient)) }
        session.noteAnomaly(
            "\(length) bytes missing from the \(fromClient ? "client" : "server") side at offset \(offset)",
            at: time)
        // Resynchronise at the next line: what was cut off is unrecoverable, and a half line must not be
        // glued onto the next one.
        session.gapRepairBudget = FTPAnalyzer.gapRepairReplies
        // The partial line before the gap is lost. What follows the gap often starts a whole line (the missing
        // bytes were whole lines); keep that first line only if it parses as a command or a reply.
        if fromClient {
            session.unrepairedClientGaps += 1
            session.clientFramer = LineFramer(limits: configuration.protocolLimits)
            session.clientLineAfterGap = true
        } else {
            session.unrepairedServerGaps += 1
            session.serverFramer = LineFramer(limits: configuration.protocolLimits)
            session.replies = ReplyAssembler(limits: configuration.protocolLimits)
            session.serverLineAfterGap = true
        }
    }

    public func connectionClosed(_ connection: TCPConnection) {
        if let control = connection.context as? ControlContext {
            let session = control.session
            session.end = connection.lastTime
            session.connectionState = connection.state
            session.clientFramer.finish { line in handleClientLine(line, session: session, at: connection.lastTime) }
            session.serverFramer.finish { line in handleServerLine(line, session: session, at: connection.lastTime) }
            if let event = session.replies.finish() { handleReplyEvent(event, session: session, at: connection.lastTime) }
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
            if control.probing {
                // Never confirmed as FTP: forget it.
                liveSessions[ObjectIdentifier(session)] = nil
            } else if !session.confirmed && orig.bytes == 0 && resp.bytes == 0 {
                // Not a byte either way (a SYN flood, a scan, a refused connection): nothing to analyse or report.
                liveSessions[ObjectIdentifier(session)] = nil
            } else {
                endSession(session)
            }
        } else if let data = connection.context as? DataContext {
            data.transfer.liveConnections.removeAll { $0.0 === connection }
            let record = dataRecord(connection, match: data.match)
            if data.transfer.settled {
                // Settled (and delivered) when its session ended; keep the final state for whole-capture reports.
                if let index = data.transfer.connections.firstIndex(where: {
                    $0.originator == record.originator && $0.responder == record.responder
                        && $0.firstTime == record.firstTime
                }) {
                    data.transfer.connections[index] = record
                    DataChannelDiagnosis.settle(data.transfer, session: data.session)
                }
            } else {
                data.transfer.connections.append(record)
                if data.transfer.inferred {
                    settle(data.transfer, session: data.session)
                } else {
                    trySettle(data.transfer, session: data.session)
                }
            }
        }
        connection.context = nil
    }

    /// Records an ICMP destination-unreachable that quotes a TCP segment (a data SYN, typically).
    public func noteICMPUnreachable(_ message: ICMPUnreachable, at time: Timestamp) {
        if icmpByFlow.count < 10_000 {
            icmpByFlow[message.quotedFlow] = (message, time)
        }
    }

    // MARK: - Probing connections on other ports

    private func probe(_ connection: TCPConnection, control: ControlContext, data: UnsafeRawBufferPointer, fromClient: Bool)
    {
        let session = control.session
        control.probedBytes += data.count
        if !fromClient && session.validReplyLines == 0 && session.serverFramer.pendingByteCount == 0
            && session.bannerCode == nil
        {
            // The server speaks first in FTP (RFC 959 section 5.4: a 220 on connection). Anything else is not FTP.
            let greeting = data.prefix(4)
            let looksLikeGreeting =
                greeting.count >= 3 && greeting[greeting.startIndex] == UInt8(ascii: "2")
                && greeting[greeting.startIndex + 1] == UInt8(ascii: "2")
                && (greeting[greeting.startIndex + 2] == UInt8(ascii: "0"))
            let looksLikeDelay =
                greeting.count >= 3 && greeting[greeting.startIndex] == UInt8(ascii: "1")
                && greeting[greeting.startIndex + 1] == UInt8(ascii: "2")
                && greeting[greeting.startIndex + 2] == UInt8(ascii: "0")
            if !looksLikeGreeting && !looksLikeDelay {
                abandonProbe(connection)
                return
            }
        }
        if control.probedBytes > configuration.contentProbeBytes && !session.confirmed {
            abandonProbe(connection)
        }
    }

    private func abandonProbe(_ connection: TCPConnection) {
        if let control = connection.context as? ControlContext {
            liveSessions[ObjectIdentifier(control.session)] = nil
        }
        connection.context = nil
        connection.handling = .ignore
    }

    /// Called once a probed connection has shown a 220 greeting and an FTP command.
    private func confirmProbe(_ session: FTPSession) {
        stats.sessionsFoundByContent += 1
        liveSessions[ObjectIdentifier(session)] = session
    }

    // MARK: - Control lines

    private func handleClientLine(_ line: FTPLine, session: FTPSession, at time: Timestamp) {
        if session.clientEncrypted { return }
        let command = FTPCommand.parse(line)
        if line.bytes.isEmpty && !line.truncated { return }
        if session.clientLineAfterGap {
            session.clientLineAfterGap = false
            if !(command.isWellFormed && command.isKnown) { return }
        }
        if command.isWellFormed && command.isKnown {
            session.wellFormedCommands += 1
        } else {
            session.malformedCommands += 1
        }
        if !session.confirmed && session.greetingSeen && command.isWellFormed && command.isKnown {
            if session.detectedByContent { confirmProbe(session) }
            confirm(session)
        }
        var record = CommandRecord(time: time, verb: command.verb, argument: command.argument)
        record.user = session.user
        record.truncated = line.truncated
        if line.truncated {
            session.noteAnomaly(
                "command line of \(line.originalLength) bytes cut to \(line.bytes.count)", at: time)
        }
        if !command.isWellFormed {
            session.noteAnomaly("malformed command line: \(line.text.prefix(80))", at: time)
        }
        let index = session.commands.count
        session.commands.append(record)
        if session.pending.count >= configuration.maxPendingCommands {
            session.pending.removeFirst()
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

    private func applyCommand(_ index: Int, command: FTPCommand, session: FTPSession, at time: Timestamp) {
        switch command.verb {
        case "USER":
            session.user = command.argument
            session.loginAttempts.append(
                LoginAttempt(user: command.argument, time: time, password: nil, outcome: .unknown, replyCode: nil))
        case "PASS":
            if session.loginAttempts.isEmpty || session.loginAttempts[session.loginAttempts.count - 1].password != nil
            {
                // PASS without a USER before it (or a second PASS): still an attempt, user unknown.
                session.loginAttempts.append(
                    LoginAttempt(user: session.user ?? "", time: time, password: nil, outcome: .unknown, replyCode: nil))
            }
            session.loginAttempts[session.loginAttempts.count - 1].password = command.argument
        case "QUIT":
            session.quitSent = true
        case "REST":
            session.restOffset = UInt64(command.argument.trimmingCharacters(in: " \t"))
        case "TYPE":
            session.currentType = command.argument.uppercased()
        case "ABOR":
            // Only a transfer still running can be aborted; an ABOR after its final reply changes nothing.
            if let running = session.transfers.last(where: { $0.command != nil }), running.reply == nil {
                running.abortRequested = true
            }
        case "PORT", "EPRT", "LPRT":
            let parsed: Result<AnnouncedEndpoint, AnnouncementError>
            let mode: DataMode
            switch command.verb {
            case "PORT":
                parsed = DataChannelParser.parsePORT(command.argument)
                mode = .active
            case "EPRT":
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
                session.noteAnomaly("unparseable \(command.verb) argument \"\(command.argument.prefix(80))\": \(error)", at: time)
            }
            session.transfers.append(transfer)
            session.commands[index].transferIndex = session.transfers.count - 1
            if transfer.announced != nil { addExpectation(for: transfer, session: session, at: time) }
        default:
            if FTPCommandCatalog.dataTransferVerbs.contains(command.verb) {
                bindDataCommand(index, command: command, session: session, at: time)
            }
        }
    }

    private func bindDataCommand(_ index: Int, command: FTPCommand, session: FTPSession, at time: Timestamp) {
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
        if FTPCommandCatalog.takesPath(command.verb) || !command.argument.isEmpty {
            let argument = command.argument
            if !argument.isEmpty && !argument.hasPrefix("-") {
                transfer.path = ReplyParsing.resolvePath(argument, cwd: session.workingDirectory)
            } else if command.verb == "LIST" || command.verb == "NLST" || command.verb == "MLSD" {
                transfer.path = session.workingDirectory
            }
        }
        if command.verb == "RETR", let size = session.lastSize, size.path == transfer.path {
            transfer.expectedSize = size.size
        }
        session.commands[index].transferIndex = session.transfers.firstIndex { $0 === transfer }
    }

    private func handleServerLine(_ line: FTPLine, session: FTPSession, at time: Timestamp) {
        if session.serverEncrypted { return }
        if session.serverLineAfterGap {
            session.serverLineAfterGap = false
            if !ReplyPlausibility.startsReply(line.bytes) { return }
        }
        if let event = session.replies.push(line) {
            handleReplyEvent(event, session: session, at: time)
        }
    }

    private func handleReplyEvent(_ event: ReplyEvent, session: FTPSession, at time: Timestamp) {
        switch event {
        case .invalid(let line):
            session.invalidServerLines += 1
            session.noteAnomaly("invalid reply line: \(line.text.prefix(80))", at: time)
            // A line without a valid code where a reply is due is taken as that (malformed) reply, so the
            // replies after it still pair with the right commands.
            if session.confirmed, let head = session.pending.first {
                session.pending.removeFirst()
                session.commands[head].malformedReply = line.text
                flushCommands(session)
            }
        case .reply(let reply):
            session.validReplyLines += 1
            if reply.truncatedLines > 0 || !reply.isComplete {
                // A reply that never ends holds the whole server side; the cap keeps it bounded, this says so.
                session.noteAnomaly(
                    "multi-line \(reply.code) reply \(reply.isComplete ? "of" : "never closed after") \(reply.lines.count + reply.truncatedLines) lines; \(reply.truncatedLines) beyond maxReplyLines (\(configuration.protocolLimits.maxReplyLines)) not kept",
                    at: time)
            }
            let record = ReplyRecord(code: reply.code, text: reply.text, time: time)
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
            guard let head = session.pending.first else {
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
                    if transfer.command == "STOU", let name = Self.stouFileName(reply.text) {
                        transfer.path = ReplyParsing.resolvePath(name, cwd: session.workingDirectory)
                    }
                }
                return
            }
            var answered = head
            if (500...504).contains(reply.code), session.pending.count > 1, !session.commands[head].preliminary.isEmpty,
                FTPCommandCatalog.dataTransferVerbs.contains(session.commands[head].verb)
            {
                // A transfer that already got its 150 cannot end in a syntax error: the error answers the command
                // sent during the transfer (typically an ABOR the server did not take as urgent, RFC 959 4.1.3).
                answered = session.pending[1]
                session.pending.remove(at: 1)
            } else {
                session.pending.removeFirst()
            }
            session.commands[answered].reply = record
            // The command is delivered before what its reply settles (a transfer, a finding).
            flushCommands(session)
            applyReply(record, to: answered, session: session)
        }
    }

    /// A reply that answers no command seen. A 227/229/228 still announces a data endpoint: the PASV it
    /// answers was lost in a capture gap or sent before the capture began, so it is reconstructed.
    private func adoptOrphanReply(_ record: ReplyRecord, session: FTPSession) {
        session.unsolicitedReplies.append(record)
        if session.confirmed { emit(.reply(session, record)) }
        guard let lostVerb = [227: "PASV", 229: "EPSV", 228: "LPSV"][record.code] else { return }
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

    /// Replies after a gap during which pairing is checked.
    static let gapRepairReplies = 50

    /// After a capture gap a lost command still gets its reply, and a lost reply leaves its command waiting:
    /// pairing by order alone would then shift every later reply by one. A reply that cannot answer the
    /// command at the head of the queue is instead given to the command it can answer (replies lost) or kept as
    /// the answer to a lost command. Returns false when the reply answers no pending command.
    private func repairAfterGap(_ code: Int, session: FTPSession) -> Bool {
        session.gapRepairBudget -= 1
        if session.gapRepairBudget == 0 {
            session.unrepairedClientGaps = 0
            session.unrepairedServerGaps = 0
        }
        guard let head = session.pending.first else { return true }
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

    private func applyReply(_ reply: ReplyRecord, to index: Int, session: FTPSession) {
        let command = session.commands[index]
        let code = reply.code
        switch command.verb {
        case "USER", "PASS", "ACCT":
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
                    for finding in detectors.credentialFindings(for: session) { record(finding) }
                }
            } else if code >= 400 {
                session.loginAttempts[last].outcome = .failed
                session.loginAttempts[last].replyCode = code
            } else {
                session.loginAttempts[last].replyCode = code
            }
        case "PWD", "XPWD":
            if code == 257, let path = ReplyParsing.parse257Path(reply.text) { session.workingDirectory = path }
        case "CWD", "XCWD":
            if code >= 200 && code < 300 {
                let argument = command.argument
                if argument.hasPrefix("/") || session.workingDirectory != nil {
                    session.workingDirectory = ReplyParsing.resolvePath(argument, cwd: session.workingDirectory)
                }
            }
        case "CDUP", "XCUP":
            if code >= 200 && code < 300, let cwd = session.workingDirectory {
                session.workingDirectory = ReplyParsing.resolvePath("..", cwd: cwd)
            }
        case "SIZE":
            if code == 213, let size = ReplyParsing.parse213Size(reply.text) {
                session.lastSize = (ReplyParsing.resolvePath(command.argument, cwd: session.workingDirectory), size)
            }
        case "AUTH":
            // RFC 4217: 234 accepts AUTH TLS/SSL and the TLS handshake begins right after the reply.
            if code == 234 { startTLS(session, at: reply.time) }
        case "PASV", "EPSV", "LPSV":
            applyPassiveReply(reply, to: index, session: session)
        case "PORT", "EPRT", "LPRT":
            if let transferIndex = command.transferIndex {
                let transfer = session.transfers[transferIndex]
                transfer.announcementReply = reply
                if code >= 400 { removeExpectations(of: transfer) }
            }
        case "SITE":
            if let finding = detectors.siteFinding(session.commands[index], session: session), session.confirmed {
                record(finding)
            }
        default:
            if let transferIndex = command.transferIndex, FTPCommandCatalog.dataTransferVerbs.contains(command.verb) {
                session.transfers[transferIndex].reply = reply
                trySettle(session.transfers[transferIndex], session: session)
            }
        }
    }

    private func applyPassiveReply(
        _ reply: ReplyRecord, to index: Int, session: FTPSession, into existing: Transfer? = nil
    ) {
        let command = session.commands[index]
        if command.verb == "EPSV" && DataChannelParser.isEPSVAll(command.argument) { return }
        if existing == nil && !transferAllowed(session, at: reply.time) { return }
        let transfer = existing ?? Transfer()
        transfer.announcementVerb = command.verb
        transfer.announcedAt = command.time
        transfer.announcementReply = reply
        if existing == nil { session.transfers.append(transfer) }
        session.commands[index].transferIndex = session.transfers.firstIndex { $0 === transfer }
        let parsed: Result<AnnouncedEndpoint, AnnouncementError>
        switch command.verb {
        case "PASV":
            transfer.mode = .passive
            guard reply.code == 227 else { return }
            parsed = DataChannelParser.parse227(reply.text)
        case "EPSV":
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
    private func transferAllowed(_ session: FTPSession, at time: Timestamp) -> Bool {
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

    // MARK: - Expectations

    private func addExpectation(for transfer: Transfer, session: FTPSession, at time: Timestamp) {
        guard let endpoint = transfer.announced else { return }
        if session.confirmed {
            for finding in detectors.announcementFindings(transfer, session: session) { record(finding) }
        }
        if expectationCount >= configuration.maxExpectationsTotal {
            pruneExpectations(now: time)
            if expectationCount >= configuration.maxExpectationsTotal {
                stats.droppedExpectations += 1
                return
            }
        }
        session.expectationCount += 1
        if session.expectationCount > configuration.maxExpectationsPerSession {
            stats.droppedExpectations += 1
            if session.expectationCount == configuration.maxExpectationsPerSession + 1 {
                session.noteAnomaly(
                    "more than \(configuration.maxExpectationsPerSession) data-channel announcements; later ones not tracked",
                    at: time)
            }
            return
        }
        let expectation = Expectation(session: session, transfer: transfer, endpoint: endpoint, time: time)
        session.announcedEndpoints.append(endpoint)
        expectationsByEndpoint[endpoint, default: []].append(expectation)
        expectationsByPort[endpoint.port, default: []].append(expectation)
        expectationCount += 1
        // A SYN seen just before its announcement (capture reordering) is matched now.
        if let early = recentUnmatched.lastIndex(where: { matches($0, expectation) != nil }) {
            let connection = recentUnmatched.remove(at: early)
            if let match = matches(connection, expectation) {
                if let control = connection.context as? ControlContext, control.probing {
                    liveSessions[ObjectIdentifier(control.session)] = nil
                }
                attach(connection, to: transfer, session: session, match: match)
                connection.handling = dataHandling
            }
        }
    }

    /// An ended session's announcements can no longer be used: dropping them frees the session's memory
    /// (expectations hold it) so long captures stay flat.
    private func dropExpectations(of session: FTPSession) {
        for endpoint in session.announcedEndpoints {
            if let list = expectationsByEndpoint[endpoint] {
                let kept = list.filter { $0.session !== session }
                expectationCount -= list.count - kept.count
                expectationsByEndpoint[endpoint] = kept.isEmpty ? nil : kept
            }
            if let list = expectationsByPort[endpoint.port] {
                let kept = list.filter { $0.session !== session }
                expectationsByPort[endpoint.port] = kept.isEmpty ? nil : kept
            }
        }
        session.announcedEndpoints.removeAll()
    }

    private func removeExpectations(of transfer: Transfer) {
        guard let endpoint = transfer.announced else { return }
        let before = expectationsByEndpoint[endpoint]?.count ?? 0
        expectationsByEndpoint[endpoint]?.removeAll { $0.transfer === transfer }
        expectationsByPort[endpoint.port]?.removeAll { $0.transfer === transfer }
        expectationCount -= before - (expectationsByEndpoint[endpoint]?.count ?? 0)
    }

    private func pruneExpectations(now: Timestamp) {
        let lifetime = configuration.expectationLifetime
        expectationsByEndpoint = expectationsByEndpoint.compactMapValues { list in
            let kept = list.filter { $0.time.nanoseconds(to: now) <= lifetime }
            return kept.isEmpty ? nil : kept
        }
        expectationsByPort = expectationsByPort.compactMapValues { list in
            let kept = list.filter { $0.time.nanoseconds(to: now) <= lifetime }
            return kept.isEmpty ? nil : kept
        }
        expectationCount = expectationsByEndpoint.values.reduce(0) { $0 + $1.count }
    }

    private func inWindow(_ connection: TCPConnection, _ expectation: Expectation) -> Bool {
        let delta = expectation.time.nanoseconds(to: connection.firstTime)
        return delta >= -configuration.expectationLead && delta <= configuration.expectationLifetime
    }

    private func matches(_ connection: TCPConnection, _ expectation: Expectation) -> DataChannelMatch? {
        guard inWindow(connection, expectation) else { return nil }
        let session = expectation.session
        if connection.originator == session.client && connection.responder == session.server { return nil }
        if connection.responder == expectation.endpoint { return .exact }
        guard connection.responder.port == expectation.endpoint.port,
            let mode = expectation.transfer.mode
        else { return nil }
        // Same port, other address: NAT rewrote the announcement or the address it connects to, or the client
        // ignored a 227 address it could not reach (curl, lftp and FileZilla do). Only between the session's hosts.
        if mode.serverConnects {
            return connection.originator.address == session.server.address
                || connection.responder.address == session.client.address ? .portOnly : nil
        }
        return connection.originator.address == session.client.address
            || connection.responder.address == session.server.address ? .portOnly : nil
    }

    private func findExpectation(for connection: TCPConnection) -> (Expectation, DataChannelMatch)? {
        if let list = expectationsByEndpoint[connection.responder] {
            // Several sessions can announce the same endpoint over time (a server reuses its passive ports):
            // prefer, newest first, an unused announcement of the session whose hosts the connection joins,
            // then any of that session, then any at all.
            let candidates = list.filter { inWindow(connection, $0) }
            let own = candidates.filter { joinsHosts(connection, $0) }
            if let best = own.last(where: { !$0.used }) ?? own.last ?? candidates.last(where: { !$0.used })
                ?? candidates.last
            {
                return (best, .exact)
            }
        }
        if let candidates = expectationsByPort[connection.responder.port] {
            for expectation in candidates.reversed() {
                if let match = matches(connection, expectation) { return (expectation, match) }
            }
        }
        return nil
    }

    /// True when the connection's opener is the side of the expectation's session that should open it.
    private func joinsHosts(_ connection: TCPConnection, _ expectation: Expectation) -> Bool {
        let session = expectation.session
        let opener = expectation.transfer.mode?.serverConnects == true ? session.server.address : session.client.address
        return connection.originator.address == opener
    }

    private func attach(
        _ connection: TCPConnection, to transfer: Transfer, session: FTPSession, match: DataChannelMatch
    ) {
        stats.dataConnections += 1
        transfer.liveConnections.append((connection, match))
        connection.context = DataContext(transfer: transfer, session: session, match: match)
        for expectation in expectationsByEndpoint[transfer.announced ?? connection.responder] ?? []
        where expectation.transfer === transfer {
            expectation.used = true
        }
    }

    /// A protected session whose two hosts this connection joins: after AUTH TLS the announcements are
    /// unreadable, so a connection between the same hosts during the session is its probable data channel.
    private func protectedSession(for connection: TCPConnection) -> FTPSession? {
        guard !protectedSessions.isEmpty else { return nil }
        let hosts = (connection.originator.address, connection.responder.address)
        return protectedSessions.last { session in
            guard !session.ended, let since = session.tlsTime, connection.firstTime >= since else { return false }
            if connection.originator == session.client && connection.responder == session.server { return false }
            return (hosts.0 == session.client.address && hosts.1 == session.server.address)
                || (hosts.0 == session.server.address && hosts.1 == session.client.address)
        }
    }

    private func remember(_ connection: TCPConnection) {
        if recentUnmatched.count >= configuration.maxRecentUnmatched { recentUnmatched.removeFirst() }
        recentUnmatched.append(connection)
    }

    private func looksLikeTLSRecord(_ data: UnsafeRawBufferPointer) -> Bool {
        // A TLS handshake record: content type 22, version 3.x (RFC 8446 section 5.1).
        data.count >= 3 && data[0] == 0x16 && data[1] == 0x03 && data[2] <= 0x04
    }

    // MARK: - Finishing

    /// Says that the input is over: connections closed from now on end with the capture, not by going idle.
    /// Call just before `TCPReassembler.finish`.
    public func captureEnding() { captureEnded = true }

    /// Settles what is left after the reassembler has closed every connection (which ends every session).
    /// Call once, after `TCPReassembler.finish`.
    public func finish() {
        guard !finished else { return }
        finished = true
        // End what is still open in the order the connections appeared, so output is repeatable.
        for session in liveSessions.values.sorted(by: { ($0.start, $0.connectionSerial) < ($1.start, $1.connectionSerial) }) {
            endSession(session)
        }
        for finding in detectors.bruteforceFindings() { record(finding) }
        findings.sort { ($0.time, $0.severity.rank) < ($1.time, $1.severity.rank) }
    }

    // MARK: - Settling and events

    /// Counts a finding, keeps it for whole-capture reports (unless streaming), and delivers it.
    private func record(_ finding: Finding) {
        findingCounts[finding.severity, default: 0] += 1
        if configuration.retainSessions { findings.append(finding) }
        emit(.finding(finding))
    }

    private func emit(_ event: AnalysisEvent) {
        eventSink?.analysis(event)
    }

    /// Data connections are reassembled only when their payload is wanted (extraction); otherwise counted.
    private var dataHandling: StreamHandling { dataSink == nil ? .countOnly : .reassemble }

    /// What is known of a data connection now, with any ICMP error that answered its SYN.
    private func dataRecord(_ connection: TCPConnection, match: DataChannelMatch) -> DataConnectionRecord {
        var record = DataConnectionRecord(connection, match: match)
        if let icmp = icmpByFlow[FlowKey(source: connection.originator, destination: connection.responder)] {
            record.icmpReason = icmp.message.reason
            record.icmpReporter = icmp.message.reporter
            record.icmp = ICMPEvidence(
                type: icmp.message.isICMPv6 ? 1 : 3, code: icmp.message.code, isICMPv6: icmp.message.isICMPv6,
                reporter: icmp.message.reporter)
        }
        return record
    }

    /// Marks a session as FTP: it gets the next id and its greeting (if already seen) is delivered.
    private func confirm(_ session: FTPSession) {
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
        emit(.sessionStarted(session))
        if let code = session.bannerCode, let time = session.bannerTime {
            emit(.reply(session, ReplyRecord(code: code, text: session.banner ?? "", time: time)))
        }
        for reply in session.unsolicitedReplies { emit(.reply(session, reply)) }
        flushCommands(session)
    }

    /// Delivers, in order, the commands whose final reply is settled (all of them once the session ended).
    private func flushCommands(_ session: FTPSession) {
        guard session.confirmed else { return }
        while session.emittedCommands < session.commands.count {
            let command = session.commands[session.emittedCommands]
            let settled =
                command.reply != nil || command.malformedReply != nil || command.replyLost || session.ended
                || !session.pending.contains(session.emittedCommands)
            guard settled else { return }
            emit(.command(session, command))
            session.emittedCommands += 1
        }
    }

    /// Settles a transfer once its final reply and every data connection are in.
    private func trySettle(_ transfer: Transfer, session: FTPSession) {
        guard !transfer.settled, transfer.command != nil, transfer.reply != nil, transfer.liveConnections.isEmpty
        else { return }
        settle(transfer, session: session)
    }

    private func settle(_ transfer: Transfer, session: FTPSession) {
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
        dataSink?.dataChannelSettled(transfer, of: session)
        if session.confirmed {
            emit(.transfer(session, transfer))
            let index = session.transfers.lastIndex { $0 === transfer } ?? 0
            if let finding = detectors.dataChannelFinding(transfer, index: index, session: session) { record(finding) }
        }
    }

    /// The control connection ended: everything about the session is settled and delivered.
    private func endSession(_ session: FTPSession) {
        guard !session.ended else { return }
        if !session.confirmed && session.wellFormedCommands > 0 && session.validReplyLines > 0 { confirm(session) }
        session.ended = true
        liveSessions[ObjectIdentifier(session)] = nil
        dropExpectations(of: session)
        guard session.confirmed else {
            guard !session.detectedByContent, session.sawPayload else { return }
            stats.nonFTPControlConnections += 1
            let finding = Finding(
                kind: .protocolAnomaly, severity: .low, session: nil, time: session.start,
                summary: "connection \(session.client) -> \(session.server) on an FTP control port is not FTP",
                detail:
                    "No FTP greeting or command was seen on this connection; another protocol (SSH, telnet, a scanner) is using the FTP port, so it was not analysed as FTP.",
                evidence: [
                    ("client", .string(session.client.description)),
                    ("server", .string(session.server.description)),
                    ("invalid_lines", .int(Int64(session.invalidServerLines + session.malformedCommands))),
                ])
            record(finding)
            return
        }
        protectedSessions.removeAll { $0 === session }
        flushCommands(session)
        for transfer in session.transfers where !transfer.settled { settle(transfer, session: session) }
        for finding in detectors.findings(for: session) { record(finding) }
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
        if !icmpByFlow.isEmpty {
            // An ICMP error matters only to the SYN it answered; a minute later it never will.
            icmpByFlow = icmpByFlow.filter { $0.value.time.nanoseconds(to: now) < 60_000_000_000 }
        }
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

/// What the analysis attaches to a control connection.
final class ControlContext {
    let session: FTPSession
    var probing: Bool
    var probedBytes = 0

    init(session: FTPSession, probing: Bool) {
        self.session = session
        self.probing = probing
    }
}

/// What the analysis attaches to a data connection.
final class DataContext {
    let transfer: Transfer
    let session: FTPSession
    let match: DataChannelMatch

    init(transfer: Transfer, session: FTPSession, match: DataChannelMatch) {
        self.transfer = transfer
        self.session = session
        self.match = match
    }
}

/// An announced endpoint waiting for its connection.
final class Expectation {
    let session: FTPSession
    let transfer: Transfer
    let endpoint: Endpoint
    let time: Timestamp
    var used = false

    init(session: FTPSession, transfer: Transfer, endpoint: Endpoint, time: Timestamp) {
        self.session = session
        self.transfer = transfer
        self.endpoint = endpoint
        self.time = time
    }
}

extension StringProtocol {
    /// The text without the characters of `set` at either end (Foundation stays out of the analysis).
    func trimmingCharacters(in set: String) -> Substring {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return slice
    }
}

