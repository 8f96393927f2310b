@testable import FTPAnalysis
import FTPProtocol
import NetworkTypes
import TestSupport
import Testing

/// The session state machine on hand-built command, reply and gap sequences (no capture, no analyzer): each input
/// is checked by the actions it returns and the state it leaves.
struct SessionMachineTests {
    static func time(_ seconds: Int64) -> Timestamp { Timestamp(seconds: 1_700_000_000 + seconds, nanoseconds: 0) }

    /// A machine on an FTP control port, and the record index its next command gets (as the analyzer counts).
    struct Driver {
        var machine: SessionMachine
        var commands = 0
        var clock: Int64 = 0
        /// The arguments of the recorded commands, by record index (the analyzer reads them from its records).
        var arguments: [String] = []

        init(phase: SessionPhase = .awaitingGreeting, detectedByContent: Bool = false, maxPending: Int = 100) {
            machine = SessionMachine(phase: phase, maxPendingCommands: maxPending)
            machine.detectedByContent = detectedByContent
        }

        /// The client sends `line` (without CRLF).
        mutating func send(_ line: String) -> [SessionAction] {
            clock += 1
            let parsed = FTPLine(line)
            let actions = machine.command(parsed, FTPCommand.parse(parsed), index: commands, at: SessionMachineTests.time(clock)).all
            if actions.contains(where: { if case .recordCommand = $0 { true } else { false } }) {
                commands += 1
                arguments.append(FTPCommand.parse(parsed).argument)
            }
            return actions
        }

        /// The server sends a single-line reply; a final reply's meaning (`apply`) is appended, as the analyzer
        /// asks for it.
        mutating func reply(_ code: Int, _ text: String = "") -> [SessionAction] {
            clock += 1
            var actions = machine.reply(.reply(FTPReply(code: code, text: text)), at: SessionMachineTests.time(clock)).all
            if actions.contains(where: { if case .answered = $0 { true } else { false } }) {
                let index = Self.answeredIndex(actions)
                let argument = machine.readsArgumentWhenAnswered ? index.map { arguments[$0] } : nil
                actions += machine.applyAnswer(record(code, text), argument: argument).all
            }
            return actions
        }

        /// The record index a final reply in `actions` answered.
        static func answeredIndex(_ actions: [SessionAction]) -> Int? {
            for action in actions { if case .answered(let index) = action { return index } }
            return nil
        }

        /// A server line without a reply code.
        mutating func invalid(_ line: String) -> [SessionAction] {
            clock += 1
            return machine.reply(.invalid(FTPLine(line)), at: SessionMachineTests.time(clock)).all
        }

        func record(_ code: Int, _ text: String = "") -> ReplyRecord {
            ReplyRecord(code: code, text: text, time: SessionMachineTests.time(clock))
        }
    }

    /// The indexes of the commands the final replies in `actions` answered.
    static func answered(_ actions: [SessionAction]) -> [Int] {
        actions.compactMap { if case .answered(let index) = $0 { index } else { nil } }
    }

    @Test func aGreetingConfirmsTheSessionOnAControlPort() {
        var driver = Driver()
        let actions = driver.reply(220, "ready")
        #expect(actions == [.greeting, .confirm(byContent: false)])
        #expect(driver.machine.phase == .open)
        #expect(driver.machine.greetingSeen)
    }

    @Test func a120ThenA220IsOneGreeting() {
        var driver = Driver()
        #expect(driver.reply(120, "ready in 5 minutes") == [.greeting])
        #expect(driver.machine.phase == .awaitingGreeting)
        #expect(driver.reply(220, "ready") == [.greetingAfterDelay])
        #expect(driver.machine.greetingSeen)
    }

