import FTPProtocol
import NetworkTypes
import Testing

@testable import FTPAnalysis

/// Each detector on hand-built analysis events: no capture, no analyzer, only the facts a detector subscribes to.
@Suite struct DetectorTests {
    static func time(_ seconds: Int64) -> Timestamp { Timestamp(seconds: 1_700_000_000 + seconds, nanoseconds: 0) }

    static func session(
        _ id: String = "S1", client: String = "198.51.100.7", server: String = "203.0.113.5"
    ) -> FTPSession {
        let session = FTPSession(
            client: Endpoint(address: IPAddress(client)!, port: 40_000),
            server: Endpoint(address: IPAddress(server)!, port: 21), start: time(0), serial: 1, limits: FTPLimits())
        session.id = id
        session.confirmed = true
        return session
    }

    static func login(_ user: String, at seconds: Int64, _ outcome: LoginOutcome, password: String? = "secret")
        -> LoginAttempt
    {
        LoginAttempt(user: user, time: time(seconds), password: password, outcome: outcome, replyCode: nil)
    }

    static func announcement(_ mode: DataMode, _ address: String, verb: FTPVerb, port: UInt16 = 50_000) -> Transfer {
        let transfer = Transfer.make()
        transfer.mode = mode
        transfer.announcementVerb = verb
        transfer.announced = Endpoint(address: IPAddress(address)!, port: port)
        transfer.announcedAt = time(5)
        return transfer
    }

    static func run<D: FindingDetector>(_ detector: inout D, _ events: [DetectorEvent]) -> [Finding] {
        var found: [Finding] = []
        for event in events { detector.observe(event, into: &found) }
        return found
    }

    // MARK: - Brute force (AnalysisConfiguration's default: 10 failures within 600 s)

    static func failingSession(_ id: String, at seconds: [Int64], thenSucceeds: Int64? = nil) -> FTPSession {
        let session = session(id)
        session.loginAttempts = seconds.map { login("admin", at: $0, .failed) }
        if let success = thenSucceeds { session.loginAttempts.append(login("admin", at: success, .succeeded)) }
        return session
    }

    static var bruteforce: BruteforceDetector {
        let configuration = AnalysisConfiguration()
        return BruteforceDetector(threshold: configuration.bruteforceThreshold, window: configuration.bruteforceWindow)
    }

    @Test func tenFailuresInsideTheWindowAreOneRunReportedAtTheEnd() {
        var detector = Self.bruteforce
        // The window is inclusive: the first and the tenth failure exactly 600 s apart still count together.
        let session = Self.failingSession("S1", at: Array(stride(from: 0, through: 480, by: 60)) + [600])
        #expect(Self.run(&detector, [.sessionEnded(session)]).isEmpty, "nothing before the analysis ends")
        let found = Self.run(&detector, [.analysisFinished(end: Self.time(700))])
        #expect(found.map(\.kind) == [.bruteforce])
        #expect(found.first?.time == Self.time(700), "dated when the capture ended, with the run still going")
        let evidence = Dictionary(uniqueKeysWithValues: found.first?.evidence.map { ($0.0, "\($0.1)") } ?? [])
        #expect(evidence["first"]?.contains(Self.time(0).iso8601) == true, "\(evidence)")
        #expect(evidence["crossed"]?.contains(Self.time(600).iso8601) == true, "the tenth failure")
        #expect(evidence["last"]?.contains(Self.time(600).iso8601) == true)
        #expect(found.first?.severity == .high)
        #expect(found.first?.session == "S1")
    }

    @Test func nineFailuresOrTenSpreadPastTheWindowAreNoRun() {
        var nine = Self.bruteforce
        _ = Self.run(&nine, [.sessionEnded(Self.failingSession("S1", at: Array(stride(from: 0, through: 480, by: 60))))])
        #expect(Self.run(&nine, [.analysisFinished(end: nil)]).isEmpty)
        var spread = Self.bruteforce
        // 601 s after the first failure, the first no longer counts: nine in the window.
        let session = Self.failingSession("S1", at: Array(stride(from: 0, through: 480, by: 60)) + [601])
        #expect(Self.run(&spread, [.sessionEnded(session), .analysisFinished(end: nil)]).isEmpty)
    }

