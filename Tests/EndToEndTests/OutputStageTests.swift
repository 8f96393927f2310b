import FTPAnalysis
import Foundation
import Reports
import TestSupport
import Testing

@testable import FTPScope

/// The output thread (`OutputStage`) changes where the outputs are made, never what they say: with sessions not
/// retained (every streamed output: text summary, JSON document, both timelines, the HTML report, a user filter),
/// a run with one thread and one with the reader and output threads write the same bytes, on every sample and
/// every Zeek corpus trace.
@Suite struct OutputStageTests {
    /// Every streamed output of one run, as bytes.
    struct Streamed: Equatable {
        var text: String
        var document: String
        var csv: String
        var jsonl: String
        var report: String
        var narrowedCSV: String
        /// The CSV timeline of a sink with no other writer, which writes command rows straight from their events
        /// (`TimelineRowBuilder.encodeCSV`) rather than through a `TimelineRow` as `csv` does.
        var csvAlone: String
    }

    static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    static func stream(
        _ paths: [String], threads: Int, directory: String,
        heldBytesInMemory: Int = TimelineSink.defaultHeldBytesInMemory
    ) throws -> Streamed {
        let passwords = PasswordPolicy(showPasswords: false)
        func file(_ name: String) throws -> (String, BufferedOutput) {
            let path = directory + "/t\(threads)-" + name
            return (path, try BufferedOutput(path: path))
        }
        let (textPath, textOutput) = try file("summary.txt")
        let (jsonPath, jsonOutput) = try file("document.json")
        let (csvPath, csvOutput) = try file("timeline.csv")
        let (jsonlPath, jsonlOutput) = try file("timeline.jsonl")
        let (reportPath, reportOutput) = try file("report.html")
        let (narrowedPath, narrowedOutput) = try file("narrowed.csv")
        let (alonePath, aloneOutput) = try file("alone.csv")
        let text = TextStreamSink(output: textOutput, summary: TextSummary(), passwords: passwords)
        let json = JSONDocumentStreamSink(output: jsonOutput, version: "test", passwords: passwords)
        let timeline = TimelineSink(
            writers: [CSVTimelineWriter(output: csvOutput), JSONLinesTimelineWriter(output: jsonlOutput)],
            passwords: passwords, heldBytesInMemory: heldBytesInMemory)
        let report = HTMLReportSink(passwords: passwords)
        // A user filter decides while events stream, from the events alone.
        let narrowed = NarrowingSink(
            narrowing: Narrowing(user: "anonymous"),
            next: TimelineSink(writers: [CSVTimelineWriter(output: narrowedOutput)], passwords: passwords))
        let alone = TimelineSink(
            writers: [CSVTimelineWriter(output: aloneOutput)], passwords: passwords, heldBytesInMemory: heldBytesInMemory)
        let sinks = FanOutSink([text, json, timeline, report, narrowed, alone])
        var configuration = AnalysisConfiguration()
        configuration.retainSessions = false
        let result = try OfflineAnalysis.run(
            paths: paths, configuration: configuration, eventSink: sinks, threads: threads)
        let input = result.reportInput(showPasswords: false)
        try timeline.finish()
        try alone.finish()
        try narrowed.next.finishTimeline()
        try text.finish(input)
        try json.finish(input)
        try jsonOutput.close()
        try report.finish(input, text: { reportOutput.write($0) }, bytes: { reportOutput.write($0) })
        try reportOutput.close()
        for output in [csvOutput, jsonlOutput, narrowedOutput, aloneOutput] { try output.close() }
        return Streamed(
            text: try read(textPath), document: try read(jsonPath), csv: try read(csvPath), jsonl: try read(jsonlPath),
            report: try read(reportPath), narrowedCSV: try read(narrowedPath), csvAlone: try read(alonePath))
    }

    /// Two threads: the reader and one output thread. Three: two output lanes (`OutputLanes`), reading the same
    /// ended sessions at once. (Four and more shard the analysis: ShardedAnalysisTests.)
    @Test(arguments: ThreadEquivalenceTests.captures)
    func theOutputThreadsWriteTheSameBytes(_ path: String) throws {
        let directory = try TimelineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let one = try Self.stream([path], threads: 1, directory: directory)
        #expect(!one.text.isEmpty && !one.document.isEmpty && !one.report.isEmpty)
        #expect(one.csv == one.csvAlone, "CSV timeline written alone")
        for threads in [2, 3] {
            let staged = try Self.stream([path], threads: threads, directory: directory)
            #expect(one.text == staged.text, "text summary, \(threads) threads")
            #expect(one.document == staged.document, "JSON document, \(threads) threads")
            #expect(one.csv == staged.csv, "CSV timeline, \(threads) threads")
            #expect(one.jsonl == staged.jsonl, "JSON Lines timeline, \(threads) threads")
            #expect(one.report == staged.report, "HTML report, \(threads) threads")
            #expect(one.narrowedCSV == staged.narrowedCSV, "timeline narrowed to a user, \(threads) threads")
        }
    }

    /// Held timeline rows that wait in temporary files (a budget of no bytes in memory: every row goes; of 2 KiB:
    /// runs of a few rows) come back as the same bytes, in the same order.
    @Test(arguments: ThreadEquivalenceTests.captures)
    func spilledRowsComeBackTheSame(_ path: String) throws {
        let directory = try TimelineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let kept = try Self.stream([path], threads: 2, directory: directory)
        #expect(!kept.csv.isEmpty)
        for budget in [0, 2048] {
            let spilled = try Self.stream([path], threads: 1, directory: directory, heldBytesInMemory: budget)
            #expect(kept.csv == spilled.csv, "budget \(budget)")
            #expect(kept.csv == spilled.csvAlone, "budget \(budget), CSV alone")
            #expect(kept.jsonl == spilled.jsonl, "budget \(budget)")
        }
    }

    @Test func lanesFollowTheIndependentOutputs() {
        let passwords = PasswordPolicy(showPasswords: false)
        let outputs: [StreamingEventSink] = (0..<3).map { _ in TimelineSink(writers: [], passwords: passwords) }
        let fanOut = FanOutSink(outputs)
        #expect(OutputLanes.lanes(of: fanOut, count: 1).count == 1)
        let two = OutputLanes.lanes(of: fanOut, count: 2)
        #expect(two.count == 2)
        #expect(two[0] === outputs[0])
        #expect((two[1] as? FanOutSink)?.sinks.count == 2, "the outputs beyond the lanes share the last")
        let many = OutputLanes.lanes(of: fanOut, count: 8)
        #expect(many.count == 3 && zip(many, outputs).allSatisfy { $0 === $1 })
        #expect(OutputLanes.lanes(of: outputs[0], count: 8).count == 1, "a single output is one lane")
    }
}

extension StreamingEventSink {
    /// Ends the timeline behind a narrowing sink (the test's only kind).
    fileprivate func finishTimeline() throws {
        guard let timeline = self as? TimelineSink else { throw OutputError(path: "-", reason: "not a timeline") }
        try timeline.finish()
    }
}
