import FTPAnalysis
import NetworkTypes
import TestSupport
import Testing

@Suite struct SessionTests {
    @Test func pipelinedCommandsPairWithTheirRepliesInOrder() throws {
        var control = ConversationBuilder(client: Hosts.client, server: Hosts.server)
        control.handshake()
        // Commands sent before the greeting and all at once (RFC 959 allows pipelining).
        control.clientSends("USER bob\r\nPASS pw\r\nSYST\r\nPWD\r\n")
        control.serverSends("220 hi\r\n331 need password\r\n230 ok\r\n215 UNIX Type: L8\r\n257 \"/home/bob\" is cwd\r\n")
        control.clientSends("QUIT\r\n")
        control.serverSends("221 bye\r\n")
        control.clientFIN()
        let analyzer = Harness().run(control.packets)
        let session = try #require(analyzer.sessions.first)
        #expect(session.banner == "hi")
        #expect(session.commands.map(\.verbText) == ["USER", "PASS", "SYST", "PWD", "QUIT"])
        #expect(session.commands.map { $0.reply?.code } == [331, 230, 215, 257, 221])
        #expect(session.workingDirectory == "/home/bob")
        #expect(session.login == .succeeded)
        #expect(session.endState == .quit)
    }

    @Test func byteByByteSegmentsGiveTheSameSession() throws {
        let script = "220 ready\r\n"
        var whole = ConversationBuilder(client: Hosts.client, server: Hosts.server)
        whole.handshake()
        whole.serverSends(script)
        whole.clientSends("user carol\r\npass x\r\ncwd /pub\r\n")
        whole.serverSends("331 ok\r\n230-welcome\r\n230-lines\r\n230 done\r\n250 CWD ok\r\n")
        var dripped = ConversationBuilder(client: Hosts.client, server: Hosts.server)
        dripped.handshake()
        for byte in script.utf8 { dripped.serverSends([byte]) }
        for byte in "user carol\r\npass x\r\ncwd /pub\r\n".utf8 { dripped.clientSends([byte]) }
        for byte in "331 ok\r\n230-welcome\r\n230-lines\r\n230 done\r\n250 CWD ok\r\n".utf8 { dripped.serverSends([byte]) }
        let a = try #require(Harness().run(whole.packets).sessions.first)
        let b = try #require(Harness().run(dripped.packets).sessions.first)
        #expect(a.commands.map(\.verbText) == ["USER", "PASS", "CWD"])
        #expect(a.commands.map(\.verbText) == b.commands.map(\.verbText))
        #expect(a.commands.map(\.argument) == b.commands.map(\.argument))
        #expect(a.commands.map { $0.reply?.code } == b.commands.map { $0.reply?.code })
        #expect(b.commands[1].reply?.text == "welcome\n230-lines\ndone")
        #expect(b.workingDirectory == "/pub")
    }

    @Test func loginOutcomes() throws {
        // USER then 331 and nothing more: unknown.
        var pending = ConversationBuilder(client: Hosts.client, server: Hosts.server)
        pending.handshake()
        pending.serverSends("220 x\r\n")
        pending.clientSends("USER dave\r\n")
        pending.serverSends("331 password\r\n")
        #expect(Harness().run(pending.packets).sessions.first?.login == .unknown)

        // PASS without USER is still an attempt.
        var passOnly = ConversationBuilder(client: Hosts.client, server: Hosts.server)
        passOnly.handshake()
        passOnly.serverSends("220 x\r\n")
        passOnly.clientSends("PASS guess\r\n")
        passOnly.serverSends("503 Login with USER first\r\n")
        let attempts = try #require(Harness().run(passOnly.packets).sessions.first?.loginAttempts)
        #expect(attempts.count == 1)
        #expect(attempts[0].password == "guess")
        #expect(attempts[0].outcome == .failed)

        // Account required (332), then ACCT accepted.
        var account = ConversationBuilder(client: Hosts.client, server: Hosts.server)
        account.handshake()
        account.serverSends("220 x\r\n")
        account.clientSends("USER erin\r\n")
        account.serverSends("331 pw\r\n")
        account.clientSends("PASS pw\r\n")
        account.serverSends("332 need account\r\n")
        account.clientSends("ACCT dept7\r\n")
        account.serverSends("230 ok\r\n")
        #expect(Harness().run(account.packets).sessions.first?.login == .succeeded)

        // No USER at all.
        var none = ConversationBuilder(client: Hosts.client, server: Hosts.server)
        none.handshake()
        none.serverSends("220 x\r\n")
        none.clientSends("SYST\r\n")
        none.serverSends("215 UNIX\r\n")
        #expect(Harness().run(none.packets).sessions.first?.login == LoginOutcome.none)
    }

