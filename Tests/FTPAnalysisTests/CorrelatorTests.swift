@testable import FTPAnalysis
import FTPProtocol
import NetworkTypes
import TCPReassembly
import Testing

/// The data-channel correlator on its own: announcements and connection values in, matches and settled verdicts
/// out (no pcap).
@Suite struct CorrelatorTests {
    static let start = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)
    static let client = Endpoint(address: .v4(192, 0, 2, 10), port: 40_000)
    static let server = Endpoint(address: .v4(198, 51, 100, 21), port: 21)

    /// A correlator holding one passive announcement of `announced` by a session between `client` and `server`.
    static func announced(_ announced: Endpoint) -> (DataChannelCorrelator, FTPSession, FTPAnalysis.Expectation) {
        let correlator = DataChannelCorrelator(configuration: AnalysisConfiguration())
        let session = FTPSession(client: client, server: server, start: start, serial: 1)
        let transfer = Transfer.make()
        transfer.mode = .passive
        transfer.announced = announced
        let expectation = FTPAnalysis.Expectation(session: session, transfer: transfer, endpoint: announced, time: start)
        // Filed as `DataChannelCorrelator.announce` files it: the session's transfer, counted by the session.
        session.transfers.append(transfer)
        session.expectationCount += 1
        correlator.add(expectation)
        return (correlator, session, expectation)
    }

    static func connection(from originator: Endpoint, to responder: Endpoint, afterSeconds: Int64 = 1)
        -> DataConnectionAttempt
    {
        DataConnectionAttempt(
            originator: originator, responder: responder, firstTime: start.adding(nanoseconds: afterSeconds * 1_000_000_000))
    }

    @Test func exactEndpointMatches() throws {
        let data = Endpoint(address: .v4(198, 51, 100, 21), port: 40_010)
        let (correlator, _, expectation) = Self.announced(data)
        let (found, match) = try #require(
            correlator.findExpectation(for: Self.connection(from: Endpoint(address: .v4(192, 0, 2, 10), port: 40_001), to: data)))
        // The one filed (an expectation is a value: the same session, transfer, endpoint and time).
        #expect(found.session === expectation.session && found.transfer === expectation.transfer)
        #expect(found.endpoint == expectation.endpoint && found.time == expectation.time)
        #expect(match == .exact)
    }

    /// The server announced an internal address; the client connected to the same port on the server's public
    /// one: matched on the port alone, between the session's hosts only.
    @Test func samePortOtherAddressIsPortOnlyBetweenTheSessionsHosts() throws {
        let (correlator, _, _) = Self.announced(Endpoint(address: .v4(10, 0, 0, 5), port: 40_010))
        let natted = Endpoint(address: .v4(198, 51, 100, 21), port: 40_010)
        let fromClient = Self.connection(from: Endpoint(address: .v4(192, 0, 2, 10), port: 40_001), to: natted)
        #expect(correlator.findExpectation(for: fromClient)?.1 == .portOnly)
        let stranger = Self.connection(
            from: Endpoint(address: .v4(203, 0, 113, 9), port: 40_001), to: Endpoint(address: .v4(203, 0, 113, 80), port: 40_010))
        #expect(correlator.findExpectation(for: stranger) == nil)
    }

    @Test func connectionOutsideTheWindowOrAfterTheSessionEndedIsNotMatched() {
        let data = Endpoint(address: .v4(198, 51, 100, 21), port: 40_010)
        let (correlator, session, _) = Self.announced(data)
        let late = Self.connection(
            from: Endpoint(address: .v4(192, 0, 2, 10), port: 40_001), to: data,
            afterSeconds: AnalysisConfiguration().expectationLifetime / 1_000_000_000 + 10)
        #expect(correlator.findExpectation(for: late) == nil)
        correlator.dropExpectations(of: session)
        #expect(correlator.expectationCount == 0)
        #expect(correlator.findExpectation(for: Self.connection(from: Endpoint(address: .v4(192, 0, 2, 10), port: 40_001), to: data)) == nil)
    }
}

// MARK: - Event sequences ending in a verdict

