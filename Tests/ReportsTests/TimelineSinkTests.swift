import FTPProtocol
import Foundation
import NetworkTypes
import Testing
import TimelineTestSupport

// FTPAnalysis testable for `CommandRecord`'s memberwise initializer.
@testable import FTPAnalysis
@testable import Reports

/// The ordering buffer: rows out in time order behind the watermark, and never more than its bound held.
@Suite struct TimelineSinkTests {

    static func finding(at seconds: Int64, _ summary: String = "s") -> AnalysisEvent {
        .finding(
            Finding(
                kind: .protocolAnomaly, severity: .low, session: nil, time: Timestamp(seconds: seconds, nanoseconds: 0),
                facts: .controlAnomalies(count: 1, first: summary),
                evidence: [("client", .string("192.0.2.1:1")), ("server", .string("192.0.2.2:21"))]))
    }

    @Test func rowsWaitForTheWatermarkAndComeOutInTimeOrder() throws {
        let collector = TimelineRowCollector()
        let sink = TimelineSink(writers: [collector], passwords: PasswordPolicy(showPasswords: false))
        for seconds: Int64 in [5, 3, 9, 4] { sink.analysis(Self.finding(at: seconds)) }
        #expect(collector.rows.isEmpty)
        sink.advance(watermark: Timestamp(seconds: 4, nanoseconds: 0))
        #expect(collector.rows.map(\.time.nanoseconds) == [3, 4].map { $0 * 1_000_000_000 })
        sink.analysis(Self.finding(at: 6))
        sink.advance(watermark: Timestamp(seconds: 7, nanoseconds: 0))
        #expect(collector.rows.count == 4)
        try sink.finish()
        #expect(collector.rows.map { $0.time.nanoseconds / 1_000_000_000 } == [3, 4, 5, 6, 9])
        #expect(sink.rowsOutOfOrder == 0)
        #expect(collector.rows[0].client?.description == "192.0.2.1:1")
    }

    @Test func equalTimesKeepArrivalOrder() throws {
        let collector = TimelineRowCollector()
        let sink = TimelineSink(writers: [collector], passwords: PasswordPolicy(showPasswords: false))
        for index in 0..<50 { sink.analysis(Self.finding(at: 1, "\(index)")) }
        try sink.finish()
        #expect(collector.rows.count == 50)
    }

    @Test func theBufferNeverHoldsMoreThanItsBound() throws {
        let collector = TimelineRowCollector()
        let bound = 100
        let sink = TimelineSink(
            writers: [collector], passwords: PasswordPolicy(showPasswords: false), maximumHeldRows: bound)
        // 10 000 rows and no watermark at all (a session that never ends): the oldest are written as it fills.
        for index in 0..<10_000 { sink.analysis(Self.finding(at: Int64(index))) }
        #expect(sink.peakHeldRows == bound)
        #expect(sink.heldRows <= bound)
        #expect(sink.rowsForcedOut == 10_000 - UInt64(bound))
        #expect(sink.rowsOutOfOrder == 0)
        // A row that settles after later ones were forced out is written at once, and counted.
        sink.analysis(Self.finding(at: 0))
        #expect(sink.rowsOutOfOrder == 1)
        try sink.finish()
        #expect(collector.rows.count == 10_001)
        #expect(sink.heldRows == 0)
    }