    @Test func sshOnPort21IsNotASession() throws {
        var ssh = ConversationBuilder(client: Hosts.client, server: Hosts.server)
        ssh.handshake()
        ssh.serverSends("SSH-2.0-OpenSSH_9.2\r\n")
        ssh.clientSends("SSH-2.0-OpenSSH_9.2\r\n")
        ssh.clientSends([0, 0, 1, 0x2C, 0x0A, 0x14])
        ssh.clientFIN()
        let analyzer = Harness().run(ssh.packets)
        #expect(analyzer.sessions.isEmpty)
        #expect(analyzer.findings.contains { $0.kind == .protocolAnomaly && $0.session == nil })
        #expect(analyzer.stats.nonFTPControlConnections == 1)
    }

    @Test func ftpOnAnotherPortIsFoundByContent() throws {
        var control = ConversationBuilder(client: Hosts.client, server: Hosts.server(port: 2121))
        control.handshake()
        control.serverSends("220 alt port\r\n")
        control.clientSends("USER frank\r\n")
        control.serverSends("331 pw\r\n")
        let analyzer = Harness().run(control.packets)
        let session = try #require(analyzer.sessions.first)
        #expect(session.detectedByContent)
        #expect(session.user == "frank")
        // Without content detection it is ignored; with --ports 2121 it is FTP by port.
        var off = AnalysisConfiguration()
        off.detectByContent = false
        #expect(Harness(configuration: off).run(control.packets).sessions.isEmpty)
        var ported = AnalysisConfiguration()
        ported.controlPorts = [2121]
        #expect(Harness(configuration: ported).run(control.packets).sessions.first?.detectedByContent == false)
    }

    /// Probing judges the server's first parsed line, not its first bytes or segment: a greeting split as `2`,
    /// `20 ready`, CRLF is FTP; a first line that only starts like one (`2201 …`) or a 421 is not.
    @Test(arguments: [
        (["2", "20 ready", "\r\n"], true),
        (["120 soon\r\n220 ", "ready\r\n"], true),
        (["2201 no\r\n", "220 ready\r\n"], false),
        (["421 busy\r\n"], false),
    ])
    func probingDecidesOnTheFirstLine(serverChunks: [String], isFTP: Bool) {
        var control = ConversationBuilder(client: Hosts.client, server: Hosts.server(port: 2121))
        control.handshake()
        for chunk in serverChunks { control.serverSends(chunk) }
        control.clientSends("USER frank\r\n")
        control.serverSends("331 pw\r\n")
        let sessions = Harness().run(control.packets).sessions
        #expect(sessions.count == (isFTP ? 1 : 0))
        #expect(sessions.first?.user == (isFTP ? "frank" : nil))
    }