/// A data connection as the analyzer holds it while open: the correlator reads its current state only when a
/// session ends before it closes.
private final class FakeConnection: LiveDataConnection {
    var record: DataConnectionRecord
    init(_ record: DataConnectionRecord) { self.record = record }
    func snapshot(match: DataChannelMatch) -> DataConnectionRecord {
        var record = record
        record.match = match
        return record
    }
}

/// One control session and its correlator, driven by the events the analyzer would hand it; collects what the
/// correlator asks the analyzer to do.
private final class Script {
    static let start = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)
    let correlator = DataChannelCorrelator(configuration: AnalysisConfiguration())
    let session: FTPSession
    var settled: [Transfer] = []
    var released = 0

    init(client: IPAddress = .v4(192, 0, 2, 10), server: IPAddress = .v4(198, 51, 100, 21)) {
        session = FTPSession(
            client: Endpoint(address: client, port: 40_000), server: Endpoint(address: server, port: 21),
            start: Self.start, serial: 1)
        session.confirmed = true
    }

    static func at(_ seconds: Int64) -> Timestamp { start.adding(nanoseconds: seconds * 1_000_000_000) }

    func perform(_ action: CorrelationAction) {
        switch action {
        case .settled(let transfer, let session):
            #expect(session === self.session)
            settled.append(transfer)
        case .release:
            released += 1
        }
    }

    /// PORT/EPRT (the client names `endpoint`) or PASV/EPSV (the server does), accepted with `replyCode`.
    @discardableResult
    func announce(_ mode: DataMode, _ endpoint: Endpoint, verb: FTPVerb, replyCode: Int, at seconds: Int64 = 1)
        -> AnnouncementOutcome
    {
        let transfer = Transfer.make()
        transfer.mode = mode
        transfer.announcementVerb = verb
        transfer.announcedAt = Self.at(seconds)
        transfer.announced = endpoint
        transfer.announcementReply = ReplyRecord(code: replyCode, text: "\(replyCode) ok", time: Self.at(seconds))
        session.transfers.append(transfer)
        return correlator.announce(transfer, session: session, at: Self.at(seconds))
    }

    var transfer: Transfer { session.transfers.last! }

    /// The data command bound to the open announcement (the session machine's part, done by hand here).
    func command(_ verb: FTPVerb, _ argument: String = "file.bin", at seconds: Int64 = 2) {
        transfer.command = verb
        transfer.argument = argument
        transfer.commandTime = Self.at(seconds)
    }

    func finalReply(_ code: Int, _ text: String, at seconds: Int64 = 5) {
        transfer.reply = ReplyRecord(code: code, text: text, time: Self.at(seconds))
        correlator.finalReply(for: transfer, session: session, perform)
    }

    /// A data connection from `originator` to `responder` as it opens.
    func open(_ originator: Endpoint, _ responder: Endpoint, at seconds: Int64 = 2, onControlPort: Bool = false)
        -> (FakeConnection, DataChannelAttachment?)
    {
        let attempt = DataConnectionAttempt(originator: originator, responder: responder, firstTime: Self.at(seconds))
        let tcp = TCPConnection.make(
            originator: originator, responder: responder, sawInitialSYN: true, firstTime: Self.at(seconds), serial: 2)
        let connection = FakeConnection(DataConnectionRecord.of(tcp, match: .exact))
        return (connection, correlator.connectionOpened(attempt, connection, onControlPort: onControlPort))
    }

    /// The connection closes in `state` having carried `bytes` from its responder.
    func close(
        _ connection: FakeConnection, _ attachment: DataChannelAttachment, state: ConnectionState, syns: Int = 1,
        responderBytes: UInt64 = 0, originatorBytes: UInt64 = 0, responderReset: Bool = false, at seconds: Int64 = 4
    ) {
        var record = connection.record
        record.state = state
        record.synAttempts = syns
        record.responderBytes = responderBytes
        record.originatorBytes = originatorBytes
        record.responderReset = responderReset
        record.lastTime = Self.at(seconds)
        record.match = attachment.context.match
        correlator.connectionClosed(record, connection, of: attachment.context, perform)
    }
}

@Suite struct CorrelatorVerdictTests {
    static let clientData = Endpoint(address: .v4(192, 0, 2, 10), port: 50_000)
    static let serverData = Endpoint(address: .v4(198, 51, 100, 21), port: 40_010)
    static let serverActivePort = Endpoint(address: .v4(198, 51, 100, 21), port: 20)