    @Test func userAndPassAccepted() {
        var driver = Driver()
        _ = driver.reply(220)
        #expect(driver.send("USER alice") == [.recordCommand(truncated: false)])
        #expect(driver.machine.userBeforeCommand == nil)
        #expect(driver.reply(331, "password") == [.answered(index: 0)])
        #expect(driver.send("PASS secret") == [.recordCommand(truncated: false)])
        #expect(driver.machine.userBeforeCommand == "alice")
        let accepted = driver.reply(230, "welcome")
        #expect(Self.answered(accepted) == [1])
        #expect(accepted.last == .loginAccepted)
        #expect(driver.machine.loginAttempts.map(\.outcome) == [.succeeded])
        #expect(driver.machine.loginAttempts.first?.password == "secret")
        #expect(driver.machine.loginAttempts.first?.replyCode == 230)
        #expect(driver.machine.credentialsReported)
    }

    @Test func a530IsAFailedLogin() {
        var driver = Driver()
        _ = driver.reply(220)
        _ = driver.send("USER bob")
        _ = driver.reply(331)
        _ = driver.send("PASS wrong")
        let rejected = driver.reply(530, "Login incorrect")
        #expect(!rejected.contains(.loginAccepted))
        #expect(driver.machine.loginAttempts.map(\.outcome) == [.failed])
        #expect(driver.machine.loginAttempts.first?.replyCode == 530)
        #expect(!driver.machine.credentialsReported)
    }

    @Test func anonymousLoginIsAnonymous() {
        var driver = Driver()
        _ = driver.reply(220)
        _ = driver.send("USER anonymous")
        _ = driver.reply(331)
        _ = driver.send("PASS guest@example.com")
        _ = driver.reply(230)
        #expect(driver.machine.loginAttempts.map(\.outcome) == [.anonymous])
    }

    @Test func pipelinedCommandsAreAnsweredInOrder() {
        var driver = Driver()
        _ = driver.reply(220)
        _ = driver.send("SYST")
        _ = driver.send("PWD")
        _ = driver.send("NOOP")
        #expect(driver.machine.pending.map(\.index) == [0, 1, 2])
        #expect(Self.answered(driver.reply(215, "UNIX Type: L8")) == [0])
        #expect(Self.answered(driver.reply(257, "\"/home/alice\" is the current directory")) == [1])
        #expect(driver.machine.workingDirectory == "/home/alice")
        #expect(Self.answered(driver.reply(200)) == [2])
        #expect(driver.machine.pending.isEmpty)
        // Nothing left to answer: a further reply is unsolicited.
        #expect(driver.reply(200) == [.orphanReply])
    }

    @Test func pasvAnnouncesOnItsReply() {
        var driver = Driver()
        _ = driver.reply(220)
        #expect(driver.send("PASV") == [.recordCommand(truncated: false)])
        let actions = driver.reply(227, "Entering Passive Mode (198,51,100,2,195,80)")
        #expect(actions == [.answered(index: 0), .passiveReply(index: 0)])
    }

    @Test func portAnnouncesOnTheCommand() {
        var driver = Driver()
        _ = driver.reply(220)
        #expect(driver.send("PORT 192,0,2,10,195,80").last == .announceActive(index: 0))
        let expected = AnnouncedEndpoint(host: .v4(192, 0, 2, 10), port: 195 * 256 + 80)
        let (mode, parsed) = SessionMachine.activeAnnouncement(.port, argument: "192,0,2,10,195,80")
        #expect(mode == .active)
        #expect(parsed == .success(expected))
        #expect(driver.reply(200).last == .activeReply(index: 0))
    }

    @Test func anUnparseablePortStillAnnouncesItsFailure() {
        var driver = Driver()
        _ = driver.reply(220)
        #expect(driver.send("EPRT |1|1.2.3|6000|").last == .announceActive(index: 0))
        let (mode, parsed) = SessionMachine.activeAnnouncement(.eprt, argument: "|1|1.2.3|6000|")
        #expect(mode == .extendedActive)
        guard case .failure = parsed else {
            Issue.record("expected a failed announcement, got \(parsed)")
            return
        }
    }

