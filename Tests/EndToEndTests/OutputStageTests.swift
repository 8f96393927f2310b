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
    }

    static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    static func stream(_ paths: [String], threads: Int, directory: String) throws -> Streamed {
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
        let text = TextStreamSink(output: textOutput, summary: TextSummary(), passwords: passwords)
        let json = JSONDocumentStreamSink(output: jsonOutput, version: "test", passwords: passwords)
        let timeline = TimelineSink(
            writers: [CSVTimelineWriter(output: csvOutput), JSONLinesTimelineWriter(output: jsonlOutput)],
            passwords: passwords)
        let report = HTMLReportSink(passwords: passwords)
        // A user filter decides while events stream, from the events alone.
        let narrowed = NarrowingSink(
            narrowing: Narrowing(user: "anonymous"),
            next: TimelineSink(writers: [CSVTimelineWriter(output: narrowedOutput)], passwords: passwords))
        let sinks = FanOutSink([text, json, timeline, report, narrowed])
        var configuration = AnalysisConfiguration()
        configuration.retainSessions = false
        let result = try OfflineAnalysis.run(
            paths: paths, configuration: configuration, eventSink: sinks, threads: threads)
        let input = result.reportInput(showPasswords: false)
        try timeline.finish()
        try narrowed.next.finishTimeline()
        try text.finish(input)
        json.finish(input)
        try jsonOutput.close()
        report.finish(input, text: { reportOutput.write($0) }, bytes: { reportOutput.write($0) })
        try reportOutput.close()
        for output in [csvOutput, jsonlOutput, narrowedOutput] { try output.close() }
        return Streamed(
            text: try read(textPath), document: try read(jsonPath), csv: try read(csvPath), jsonl: try read(jsonlPath),
            report: try read(reportPath), narrowedCSV: try read(narrowedPath))
    }

    @Test(arguments: ThreadEquivalenceTests.captures)
    func theOutputThreadWritesTheSameBytes(_ path: String) throws {
        let directory = try TimelineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let one = try Self.stream([path], threads: 1, directory: directory)
        let staged = try Self.stream([path], threads: 2, directory: directory)
        #expect(!one.text.isEmpty && !one.document.isEmpty && !one.report.isEmpty)
        #expect(one.text == staged.text, "text summary")
        #expect(one.document == staged.document, "JSON document")
        #expect(one.csv == staged.csv, "CSV timeline")
        #expect(one.jsonl == staged.jsonl, "JSON Lines timeline")
        #expect(one.report == staged.report, "HTML report")
        #expect(one.narrowedCSV == staged.narrowedCSV, "timeline narrowed to a user")
    }
}

extension StreamingEventSink {
    /// Ends the timeline behind a narrowing sink (the test's only kind).
    fileprivate func finishTimeline() throws {
        guard let timeline = self as? TimelineSink else { throw OutputError(path: "-", reason: "not a timeline") }
        try timeline.finish()
    }
}