    /// PORT accepted, RETR, and the server says 425 with no SYN in the capture: the server never tried (or its
    /// SYN died before the capture point).
    @Test func activeAnnouncementWithoutConnectionAnd425IsNotSeen() throws {
        let script = Script()
        script.announce(.active, Self.clientData, verb: .port, replyCode: 200)
        script.command(.retr)
        script.finalReply(425, "Can't open data connection.")
        let transfer = try #require(script.settled.first)
        #expect(script.settled.count == 1)
        #expect(transfer.verdict.status == .notSeen)
        // The client's own public address: nothing points at NAT or a third host.
        #expect(transfer.verdict.cause == .unknown)
        let evidence = transfer.verdict.evidence
        #expect(evidence.synAttempts == 0)
        #expect(evidence.announced == Self.clientData)
        #expect(evidence.observed == nil)
        #expect(evidence.announcedAddress == .own)
        #expect(evidence.reply == ReplyLine(code: 425, text: "Can't open data connection."))
        #expect(evidence.mode == .active)
        #expect(evidence.vantage == .unknown)
    }

    /// PORT accepted, the server's SYNs unanswered, 425: the client's firewall dropped them.
    @Test func activeConnectionUnansweredIsClientFirewall() throws {
        let script = Script()
        script.announce(.active, Self.clientData, verb: .port, replyCode: 200)
        script.command(.retr)
        let (connection, attachment) = script.open(Self.serverActivePort, Self.clientData)
        let attached = try #require(attachment)
        #expect(attached.context.match == .exact)
        #expect(attached.routing == .payload)
        script.close(connection, attached, state: .s0, syns: 3)
        #expect(script.settled.isEmpty, "settles only once the final reply is in")
        script.finalReply(425, "Can't open data connection.")
        let transfer = try #require(script.settled.first)
        #expect(transfer.verdict.status == .unanswered)
        #expect(transfer.verdict.cause == .clientFirewall)
        #expect(transfer.verdict.evidence.synAttempts == 3)
        #expect(transfer.verdict.evidence.observed == Self.clientData)
        #expect(transfer.verdict.evidence.resetBy == nil)
    }

    @Test func passiveConnectionCompletedAnd226IsCompleted() throws {
        let script = Script()
        script.announce(.passive, Self.serverData, verb: .pasv, replyCode: 227)
        script.command(.retr)
        let (connection, attachment) = script.open(Self.clientData, Self.serverData)
        let attached = try #require(attachment)
        script.finalReply(226, "Transfer complete.", at: 3)
        #expect(script.settled.isEmpty, "the data connection is still open")
        script.close(connection, attached, state: .sf, responderBytes: 4_096)
        let transfer = try #require(script.settled.first)
        #expect(transfer.verdict.status == .completed)
        #expect(transfer.verdict.cause == nil)
        #expect(transfer.verdict.evidence.observed == Self.serverData)
        #expect(transfer.verdict.evidence.announced == Self.serverData)
        #expect(transfer.verdict.evidence.synAttempts == 1)
        #expect(transfer.bytes == 4_096)
        // Nothing to explain: the wording facts stay empty.
        #expect(transfer.verdict.evidence.mode == nil)
    }