    @Test func retrBindsWithTypeRestPathAndSize() {
        var driver = Driver()
        _ = driver.reply(220)
        _ = driver.send("CWD /pub")
        _ = driver.reply(250)
        _ = driver.send("TYPE I")
        _ = driver.reply(200)
        _ = driver.send("SIZE a.iso")
        _ = driver.reply(213, "4096")
        _ = driver.send("REST 100")
        _ = driver.reply(350)
        #expect(driver.send("RETR a.iso").last == .bindDataCommand(index: 4))
        var expected = DataCommand(
            verb: .retr, argument: "a.iso", time: Self.time(driver.clock), transferType: "I", restOffset: 100)
        expected.path = .resolved("/pub/a.iso")
        expected.expectedSize = 4096
        #expect(driver.machine.dataCommandInput == expected)
        driver.machine.restTaken()
        #expect(driver.machine.restOffset == nil)
        #expect(driver.reply(150, "opening") == [.preliminary(index: 4)])
        #expect(driver.reply(226) == [.answered(index: 4), .dataReply(index: 4)])
    }

    /// A syntax error after a transfer's 150 answers the command sent during the transfer (RFC 959 4.1.3).
    @Test func anErrorDuringATransferAnswersTheCommandSentDuringIt() {
        var driver = Driver()
        _ = driver.reply(220)
        _ = driver.send("RETR big")
        _ = driver.reply(150)
        #expect(driver.send("ABOR").last == .abortRunningTransfer)
        #expect(Self.answered(driver.reply(500)) == [1])
        #expect(Self.answered(driver.reply(226)) == [0])
    }

    @Test func aServerGapThenRepliesLostAreRepaired() {
        var driver = Driver()
        _ = driver.reply(220)
        _ = driver.send("PWD")
        _ = driver.send("TYPE I")
        _ = driver.send("PASV")
        #expect(driver.machine.gap(length: 40, offset: 100, fromClient: false).all == [
            .gap(length: 40, fromClient: false), .anomaly,
        ])
        #expect(driver.machine.takeAnomaly() == .missingBytes(length: 40, fromClient: false, offset: 100))
        driver.machine.repairPairing(afterGapFromClient: false)
        // The 257 and 200 were in the gap: the 227 can only answer the PASV.
        let actions = driver.reply(227, "Entering Passive Mode (198,51,100,2,195,80)")
        #expect(actions.first == .repliesLost)
        #expect(driver.machine.lostReplies == [0, 1])
        #expect(Self.answered(actions) == [2])
    }

    @Test func aClientGapLeavesTheReplyToTheLostCommandUnsolicited() {
        var driver = Driver()
        _ = driver.reply(220)
        _ = driver.send("USER alice")
        driver.machine.repairPairing(afterGapFromClient: true)
        // A 257 cannot answer USER: it answers a PWD lost in the gap, and the USER keeps waiting.
        #expect(driver.reply(257, "\"/\"") == [.orphanReply])
        #expect(Self.answered(driver.reply(331)) == [0])
    }

    @Test func aGapBeforeConfirmationIsNotDelivered() {
        var machine = SessionMachine()
        #expect(machine.gap(length: 1, offset: 0, fromClient: true).all == [.anomaly])
        #expect(machine.anomalies == [.missingBytes(length: 1, fromClient: true, offset: 0)])
    }

    @Test func quitEndsTheSession() {
        var driver = Driver()
        _ = driver.reply(220)
        _ = driver.send("QUIT")
        #expect(driver.machine.quitSent)
        _ = driver.reply(221)
        driver.machine.end()
        #expect(driver.machine.phase == .ended(confirmed: true))
        #expect(driver.machine.connectionEnded().all.isEmpty)
    }

    @Test func probingStopsOnANonFTPFirstLine() {
        var driver = Driver(phase: .probing, detectedByContent: true)
        #expect(driver.invalid("SSH-2.0-OpenSSH_9.6") == [.stopAnalysing])
        #expect(driver.machine.phase == .notFTP)
        // Nothing more is analysed.
        #expect(driver.send("USER alice").isEmpty)
        #expect(driver.reply(220).isEmpty)
    }

    @Test func probingConfirmsOnAGreetingThenACommand() {
        var driver = Driver(phase: .probing, detectedByContent: true)
        #expect(driver.reply(220, "ready") == [.greeting])
        #expect(driver.machine.phase == .probing)
        #expect(driver.send("USER alice").first == .confirm(byContent: true))
        #expect(driver.machine.phase == .open)
    }

    @Test func authTLSAcceptedStartsTLS() {
        var driver = Driver()
        _ = driver.reply(220)
        _ = driver.send("AUTH TLS")
        #expect(driver.reply(234, "AUTH TLS OK") == [.answered(index: 0), .startTLS])
    }

    @Test func anInvalidLineWhereAReplyIsDueIsThatReply() {
        var driver = Driver()
        _ = driver.reply(220)
        _ = driver.send("SYST")
        #expect(driver.invalid("SYST not supported") == [.anomaly, .malformedReply(index: 0)])
        #expect(driver.machine.anomalies == [.invalidReplyLine("SYST not supported")])
        #expect(driver.machine.pending.isEmpty)
    }

    @Test func thePendingCapGivesUpTheOldestOnce() {
        var driver = Driver(maxPending: 2)
        _ = driver.reply(220)
        _ = driver.send("NOOP")
        _ = driver.send("NOOP")
        #expect(driver.send("NOOP") == [
            .recordCommand(truncated: false), .pendingCommandDropped, .anomaly,
        ])
        #expect(driver.machine.takeAnomaly() == .pendingCap(2))
        #expect(driver.send("NOOP") == [.recordCommand(truncated: false), .pendingCommandDropped])
        #expect(driver.machine.pending.map(\.index) == [2, 3])
    }

    @Test func commandsWithoutAGreetingMakeAFailedSessionAtTheEnd() {
        var driver = Driver()
        _ = driver.send("USER alice")
        #expect(driver.machine.connectionEnded().all == [.anomaly, .confirm(byContent: false)])
        #expect(driver.machine.anomalies == [.noGreeting])
    }

    @Test func anomalySentencesStayAsBefore() {
        #expect(ControlAnomaly.missingBytes(length: 40, fromClient: false, offset: 100).sentence
            == "40 bytes missing from the server side at offset 100")
        #expect(ControlAnomaly.commandLineCut(originalLength: 9000, kept: 8192).sentence
            == "command line of 9000 bytes cut to 8192")
        #expect(ControlAnomaly.pendingCap(100).sentence == "more than 100 commands awaiting replies; oldest given up")
    }
}