    @Test func failuresAcrossSessionsCountAndALaterSuccessIsNamed() {
        var detector = Self.bruteforce
        let first = Self.failingSession("S1", at: [0, 10, 20, 30, 40])
        let second = Self.failingSession("S2", at: [50, 60, 70, 80, 90, 100], thenSucceeds: 110)
        let found = Self.run(&detector, [.sessionEnded(first), .sessionEnded(second), .analysisFinished(end: nil)])
        #expect(found.count == 1)
        guard case .bruteforce(let failures, _, _, let success) = found.first?.facts else {
            Issue.record("expected a brute-force finding, got \(found.map(\.kind))")
            return
        }
        #expect(failures == 11, "every failure of the run, not only the ten that crossed the threshold")
        #expect(success?.session == "S2")
        #expect(found.first?.session == "S2", "the session where the threshold was crossed")
    }

    @Test func failuresToAnotherServerAreAnotherPair() {
        var detector = Self.bruteforce
        let one = Self.failingSession("S1", at: [0, 1, 2, 3, 4])
        let other = Self.session("S2", server: "203.0.113.6")
        other.loginAttempts = (5...9).map { Self.login("admin", at: $0, .failed) }
        #expect(Self.run(&detector, [.sessionEnded(one), .sessionEnded(other), .analysisFinished(end: nil)]).isEmpty)
    }

    /// Pairs of one-off failures are forgotten once out of the window (the detector prunes them past 4 096
    /// pairs), but a pair still inside its window keeps every failure through the pruning.
    @Test func pruningOneOffFailuresKeepsARunInProgress() {
        var detector = Self.bruteforce
        let guessing = Self.failingSession("S1", at: [1_000, 1_001, 1_002, 1_003, 1_004])
        var events: [DetectorEvent] = [.sessionEnded(guessing)]
        // 10 000 clients failing once each, early (out of the window by the end) and late (inside it).
        for index in 0..<10_000 {
            let client = "10.\(index / 65_536).\((index / 256) % 256).\(index % 256)"
            let session = Self.session("S\(index + 2)", client: client)
            session.loginAttempts = [Self.login("admin", at: index < 5_000 ? 0 : 1_005, .failed)]
            events.append(.sessionEnded(session))
        }
        events.append(.sessionEnded(Self.failingSession("S99999", at: [1_006, 1_007, 1_008, 1_009, 1_010])))
        let found = Self.run(&detector, events + [.analysisFinished(end: nil)])
        #expect(found.map(\.kind) == [.bruteforce], "the guessing pair crossed the threshold after the pruning")
        #expect(found.first?.time == Self.time(1_010), "without the capture's end, the run's last failure")
    }

    @Test func aRunIsReportedWhenItGoesQuietAndThenForgotten() {
        var detector = Self.bruteforce
        let session = Self.failingSession("S1", at: Array(0...9))
        #expect(Self.run(&detector, [.sessionEnded(session)]).isEmpty)
        #expect(Self.run(&detector, [.clock(now: Self.time(609), dating: Self.time(609))]).isEmpty, "600 s after the last failure: still inside")
        let found = Self.run(&detector, [.clock(now: Self.time(610), dating: Self.time(605))])
        #expect(found.map(\.kind) == [.bruteforce])
        #expect(found.first?.time == Self.time(605), "dated at the latest packet of the sweep that saw it end")
        #expect(detector.runsInProgress == 0, "forgotten once reported")
        #expect(Self.run(&detector, [.analysisFinished(end: nil)]).isEmpty, "not reported twice")
    }

