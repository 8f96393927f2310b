import NetworkTypes
import TestSupport
import Testing

@testable import FTPAnalysis

/// `CommandLog` keeps records where they were appended, so command events can point at them (the output thread
/// reads them there), and refuses writes to records already handed over in debug builds.
@Suite struct CommandLogTests {
    static func record(_ number: Int) -> CommandRecord {
        CommandRecord(
            time: Timestamp(seconds: Int64(number), nanoseconds: 0), verb: .noop, argument: "argument \(number)")
    }

    @Test func recordsStayInPlaceAsTheLogGrows() {
        let log = CommandLog()
        #expect(log.isEmpty)
        var addresses: [UnsafePointer<CommandRecord>] = []
        // Past several chunks (16, 32, 64, 128, 256, …).
        for number in 0..<1_000 {
            log.append(Self.record(number))
            addresses.append(log.pointer(at: number))
        }
        #expect(log.count == 1_000)
        for number in 0..<1_000 {
            #expect(log.pointer(at: number) == addresses[number], "record \(number) moved")
            #expect(log[number].argument == "argument \(number)")
            #expect(addresses[number].pointee.time == Timestamp(seconds: Int64(number), nanoseconds: 0))
        }
        // The collection readers the reports use.
        #expect(log.first?.argument == "argument 0")
        #expect(log.last?.argument == "argument 999")
        #expect(log.filter { $0.argument.hasSuffix("99") }.count == 10)
        #expect(log.enumerated().allSatisfy { $0.element.argument == "argument \($0.offset)" })
        #expect(Array(log[998...]).map(\.argument) == ["argument 998", "argument 999"])
    }

    @Test func recordsAreWrittenInPlaceUntilHandedOver() {
        let log = CommandLog((0..<40).map(Self.record))
        log.emitted = 20
        log[20].replyLost = true
        log[39].reply = ReplyRecord(code: 200, text: "ok", time: .zero)
        #expect(log[20].replyLost)
        #expect(log[39].reply?.code == 200)
        #expect(!log[19].replyLost)
    }

    /// The output thread may read a record as soon as its event is handed over: a write after that is a race, and
    /// debug builds (the tests') trap on it.
    @Test(.enabled(if: CommandLog.checksWrites, "only debug builds check the writes"))
    func writingARecordAfterItsEventTraps() async {
        await #expect(processExitsWith: .failure) {
            let log = CommandLog((0..<20).map(CommandLogTests.record))
            log.emitted = 18
            log[17].replyLost = true
        }
    }

    /// A command's event points at the record the session keeps, written in full before it was handed over (a
    /// PASV's transfer index included), and carries the session's user as it was when the command settled.
    @Test func commandEventsPointAtTheSessionsRecords() throws {
        var control = ConversationBuilder.loggedIn(user: "alice")
        for _ in 0..<30 {
            control.clientSends("NOOP\r\n")
            control.serverSends("200 ok\r\n")
        }
        control.clientSends("PASV\r\n")
        control.serverSends("227 Entering Passive Mode (198,51,100,21,195,80)\r\n")
        control.clientSends("USER bob\r\n")
        control.serverSends("331 password\r\n")
        control.clientSends("NOOP\r\n")
        control.serverSends("200 ok\r\n")
        control.clientFIN()
        let sink = SnapshotSink()
        let harness = Harness()
        harness.analyzer.eventSink = sink
        harness.run(control.packets)
        let session = try #require(harness.analyzer.sessions.first)
        #expect(sink.seen.count == session.commands.count)
        #expect(session.commands.count == 35)
        for (index, seen) in sink.seen.enumerated() {
            #expect(seen.address == session.commands.pointer(at: index), "command \(index) is not the session's")
            #expect(seen.verb == session.commands[index].verbText)
        }
        let pasv = try #require(sink.seen.first { $0.verb == "PASV" })
        #expect(pasv.transferIndex == 0, "the PASV's transfer is recorded before its event")
        #expect(sink.seen.map(\.user).prefix(33).allSatisfy { $0 == "alice" })
        #expect(sink.seen.suffix(2).map(\.user) == ["bob", "bob"])
    }
}

/// What a command event showed when it was handed over.
private final class SnapshotSink: AnalysisEventSink {
    struct Seen {
        var address: UnsafePointer<CommandRecord>
        var verb: String
        var transferIndex: Int?
        var user: String?
    }

    var seen: [Seen] = []

    func analysis(_ event: AnalysisEvent) {
        guard case .command(let command) = event else { return }
        seen.append(
            Seen(
                address: command.recordAddress, verb: command.record.verbText,
                transferIndex: command.record.transferIndex, user: command.session.user))
    }
}