/// The machine's share of a control line costs no heap allocation: its actions come back in an inline buffer and
/// its queue keeps its capacity (counted, never timed).
@Suite(.enabled(if: Allocations.countingAvailable, "allocation counting needs glibc and no sanitizer"))
struct SessionMachineAllocationTests {
    static let rounds = 2000

    @Test func commandsAndRepliesAllocateNothing() {
        var machine = SessionMachine()
        let start = SessionMachineTests.time(0)
        _ = machine.reply(.reply(FTPReply(code: 220, text: "ready")), at: start)
        let lines = ["NOOP", "TYPE I", "SYST", "PASV", "MODE S"].map { FTPLine($0) }
        let commands = lines.map { FTPCommand.parse($0) }
        let replies: [ReplyEvent] = [200, 200, 215, 227, 200].map { .reply(FTPReply(code: $0, text: "OK")) }
        let records = [200, 200, 215, 227, 200].map { ReplyRecord(code: $0, text: "OK", time: start) }
        var index = 0
        var answered = 0
        func feed(_ count: Int) {
            for _ in 0..<count {
                for position in 0..<lines.count {
                    let actions = machine.command(lines[position], commands[position], index: index, at: start)
                    index += 1
                    if actions.count == 0 { Issue.record("no record action") }
                    let replyActions = machine.reply(replies[position], at: start)
                    var slot = 0
                    while slot < replyActions.count {
                        if case .answered = replyActions[slot] {
                            answered += 1
                            _ = machine.applyAnswer(records[position], argument: nil)
                        }
                        slot += 1
                    }
                }
            }
        }
        feed(10)  // warm-up: the pending queue reserves its storage
        let allocations = Allocations.count { feed(Self.rounds) }
        #expect(answered == (Self.rounds + 10) * lines.count)
        #expect(allocations == 0, "\(allocations) allocations over \(Self.rounds * lines.count) command/reply pairs")
    }
}