    /// The next failure comes after a quiet window that no sweep marked (its session ended late): the old run is
    /// reported with its own failures and counting starts again.
    @Test func aFailureAfterAQuietWindowEndsTheRun() {
        var detector = Self.bruteforce
        let first = Self.failingSession("S1", at: Array(0...11))
        let later = Self.failingSession("S2", at: Array(700...709))
        let atLater = Self.run(&detector, [.sessionEnded(first), .sessionEnded(later)])
        guard case .bruteforce(let failures, _, _, nil) = atLater.first?.facts, atLater.count == 1 else {
            Issue.record("expected the first run, got \(atLater.map(\.kind))")
            return
        }
        #expect(failures == 12 && atLater.first?.time == Self.time(700), "dated at the failure that showed it over")
        let atEnd = Self.run(&detector, [.clock(now: Self.time(720), dating: Self.time(720)), .analysisFinished(end: nil)])
        #expect(atEnd.map(\.time) == [Self.time(720)], "the second run, dated at the last sweep without an end")
    }

    /// A login that works while the guessing goes on ends the run at once, at the accepted login, counting the
    /// failures of its own session before it; that session's end counts nothing twice.
    @Test func aLoginThatWorksEndsTheRunAtTheAcceptedLogin() {
        var detector = Self.bruteforce
        let guessing = Self.failingSession("S1", at: Array(0...9))
        let success = Self.failingSession("S2", at: [100, 101], thenSucceeds: 102)
        _ = Self.run(&detector, [.sessionEnded(guessing)])
        let found = Self.run(&detector, [.loginAccepted(success)])
        guard case .bruteforce(let failures, _, _, let named) = found.first?.facts, found.count == 1 else {
            Issue.record("expected the run at the login, got \(found.map(\.kind))")
            return
        }
        #expect(failures == 12)
        #expect(named == BruteforceSuccess(session: "S2", user: "admin", time: Self.time(102)))
        success.loginAttempts.append(Self.login("admin", at: 103, .failed))
        #expect(Self.run(&detector, [.sessionEnded(success), .analysisFinished(end: nil)]).isEmpty, "one failure after: no run")
        #expect(detector.pairsCounting == 1, "the failure after the login counts toward a new run")
    }

    /// Many pairs failing at once stay within the bounds: pairs past `maximumPairs` are not counted, runs past
    /// `maximumRuns` are reported at once.
    @Test func pairsAndRunsAreBounded() {
        var detector = BruteforceDetector(threshold: 2, window: 600_000_000_000, maximumPairs: 8, maximumRuns: 3)
        var found: [Finding] = []
        for index in 0..<20 {
            let session = Self.session("S\(index)", client: "10.0.0.\(index)")
            session.loginAttempts = [Self.login("admin", at: 1, .failed)]
            detector.observe(.sessionEnded(session), into: &found)
        }
        #expect(detector.pairsCounting == 8)
        for index in 0..<6 {
            let session = Self.session("T\(index)", client: "10.0.0.\(index)")
            session.loginAttempts = [Self.login("admin", at: 2, .failed)]
            detector.observe(.sessionEnded(session), into: &found)
        }
        #expect(detector.runsInProgress == 3)
        #expect(found.count == 3, "the runs past the bound are reported at once")
        detector.observe(.analysisFinished(end: nil), into: &found)
        #expect(found.count == 6)
    }

    // MARK: - Credentials, anonymous, root

    @Test func cleartextCredentialsOncePerSession() {
        var detector = CleartextCredentialDetector()
        let session = Self.session()
        session.loginAttempts = [Self.login("alice", at: 1, .failed), Self.login("alice", at: 2, .succeeded)]
        let atLogin = Self.run(&detector, [.loginAccepted(session)])
        #expect(atLogin.map(\.kind) == [.cleartextCredentials])
        #expect(atLogin.first?.severity == .high, "an accepted password is high")
        #expect(atLogin.first?.time == Self.time(1), "dated at the first password sent")
        // The analyzer marks the session when it raises `.loginAccepted`; the end must not repeat the finding.
        session.credentialsReported = true
        #expect(Self.run(&detector, [.sessionEnded(session)]).isEmpty)
    }

    @Test func cleartextCredentialsOfAFailedLoginAtTheSessionEnd() {
        var detector = CleartextCredentialDetector()
        let session = Self.session()
        session.loginAttempts = [Self.login("alice", at: 1, .failed)]
        let found = Self.run(&detector, [.sessionEnded(session)])
        #expect(found.map(\.kind) == [.cleartextCredentials])
        #expect(found.first?.severity == .medium)
        let noPassword = Self.session()
        noPassword.loginAttempts = [Self.login("alice", at: 1, .failed, password: nil)]
        #expect(Self.run(&detector, [.sessionEnded(noPassword)]).isEmpty, "USER alone sends no secret")
    }