    @Test func httpOnAnotherPortIsIgnored() {
        var web = ConversationBuilder(client: Hosts.client, server: Hosts.server(port: 8080))
        web.handshake()
        web.clientSends("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        web.serverSends("HTTP/1.1 200 OK\r\n\r\n")
        #expect(Harness().run(web.packets).sessions.isEmpty)
    }

    /// A capture that begins mid-session has no greeting: the first reply confirms the session, and the command it
    /// answers is delivered with it (the confirmation, carried out first, delivered it without its reply, so the
    /// timeline's row lacked the reply the JSON document has).
    @Test func theReplyThatConfirmsASessionIsOnItsCommandsEvent() throws {
        var control = ConversationBuilder(client: Hosts.client, server: Hosts.server)
        control.clientSends("PWD\r\n")
        control.serverSends("257 \"/pub\" is the current directory\r\n")
        control.clientSends("NOOP\r\n")
        control.serverSends("200 ok\r\n")
        control.clientFIN()
        let harness = Harness()
        harness.run(control.packets)
        let replies = harness.events.compactMap { event -> Int? in
            guard case .command(let command) = event else { return nil }
            return command.record.reply?.code ?? 0
        }
        #expect(replies == [257, 200])
        #expect(harness.analyzer.sessions.first?.commands.first?.reply?.code == 257)
    }

    @Test func eventsArriveSettledAndInOrderWithinASession() throws {
        var control = ConversationBuilder.loggedIn()
        control.clientSends("NOOP\r\n")
        control.serverSends("200 ok\r\n")
        control.clientSends("QUIT\r\n")
        control.serverSends("221 bye\r\n")
        control.clientFIN()
        let harness = Harness()
        harness.run(control.packets)
        var kinds: [String] = []
        for event in harness.events {
            switch event {
            case .sessionStarted: kinds.append("start")
            case .reply: kinds.append("reply")
            case .command(let command): kinds.append(command.record.verbText)
            case .finding(let finding): kinds.append(finding.kind.rawValue)
            case .sessionEnded: kinds.append("end")
            default: kinds.append("other")
            }
        }
        // Credentials are reported at the accepted login, so time-ordered outputs need not wait for the end.
        #expect(kinds == ["start", "reply", "USER", "PASS", "cleartext_credentials", "NOOP", "QUIT", "end"])
        #expect(harness.analyzer.sessions.first?.id == "S1")
    }

    @Test func bruteforceThresholdIsConfigurable() {
        var frames: [(Timestamp, [UInt8])] = []
        for attempt in 0..<5 {
            var control = ConversationBuilder(
                client: Hosts.client(port: UInt16(41_000 + attempt)), server: Hosts.server,
                start: Timestamp(seconds: 1_714_557_600 + Int64(attempt * 10), nanoseconds: 0))
            control.handshake()
            control.serverSends("220 x\r\n")
            control.clientSends("USER admin\r\n")
            control.serverSends("331 pw\r\n")
            control.clientSends("PASS try\(attempt)\r\n")
            control.serverSends("530 no\r\n")
            control.clientFIN()
            frames += control.packets
        }
        var configuration = AnalysisConfiguration()
        configuration.bruteforceThreshold = 5
        let analyzer = Harness(configuration: configuration).run(frames)
        #expect(analyzer.sessions.count == 5)
        #expect(analyzer.findings.filter { $0.kind == .bruteforce }.count == 1)
        #expect(Harness().run(frames).findings.allSatisfy { $0.kind != .bruteforce })
    }

    /// A TLS record of `length` opaque bytes (RFC 8446 section 5.1 framing).
    static func tlsRecord(type: UInt8 = 23, length: Int) -> [UInt8] {
        [type, 3, 3, UInt8(length >> 8), UInt8(length & 0xFF)] + [UInt8](repeating: 0xA5, count: length)
    }

    @Test func tlsHidesTheChannelAndCCCReturnsToClearText() throws {
        var control = ConversationBuilder(client: Hosts.client, server: Hosts.server)
        control.handshake()
        control.serverSends("220 x\r\n")
        control.clientSends("AUTH TLS\r\n")
        control.serverSends("234 go ahead\r\n")
        // The handshake and protected commands, split across segments at awkward places.
        let clientRecords = Self.tlsRecord(type: 22, length: 300) + Self.tlsRecord(length: 40) + Self.tlsRecord(length: 41)
        control.clientSends(Array(clientRecords[0..<7]))
        control.clientSends(Array(clientRecords[7...]))
        control.serverSends(Self.tlsRecord(type: 22, length: 1200) + Self.tlsRecord(length: 30))
        // After CCC (RFC 4217 section 12) both sides close TLS and talk in clear again.
        control.clientSends(Self.tlsRecord(type: 21, length: 2) + Array("PWD\r\n".utf8))
        control.serverSends(Self.tlsRecord(type: 21, length: 2) + Array("257 \"/\"\r\n".utf8))
        let analyzer = Harness().run(control.packets)
        let session = try #require(analyzer.sessions.first)
        #expect(session.tls)
        #expect(session.clearTextResumedAt != nil)
        #expect(session.commands.map(\.verbText) == ["AUTH", "PWD"])
        #expect(session.commands.last?.reply?.code == 257)
        #expect(session.loginAttempts.isEmpty)
        #expect(analyzer.findings.contains { $0.kind == .tlsProtected })
    }

    @Test func implicitTLSOnPort990IsProtectedNotGarbage() throws {
        var control = ConversationBuilder(client: Hosts.client, server: Hosts.server(port: 990))
        control.handshake()
        control.clientSends(Self.tlsRecord(type: 22, length: 200))
        control.serverSends(Self.tlsRecord(type: 22, length: 900))
        control.clientSends(Self.tlsRecord(length: 60))
        let analyzer = Harness().run(control.packets)
        let session = try #require(analyzer.sessions.first)
        #expect(session.implicitTLS)
        #expect(session.commands.isEmpty)
        #expect(analyzer.findings.map(\.kind) == [.tlsProtected])
    }

    @Test func riskyCommandsAreFindings() {
        var control = ConversationBuilder.loggedIn(user: "root")
        control.clientSends("SITE EXEC /bin/id\r\n")
        control.serverSends("200 uid=0(root)\r\n")
        let findings = Harness().run(control.packets).findings.filter { $0.kind == .riskyCommand }
        #expect(findings.count == 2)
        #expect(findings.allSatisfy { $0.severity == .high })
    }
}