    /// The client's SYN to the passive port answered by a RST: refused at the server, the port is blocked.
    @Test func synThenRSTIsRefused() throws {
        let script = Script()
        script.announce(.extendedPassive, Self.serverData, verb: .epsv, replyCode: 229)
        script.command(.list, "")
        let (connection, attachment) = script.open(Self.clientData, Self.serverData)
        script.close(connection, try #require(attachment), state: .rej, responderReset: true)
        script.finalReply(425, "Failed to establish connection.")
        let transfer = try #require(script.settled.first)
        #expect(transfer.verdict.status == .refused)
        #expect(transfer.verdict.cause == .passivePortBlocked)
        #expect(transfer.verdict.evidence.resetBy == .server)
        #expect(transfer.verdict.evidence.announcedAddress == .own)
    }

    /// The capture holds the client's SYN before the 227 that announced its port (reordering between
    /// interfaces): it is remembered, and matched when the announcement arrives.
    @Test func synBeforeItsAnnouncementIsStillMatched() throws {
        let script = Script()
        let (connection, attachment) = script.open(Self.clientData, Self.serverData, at: 1)
        #expect(attachment == nil)
        #expect(script.correlator.recentUnmatched.count == 1)
        let outcome = script.announce(.passive, Self.serverData, verb: .pasv, replyCode: 227, at: 1)
        guard case .filed(let early?) = outcome else {
            Issue.record("the early SYN was not matched: \(outcome)")
            return
        }
        #expect(early.connection === connection)
        #expect(early.attachment.context.transfer === script.transfer)
        #expect(early.attachment.context.match == .exact)
        #expect(script.correlator.recentUnmatched.isEmpty)
        script.command(.retr, at: 2)
        script.close(connection, early.attachment, state: .sf, responderBytes: 100)
        script.finalReply(226, "Transfer complete.")
        #expect(script.settled.first?.verdict.status == .completed)
    }

    /// A connection on a control port is never held for a later announcement.
    @Test func connectionOnAControlPortIsNotRemembered() {
        let script = Script()
        _ = script.open(Self.clientData, Self.serverData, onControlPort: true)
        #expect(script.correlator.recentUnmatched.isEmpty)
    }

    /// A firewall answered the client's SYN with ICMP administratively prohibited: refused, with the ICMP message
    /// as evidence.
    @Test func icmpUnreachableOnTheSYNIsRefusedWithItsEvidence() throws {
        let script = Script()
        script.announce(.passive, Self.serverData, verb: .pasv, replyCode: 227)
        script.command(.stor)
        let firewall = IPAddress.v4(198, 51, 100, 1)
        let (connection, attachment) = script.open(Self.clientData, Self.serverData)
        script.correlator.noteICMPUnreachable(
            ICMPUnreachable(
                reporter: firewall, quotedFlow: FlowKey(source: Self.clientData, destination: Self.serverData),
                quotedSeq: SeqNumber(1), isICMPv6: false, code: 13),
            at: Script.at(2))
        script.close(connection, try #require(attachment), state: .s0, syns: 1)
        script.finalReply(425, "Failed to establish connection.")
        let transfer = try #require(script.settled.first)
        #expect(transfer.verdict.status == .refused)
        #expect(transfer.verdict.cause == .passivePortBlocked)
        let icmp = try #require(transfer.verdict.evidence.icmp)
        #expect(icmp.type == 3)
        #expect(icmp.code == 13)
        #expect(icmp.isICMPv6 == false)
        #expect(icmp.reporter == firewall)
        #expect(transfer.connections.first?.icmpReporter == firewall)
    }

    /// The client announces its private address while its control connection comes from a public one: a NAT
    /// without an FTP helper, seen between it and the server.
    @Test func privateAnnouncementFromAPublicClientIsNATWithoutALG() throws {
        let script = Script(client: .v4(203, 0, 113, 7))
        let privateData = Endpoint(address: .v4(10, 0, 0, 5), port: 50_000)
        script.announce(.active, privateData, verb: .port, replyCode: 200)
        script.command(.retr)
        let (connection, attachment) = script.open(Self.serverActivePort, privateData)
        script.close(connection, try #require(attachment), state: .s0, syns: 2)
        script.finalReply(425, "Can't open data connection.")
        let transfer = try #require(script.settled.first)
        #expect(transfer.verdict.status == .unanswered)
        #expect(transfer.verdict.cause == .natWithoutALG)
        #expect(transfer.verdict.evidence.announcedAddress == .behindNAT)
        #expect(transfer.verdict.evidence.vantage == .between)
        #expect(transfer.verdict.evidence.announced == privateData)
        #expect(transfer.verdict.evidence.client == .v4(203, 0, 113, 7))
    }

    /// PORT naming a public third host (RFC 2577 section 3): a bounce.
    @Test func thirdHostAnnouncementIsBounce() throws {
        let script = Script()
        let victim = Endpoint(address: .v4(203, 0, 113, 80), port: 25)
        script.announce(.active, victim, verb: .port, replyCode: 200)
        script.command(.retr, "mail.txt")
        let (connection, attachment) = script.open(Self.serverActivePort, victim)
        script.close(connection, try #require(attachment), state: .s0, syns: 3)
        script.finalReply(425, "Can't open data connection.")
        let transfer = try #require(script.settled.first)
        #expect(transfer.verdict.status == .unanswered)
        #expect(transfer.verdict.cause == .bounce)
        #expect(transfer.verdict.evidence.announcedAddress == .thirdHost)
        #expect(transfer.verdict.evidence.announced == victim)
    }

    /// After AUTH TLS the announcements are unreadable: a connection between the session's hosts is inferred as
    /// a data channel, counted only, and settled when it closes; refused, its cause is the hidden announcement.
    @Test func tlsProtectedSessionGetsAnInferredTransfer() throws {
        let script = Script()
        script.session.tlsTime = Script.at(1)
        script.session.tls = true
        script.correlator.sessionProtected(script.session)
        let (connection, attachment) = script.open(Self.clientData, Self.serverData, at: 3)
        let attached = try #require(attachment)
        #expect(attached.routing == .countOnly)
        #expect(attached.context.match == .inferred)
        let transfer = script.transfer
        #expect(transfer.inferred)
        #expect(transfer.mode == .passive)
        script.close(connection, attached, state: .rej, responderReset: true)
        #expect(script.settled.first === transfer)
        #expect(transfer.verdict.status == .refused)
        #expect(transfer.verdict.cause == .tlsHidesAnnouncement)
        #expect(transfer.verdict.evidence.announced == nil)
        #expect(transfer.verdict.evidence.observed == Self.serverData)
    }

    /// After CCC both directions are clear text again: announcements are readable, nothing more is inferred.
    @Test func clearTextAgainEndsInference() {
        let script = Script()
        script.session.tlsTime = Script.at(1)
        script.correlator.sessionProtected(script.session)
        script.correlator.sessionInClearText(script.session)
        #expect(script.open(Self.clientData, Self.serverData, at: 3).1 == nil)
        #expect(script.session.transfers.isEmpty)
    }

    /// The session ends with an announcement nothing used: settled then, its expectation dropped.
    @Test func sessionEndingWithAnOpenExpectationSettlesIt() throws {
        let script = Script()
        script.announce(.passive, Self.serverData, verb: .pasv, replyCode: 227)
        #expect(script.correlator.expectationCount == 1)
        script.session.end = Script.at(1)
        script.correlator.sessionEnded(script.session, script.perform)
        let transfer = try #require(script.settled.first)
        #expect(transfer.settled)
        #expect(script.correlator.expectationCount == 0)
        // Quit at once after the 227: the client never tried it.
        #expect(transfer.verdict.status == .unused)
        #expect(transfer.verdict.cause == nil)
        script.correlator.sessionEnded(script.session, script.perform)
        #expect(script.settled.count == 1, "settled once")
    }

    /// The session ends while a data connection is still open: the transfer is settled with the connection as it
    /// is now, and the connection lets go of it; its close later updates the record without a second delivery.
    @Test func sessionEndingDuringATransferSettlesWithTheOpenConnection() throws {
        let script = Script()
        script.announce(.passive, Self.serverData, verb: .pasv, replyCode: 227)
        script.command(.retr)
        let (connection, attachment) = script.open(Self.clientData, Self.serverData)
        connection.record.state = .s1
        connection.record.responderBytes = 1_000
        connection.record.endedWithoutClose = true
        script.session.end = Script.at(6)
        script.correlator.sessionEnded(script.session, script.perform)
        let transfer = try #require(script.settled.first)
        #expect(script.released == 1)
        #expect(transfer.connections.count == 1)
        #expect(transfer.verdict.status == .incomplete)
        #expect(transfer.verdict.cause == .captureIncomplete)
        script.close(connection, try #require(attachment), state: .sf, responderBytes: 2_000, at: 7)
        #expect(script.settled.count == 1)
        #expect(transfer.connections.first?.responderBytes == 2_000)
    }

    /// A refused PORT (`500 Illegal PORT command`) is withdrawn: the server's later SYN to it matches nothing.
    @Test func refusedAnnouncementIsWithdrawn() {
        let script = Script()
        script.announce(.active, Self.clientData, verb: .port, replyCode: 500)
        script.correlator.announcementRefused(script.transfer)
        #expect(script.correlator.expectationCount == 0)
        #expect(script.open(Self.serverActivePort, Self.clientData).1 == nil)
    }
}