    @Test func anonymousLoginIsInfoAndNotACredential() {
        let session = Self.session()
        session.loginAttempts = [Self.login("anonymous", at: 3, .anonymous, password: "guest@")]
        var anonymous = AnonymousLoginDetector()
        let found = Self.run(&anonymous, [.loginAccepted(session)])
        #expect(found.map(\.kind) == [.anonymousLogin])
        #expect(found.first?.severity == .info)
        var cleartext = CleartextCredentialDetector()
        #expect(Self.run(&cleartext, [.loginAccepted(session)]).isEmpty)
        let refused = Self.session()
        refused.loginAttempts = [Self.login("ftp", at: 3, .failed, password: "guest@")]
        #expect(Self.run(&anonymous, [.sessionEnded(refused)]).isEmpty, "a refused guest login is not one")
    }

    @Test func rootLoginAttemptedOrAccepted() {
        var detector = RootLoginDetector()
        let tried = Self.session()
        tried.loginAttempts = [Self.login("ROOT", at: 1, .failed)]
        #expect(Self.run(&detector, [.sessionEnded(tried)]).map(\.severity) == [.medium])
        let accepted = Self.session()
        accepted.loginAttempts = [Self.login("root", at: 1, .succeeded)]
        #expect(Self.run(&detector, [.loginAccepted(accepted)]).map(\.severity) == [.high])
    }

    // MARK: - Address rules (AddressRules) and bounce