    /// A CSV timeline alone writes findings straight from their events (`TimelineRowBuilder.encodeCSV`): the same
    /// records the row path writes, for a finding of an open session, of one that has ended, of one never seen
    /// and of none, with a detail that needs quoting.
    @Test func findingsWrittenStraightAreTheRowsRecords() throws {
        let session = HandBuiltReportTests.session()
        let start = HandBuiltReportTests.start
        func finding(_ id: String?, at seconds: Int64) -> AnalysisEvent {
            .finding(
                Finding(
                    kind: .protocolAnomaly, severity: .medium, session: id,
                    time: start.adding(nanoseconds: seconds * 1_000_000_000),
                    facts: .controlAnomalies(count: 2, first: "HELO, \"world\""),
                    evidence: [("client", .string("192.0.2.7:1")), ("server", .string("192.0.2.8:21"))]))
        }
        let events: [AnalysisEvent] = [
            .sessionStarted(session.identity), finding("S1", at: 1), .sessionEnded(session), finding("S1", at: 21),
            finding("S9", at: 22), finding(nil, at: 23),
        ]
        let (written, expected) = try Self.writtenAndRowPath(events)
        let header = TimelineRow.columns.joined(separator: ",") + "\r\n"
        #expect(written.hasPrefix(header))
        #expect(String(written.dropFirst(header.count)) == expected)
        #expect(expected.contains("\"The control channel carried lines that are not valid FTP: HELO, \"\"world\"\".\""))
        #expect(expected.components(separatedBy: ",S1,finding,").count == 3)
    }

    /// `events` through a `TimelineSink` into a CSV file (what it wrote, header included), and the rows the row path
    /// (`TimelineRowBuilder.row`) makes of them, without the header.
    static func writtenAndRowPath(_ events: [AnalysisEvent]) throws -> (written: String, expected: String) {
        var builder = TimelineRowBuilder(passwords: PasswordPolicy(showPasswords: false))
        let expected = events.map { CSVTimelineWriter.record(builder.row(for: $0)) }.joined()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-rows-\(UUID()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try BufferedOutput(path: path)
        let sink = TimelineSink(
            writers: [CSVTimelineWriter(output: output)], passwords: PasswordPolicy(showPasswords: false))
        for event in events { sink.analysis(event) }
        try sink.finish()
        return (try String(contentsOfFile: path, encoding: .utf8), expected)
    }

    /// Command rows written straight from their events (`TimelineRowBuilder.encodeCSV`) carry the notes the row
    /// path gives them, one or several, and none when the command has none: the notes are asked for only when a
    /// command has one.
    @Test func commandNotesWrittenStraightAreTheRowsNotes() throws {
        let session = HandBuiltReportTests.session()
        let identity = session.identity
        let t = { (seconds: Int64) in HandBuiltReportTests.start.adding(nanoseconds: seconds * 1_000_000_000) }
        func command(_ seconds: Int64, _ change: (inout CommandRecord) -> Void) -> AnalysisEvent {
            var record = CommandRecord(time: t(seconds), verb: .list, argument: "/pub")
            record.user = "alice"
            record.reply = ReplyRecord(code: 226, text: "ok", time: t(seconds))
            change(&record)
            return .command(identity, record)
        }
        let events: [AnalysisEvent] = [
            .sessionStarted(identity),
            command(1) { _ in },
            command(2) { $0.reconstructed = true },
            command(3) { $0.replyLost = true },
            command(4) { $0.truncated = true },
            command(5) { $0.malformedReply = "x2y" },
            command(6) {
                $0.replyLost = true
                $0.truncated = true
            },
        ]
        let (written, expected) = try Self.writtenAndRowPath(events)
        let header = TimelineRow.columns.joined(separator: ",") + "\r\n"
        #expect(String(written.dropFirst(header.count)) == expected)
        let records = expected.components(separatedBy: "\r\n")
        #expect(records[1].contains(",ok,") && !records[1].contains("capture gap"))
        #expect(records[2].contains("command lost in a capture gap; inferred from its reply"))
        #expect(records[3].contains("reply lost in a capture gap"))
        #expect(records[4].contains("command line cut at the line limit"))
        #expect(records[5].contains("malformed reply: x2y"))
        #expect(records[6].contains("reply lost in a capture gap; command line cut at the line limit"))
    }

    @Test func theDefaultBoundIsNamed() {
        #expect(TimelineSink.defaultMaximumHeldRows == 100_000)
        #expect(TimelineSink(writers: [], passwords: PasswordPolicy(showPasswords: false)).maximumHeldRows == 100_000)
    }
}