    @Test func activeModeBehindNATOncePerSession() {
        var detector = AddressAnnouncementDetector()
        let session = Self.session()
        let events: [DetectorEvent] = [
            .addressAnnounced(Self.announcement(.active, "10.0.0.7", verb: .port), session),
            .addressAnnounced(Self.announcement(.active, "10.0.0.7", verb: .port, port: 50_001), session),
        ]
        // A private address sent to a public server is also a disclosure of internal addressing.
        #expect(Self.run(&detector, events).map(\.kind) == [.natAddressMismatch, .privateAddressAnnounced])
        // A new session starts with nothing reported.
        let next = Self.session("S2")
        #expect(
            Self.run(&detector, [.sessionEnded(session), .addressAnnounced(Self.announcement(.active, "10.0.0.7", verb: .port), next)])
                .map(\.kind) == [.natAddressMismatch, .privateAddressAnnounced])
    }

    @Test func activeModeNamingAThirdHostIsBounce() {
        var detector = AddressAnnouncementDetector()
        let found = Self.run(
            &detector, [.addressAnnounced(Self.announcement(.active, "192.0.2.99", verb: .port), Self.session())])
        #expect(found.map(\.kind) == [.bounce])
        #expect(found.first?.severity == .high)
        var own = AddressAnnouncementDetector()
        #expect(
            Self.run(&own, [.addressAnnounced(Self.announcement(.active, "198.51.100.7", verb: .port), Self.session())])
                .isEmpty, "the client's own address")
    }

    @Test func passiveReplyNamingAnInternalAddress() {
        var detector = AddressAnnouncementDetector()
        let found = Self.run(
            &detector, [.addressAnnounced(Self.announcement(.passive, "10.1.2.3", verb: .pasv), Self.session())])
        #expect(found.map(\.kind) == [.passiveAddressMismatch, .privateAddressAnnounced])
        // RFC 2428: a 229 reply names no address; the one it stands for is the server's, which is no finding.
        var epsv = AddressAnnouncementDetector()
        #expect(
            Self.run(&epsv, [.addressAnnounced(Self.announcement(.extendedPassive, "203.0.113.5", verb: .epsv), Self.session())])
                .isEmpty)
    }

    // MARK: - SITE, data channels

    static func site(_ argument: String, reply code: Int) -> CommandRecord {
        var command = CommandRecord(time: time(4), verb: .site, argument: argument)
        command.reply = ReplyRecord(code: code, text: "ok", time: time(4))
        return command
    }

    @Test func acceptedDangerousSiteCommandsOnly() {
        var detector = DangerousSiteDetector()
        let session = Self.session()
        #expect(Self.run(&detector, [.commandAnswered(Self.site("cpfr /etc/passwd", reply: 350), session)]).isEmpty)
        #expect(Self.run(&detector, [.commandAnswered(Self.site("CHMOD 644 x", reply: 200), session)]).isEmpty)
        #expect(Self.run(&detector, [.commandAnswered(Self.site("EXEC id", reply: 500), session)]).isEmpty)
        #expect(
            Self.run(&detector, [.commandAnswered(Self.site("exec id", reply: 200), session)]).map(\.kind) == [.riskyCommand])
    }

    @Test(arguments: DataStatus.allCases)
    func failedDataChannelForConnectionFailuresAndStalls(_ status: DataStatus) {
        var detector = FailedDataChannelDetector()
        let transfer = Self.announcement(.passive, "203.0.113.5", verb: .pasv)
        transfer.verdict = DataVerdict(status: status, cause: nil, evidence: DataEvidence())
        let found = Self.run(&detector, [.dataChannelSettled(transfer, index: 0, Self.session())])
        #expect(found.map(\.kind) == (status.isConnectionFailure || status == .stalled ? [.failedDataConnection] : []))
    }

    // MARK: - Session-end facts: TLS, capture gaps, anomalies

    @Test func tlsProtectedAndItsFallBackToClearText() {
        var detector = TLSDetector()
        #expect(Self.run(&detector, [.sessionEnded(Self.session())]).isEmpty, "no TLS, no TLS finding")
        let session = Self.session()
        session.tls = true
        session.tlsTime = Self.time(2)
        session.clearTextResumedAt = Self.time(9)
        let found = Self.run(&detector, [.sessionEnded(session)])
        #expect(found.map(\.kind) == [.tlsProtected])
        #expect(found.first?.time == Self.time(2))
        guard case .tlsProtected(let implicit, let resumed) = found.first?.facts else {
            Issue.record("expected a TLS finding")
            return
        }
        #expect(!implicit)
        #expect(resumed == Self.time(9), "CCC is reported with the finding")
    }

    @Test func captureGapAndAnomaliesAtTheSessionEnd() {
        let session = Self.session()
        var gaps = CaptureGapDetector()
        var anomalies = ControlAnomalyDetector()
        #expect(Self.run(&gaps, [.sessionEnded(session)]).isEmpty)
        #expect(Self.run(&anomalies, [.sessionEnded(session)]).isEmpty)
        session.missingBytes = 120
        session.noteAnomaly("reply code 999", at: Self.time(3))
        session.noteAnomaly("bare LF", at: Self.time(4))
        #expect(Self.run(&gaps, [.sessionEnded(session)]).map(\.kind) == [.captureGap])
        let found = Self.run(&anomalies, [.sessionEnded(session)])
        guard case .controlAnomalies(let count, let first) = found.first?.facts else {
            Issue.record("expected an anomaly finding")
            return
        }
        #expect(count == 2)
        #expect(first == "reply code 999")
        #expect(found.first?.time == Self.time(3))
    }

    @Test func aConnectionThatIsNotFTPIsOneAnomalyWithoutSession() {
        var detector = ControlAnomalyDetector()
        let found = Self.run(&detector, [.notFTP(Self.session())])
        #expect(found.map(\.kind) == [.protocolAnomaly])
        #expect(found.first?.session == nil)
    }

    // MARK: - The set

    @Test func theSetKeepsTheReportingOrder() {
        var set = DetectorSet(configuration: AnalysisConfiguration())
        let session = Self.session()
        session.loginAttempts = [Self.login("root", at: 1, .succeeded)]
        session.tls = true
        session.missingBytes = 1
        session.noteAnomaly("bare LF", at: Self.time(4))
        var found: [Finding] = []
        set.observe(.sessionEnded(session), into: &found)
        #expect(found.map(\.kind) == [.cleartextCredentials, .riskyCommand, .tlsProtected, .captureGap, .protocolAnomaly])
    }
}
