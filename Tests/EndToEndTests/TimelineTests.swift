import FTPAnalysis
import FTPScope
import Foundation
import NetworkTypes
import Reports
import TestSupport
import Testing
import TimelineTestSupport

/// The session timeline through the whole pipeline: time order across sessions, agreement with the JSON document,
/// Python's csv module and pandas, and hostile wire content.
@Suite struct TimelineTests {

    /// Records the order in which events settle.
    final class Recorder: AnalysisEventSink {
        var events: [(String, Timestamp)] = []
        func analysis(_ event: AnalysisEvent) {
            if case .command(let command) = event { events.append((command.session.id, command.record.time)) }
        }
    }

    static let server = Endpoint(address: .v4(192, 0, 2, 21), port: 21)
    static let start = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)

    /// A control session scripted line by line: `C:` lines from the client, `S:` from the server, `wait N` ms.
    static func session(client: Endpoint, start: Timestamp, step: Int64 = 100_000_000, script: [String])
        -> [(Timestamp, [UInt8])]
    {
        var c = ConversationBuilder(client: client, server: server, start: start, step: step)
        c.handshake()
        for line in script {
            if line.hasPrefix("C:") {
                c.clientSends(String(line.dropFirst(2)) + "\r\n")
            } else if line.hasPrefix("S:") {
                c.serverSends(String(line.dropFirst(2)) + "\r\n")
            } else if line.hasPrefix("wait ") {
                c.wait(nanoseconds: Int64(line.dropFirst(5))! * 1_000_000)
            }
        }
        c.clientFIN()
        c.serverFIN()
        return c.packets
    }

    static func temporaryDirectory() throws -> String {
        try PcapWriter.makeTemporaryDirectory(prefix: "ftpscope-timeline")
    }

    static func samplePaths() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: Paths.samples.path)
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") || $0.hasSuffix(".pcap.gz") }.sorted()
    }

    // MARK: - Time order

    /// S1 begins first and waits 3 s for a reply to STAT; S2 logs in and out meanwhile. S2's commands settle before
    /// S1's STAT, yet the rows come out in time order.
    @Test func rowsAreInTimeOrderAcrossInterleavedSessions() throws {
        let s1 = Self.session(
            client: Endpoint(address: .v4(192, 0, 2, 1), port: 40001), start: Self.start,
            script: [
                "S:220 one", "C:USER alice", "S:331 password", "C:PASS secret", "S:230 ok", "C:STAT", "wait 3000",
                "S:211 status", "C:QUIT", "S:221 bye",
            ])
        let s2 = Self.session(
            client: Endpoint(address: .v4(192, 0, 2, 2), port: 40002),
            start: Self.start.adding(nanoseconds: 650_000_000),
            script: ["S:220 two", "C:USER bob", "S:331 password", "C:PASS guess", "S:530 no", "C:QUIT", "S:221 bye"])
        let directory = try Self.temporaryDirectory()
        let path = directory + "/interleaved.pcap"
        try PcapWriter.write(PcapWriter.pcap(ConversationBuilder.interleave([s1, s2])), to: path)

        let collector = TimelineRowCollector()
        let recorder = Recorder()
        let timeline = TimelineSink(writers: [collector], passwords: PasswordPolicy(showPasswords: false))
        var configuration = AnalysisConfiguration()
        configuration.retainSessions = false
        let result = try OfflineAnalysis.run(
            paths: [path], configuration: configuration, eventSink: FanOutSink([recorder, timeline]))
        try timeline.finish()

        // The events did settle out of time order (otherwise this test proves nothing)…
        let settled = recorder.events.map(\.1)
        #expect(settled != settled.sorted())
        // …and the rows are in time order, both sessions interleaved.
        let rows = collector.rows
        #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.time <= $1.time })
        #expect(timeline.rowsOutOfOrder == 0)
        let sessions = rows.compactMap(\.session)
        let switches = zip(sessions, sessions.dropFirst()).filter { $0 != $1 }.count
        #expect(switches >= 3)
        #expect(Set(sessions) == ["S1", "S2"])
        #expect(rows.filter { $0.event == .command }.count == 7)
        #expect(rows.filter { $0.event == .sessionStart }.count == 2)
        #expect(rows.filter { $0.event == .sessionEnd }.count == 2)
        // Sessions were not retained, and the timeline still has them all.
        #expect(result.sessions.isEmpty)
        // PASS is hidden.
        #expect(rows.filter { $0.command == "PASS" }.allSatisfy { $0.argument == "<hidden>" })
        #expect(rows.first { $0.command == "USER" && $0.session == "S2" }?.user == "bob")
    }

    // MARK: - Samples

    struct Counts: Equatable, CustomStringConvertible {
        var byEvent: [String: Int] = [:]
        var commandsBySession: [String: Int] = [:]
        var transfersBySession: [String: Int] = [:]
        var description: String { "\(byEvent) \(commandsBySession) \(transfersBySession)" }
    }

    /// What the JSON document says the timeline must hold.
    static func expectedCounts(_ document: [String: Any]) -> Counts {
        var counts = Counts()
        let sessions = document["sessions"] as? [[String: Any]] ?? []
        for session in sessions {
            let id = session["id"] as? String ?? "?"
            let commands = (session["commands"] as? [Any])?.count ?? 0
            let transfers = (session["transfers"] as? [Any])?.count ?? 0
            counts.commandsBySession[id] = commands
            counts.transfersBySession[id] = transfers
            counts.byEvent["command", default: 0] += commands
            counts.byEvent["data_connection", default: 0] += transfers
        }
        counts.byEvent["session_start"] = sessions.count
        counts.byEvent["session_end"] = sessions.count
        counts.byEvent["finding"] = (document["findings"] as? [Any])?.count ?? 0
        return counts
    }

    /// The same counts read back from timeline rows (JSON Lines objects).
    static func timelineCounts(_ rows: [[String: Any]]) -> Counts {
        var counts = Counts()
        for row in rows {
            let event = row["event"] as? String ?? "?"
            let session = row["session"] as? String ?? "-"
            counts.byEvent[event, default: 0] += 1
            if event == "command" { counts.commandsBySession[session, default: 0] += 1 }
            if event == "data_connection" { counts.transfersBySession[session, default: 0] += 1 }
            if event == "session_start" {
                counts.commandsBySession[session, default: 0] += 0
                counts.transfersBySession[session, default: 0] += 0
            }
        }
        for key in ["command", "data_connection", "session_start", "session_end", "finding"] {
            counts.byEvent[key, default: 0] += 0
        }
        return counts.filteringEvents(["command", "data_connection", "session_start", "session_end", "finding"])
    }

    /// Runs one capture with both timelines to files and the JSON document, as `analyze --format json --csv
    /// --jsonl` does.
    static func exportEverything(_ paths: [String], directory: String, name: String) throws -> (
        csv: String, jsonl: String, document: String, result: AnalysisResult, outOfOrder: UInt64
    ) {
        let csvPath = directory + "/\(name).csv"
        let jsonlPath = directory + "/\(name).jsonl"
        let outputs = try Outputs(options: OutputOptions(summary: .none, csvPath: csvPath, jsonlPath: jsonlPath))
        var configuration = AnalysisConfiguration()
        outputs.configure(&configuration)
        // The document is rendered here rather than to standard output, so sessions are kept for it.
        configuration.retainSessions = true
        let result = try OfflineAnalysis.run(paths: paths, configuration: configuration, eventSink: outputs.eventSink)
        try outputs.finish(result: result)
        let document = JSONDocument.render(result.reportInput(showPasswords: false))
        return (
            try String(contentsOfFile: csvPath, encoding: .utf8),
            try String(contentsOfFile: jsonlPath, encoding: .utf8),
            document, result, outputs.timeline?.rowsOutOfOrder ?? 0
        )
    }

    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test(arguments: try samplePaths())
    func sampleTimelineAgreesWithTheDocument(_ file: String) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let export = try Self.exportEverything(
            [Paths.samples.appendingPathComponent(file).path], directory: directory, name: "t")
        let document = try #require(JSONSerialization.jsonObject(with: Data(export.document.utf8)) as? [String: Any])
        let rows = try Self.jsonLines(export.jsonl)
        let records = CSVParser.records(export.csv)
        #expect(records.first == TimelineRow.columns)
        #expect(records.count - 1 == rows.count)
        #expect(records.dropFirst().allSatisfy { $0.count == TimelineRow.columns.count })
        #expect(Self.timelineCounts(rows) == Self.expectedCounts(document))
        // Sessions agree by id, client and server.
        let documentSessions = (document["sessions"] as? [[String: Any]] ?? []).map {
            "\($0["id"]!) \($0["client"]!) \($0["server"]!)"
        }
        let timelineSessions = rows.filter { $0["event"] as? String == "session_start" }.map {
            "\($0["session"]!) \($0["client"]!) \($0["server"]!)"
        }
        #expect(documentSessions.sorted() == timelineSessions.sorted())
        // Commands agree one by one (time, verb, reply code), in each session's order.
        for session in document["sessions"] as? [[String: Any]] ?? [] {
            let id = session["id"] as? String
            let fromDocument = (session["commands"] as? [[String: Any]] ?? []).map {
                "\($0["time"]!) \($0["command"]!) \($0["reply_code"] ?? "-")"
            }
            let fromTimeline = rows.filter { $0["session"] as? String == id && $0["event"] as? String == "command" }
                .map { "\($0["time"]!) \($0["command"]!) \($0["reply_code"] ?? NSNull())" }
            #expect(fromDocument == fromTimeline, "\(file) \(id ?? "?")")
        }
        // Data connections agree on status and cause, in each session's order; only failed ones have a cause.
        for session in document["sessions"] as? [[String: Any]] ?? [] {
            let id = session["id"] as? String
            let fromDocument = (session["transfers"] as? [[String: Any]] ?? []).map {
                "\($0["status"]!) \($0["cause"] ?? "-")"
            }
            let fromTimeline = rows.filter { $0["session"] as? String == id && $0["event"] as? String == "data_connection" }
                .map { "\($0["data_status"]!) \($0["cause"] ?? "-")" }
            #expect(fromDocument.sorted() == fromTimeline.sorted(), "\(file) \(id ?? "?")")
        }
        let causeColumn = TimelineRow.columns.firstIndex(of: "cause")!
        let statusColumn = TimelineRow.columns.firstIndex(of: "data_status")!
        for record in records.dropFirst() {
            let failed = DataStatus(rawValue: record[statusColumn])?.isFailure ?? false
            #expect(record[causeColumn].isEmpty != failed, "\(file): cause only on failed data connections")
        }
        // Rows in time order (ISO 8601 with fixed width sorts as text).
        let times = rows.map { $0["time"] as? String ?? "" }
        #expect(times == times.sorted(), "\(file): rows out of time order")
        #expect(export.outOfOrder == 0)
    }

    @Test(.enabled(if: TimelineTests.python3 != nil, "python3 not found: skipping the csv-module and pandas check"))
    func pythonCSVAndPandasReadEverySampleTimeline() throws {
        let python = try #require(Self.python3)
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var expected: [String: [String: Int]] = [:]
        for (index, file) in try Self.samplePaths().enumerated() {
            let export = try Self.exportEverything(
                [Paths.samples.appendingPathComponent(file).path], directory: directory, name: "sample\(index)")
            let document = try #require(
                JSONSerialization.jsonObject(with: Data(export.document.utf8)) as? [String: Any])
            expected["sample\(index).csv"] = Self.expectedCounts(document).byEvent
        }
        let script = """
            import csv, json, os, sys
            columns = sys.argv[2].split(",")
            out = {"pandas": False, "files": {}}
            try:
                import pandas
                out["pandas"] = True
            except ImportError:
                pandas = None
            for name in sorted(os.listdir(sys.argv[1])):
                if not name.endswith(".csv"):
                    continue
                path = os.path.join(sys.argv[1], name)
                with open(path, newline="", encoding="utf-8") as f:
                    reader = csv.DictReader(f)
                    assert reader.fieldnames == columns, (name, reader.fieldnames)
                    counts = {}
                    rows = 0
                    for row in reader:
                        assert None not in row, (name, "extra fields")
                        counts[row["event"]] = counts.get(row["event"], 0) + 1
                        rows += 1
                if pandas is not None:
                    frame = pandas.read_csv(path, dtype=str, keep_default_na=False)
                    assert list(frame.columns) == columns, (name, list(frame.columns))
                    assert len(frame) == rows, (name, len(frame), rows)
                    assert (frame["event"].value_counts().to_dict() == counts), name
                    # Typed reading works too: reply codes and bytes are numbers.
                    typed = pandas.read_csv(path, parse_dates=["time"])
                    assert str(typed["time"].dtype).startswith("datetime64"), typed["time"].dtype
                out["files"][name] = counts
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, directory, TimelineRow.columns.joined(separator: ",")]
        let pipe = Pipe()
        let errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "python: \(errorText)")
        let report = try #require(JSONSerialization.jsonObject(with: output) as? [String: Any])
        if report["pandas"] as? Bool != true {
            print("TimelineTests: pandas is not installed; checked with Python's csv module only")
        }
        let files = try #require(report["files"] as? [String: [String: Int]])
        #expect(files.count == expected.count)
        for (name, counts) in expected {
            let read = files[name] ?? [:]
            for (event, count) in counts { #expect(read[event, default: 0] == count, "\(name) \(event)") }
        }
    }

    static let python3: String? = ["/usr/bin/python3", "/usr/local/bin/python3", "/opt/homebrew/bin/python3"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    // MARK: - Hostile content

    static let hostileArguments: [[UInt8]] = [
        Array("=cmd|' /C calc'!A0".utf8),
        Array("+1".utf8),
        Array("-2".utf8),
        Array("@SUM(1)".utf8),
        Array("\"quoted\", with, commas".utf8),
        Array("bare\rcarriage".utf8),
        // Not valid UTF-8 (0xFF is avoided: it is TELNET's IAC, which the framer strips with its command).
        [0x62, 0x61, 0x64, 0xC3, 0x28, 0x80, 0xFE],
        Array("\u{1B}[31mred\u{1B}[0m\u{1B}]0;title\u{07}".utf8),
        Array("<script>alert(1)</script>".utf8),
    ]

    static func hostileCapture(directory: String) throws -> String {
        var c = ConversationBuilder(
            client: Endpoint(address: .v4(192, 0, 2, 1), port: 40001), server: server, start: start)
        c.handshake()
        c.serverSends("220 \u{1B}[2J\u{1B}[31mwelcome\r\n")
        c.clientSends("USER =evil\r\n")
        c.serverSends("331 password\r\n")
        c.clientSends("PASS -secret\r\n")
        c.serverSends("230 ok\r\n")
        for argument in hostileArguments {
            c.clientSends(Array("RETR ".utf8) + argument + Array("\r\n".utf8))
            // The server echoes it: reply text is attacker-controlled too.
            c.serverSends(Array("550 ".utf8) + argument + Array(": no such file\r\n".utf8))
        }
        c.clientSends("QUIT\r\n")
        c.serverSends("221 bye\r\n")
        c.clientFIN()
        c.serverFIN()
        let path = directory + "/hostile.pcap"
        try PcapWriter.write(PcapWriter.pcap(c.packets), to: path)
        return path
    }

    @Test func hostileContentComesOutSafeInEveryFormat() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.hostileCapture(directory: directory)
        let export = try Self.exportEverything([path], directory: directory, name: "hostile")
        let session = try #require(export.result.sessions.first)
        #expect(session.commands.count == Self.hostileArguments.count + 3)

        // CSV: parses, one field per column, no cell a spreadsheet would run, no raw control bytes.
        let records = CSVParser.records(export.csv)
        #expect(records.first == TimelineRow.columns)
        #expect(records.dropFirst().allSatisfy { $0.count == TimelineRow.columns.count })
        for record in records.dropFirst() {
            for field in record {
                guard let first = field.unicodeScalars.first else { continue }
                #expect(!["=", "+", "-", "@", "\t", "\r"].contains(first), "formula cell \(field.debugDescription)")
            }
        }
        let cells = Set(records.joined())
        #expect(cells.contains("'=cmd|' /C calc'!A0"))
        #expect(cells.contains("'+1"))
        #expect(cells.contains("'-2"))
        #expect(cells.contains("'@SUM(1)"))
        #expect(cells.contains("'=evil"))
        #expect(cells.contains("\"quoted\", with, commas"))
        #expect(cells.contains("<script>alert(1)</script>"))
        #expect(cells.contains("bad\\xC3(\\x80\\xFE"))
        #expect(!export.csv.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" })
        #expect(!export.csv.contains("-secret"))

        // JSON Lines: every line valid JSON; the wire text is kept exactly (escaped as JSON).
        let rows = try Self.jsonLines(export.jsonl)
        let arguments = rows.filter { $0["command"] as? String == "RETR" }.compactMap { $0["argument"] as? String }
        #expect(arguments.contains("=cmd|' /C calc'!A0"))
        #expect(arguments.contains("\u{1B}[31mred\u{1B}[0m\u{1B}]0;title\u{07}"))
        #expect(!export.jsonl.unicodeScalars.contains("\u{1B}"))

        // The JSON document: valid, and the same commands.
        let document = try #require(JSONSerialization.jsonObject(with: Data(export.document.utf8)) as? [String: Any])
        #expect(Self.timelineCounts(rows) == Self.expectedCounts(document))
        #expect(!export.document.unicodeScalars.contains("\u{1B}"))

        // Text, whole and streamed: no raw escape or control byte at all.
        let input = export.result.reportInput(showPasswords: false)
        let text = TextSummary(useColor: false).render(input)
        let streamed = try Self.streamText([path], directory: directory)
        for output in [text, streamed] {
            #expect(
                !output.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F..<0xA0).contains($0.value) })
            #expect(output.contains("\\x1b[31mred"))
            // The wire text's `\xNN` for invalid bytes, with its backslash doubled as the terminal escaping does
            // for every backslash (so that a literal `\x1b` typed by the client cannot pass for an escaped ESC).
            #expect(output.contains("bad\\\\xC3(\\\\x80\\\\xFE"))
            #expect(!output.contains("-secret"))
        }
    }

    // MARK: - Streaming text

    /// The text summary streamed session by session, as `analyze` prints it.
    static func streamText(_ paths: [String], directory: String, maximumHeldSessions: Int = 1000) throws -> String {
        let path = directory + "/summary-\(UUID().uuidString).txt"
        let sink = TextStreamSink(
            output: try BufferedOutput(path: path), summary: TextSummary(useColor: false),
            passwords: PasswordPolicy(showPasswords: false), maximumHeldSessions: maximumHeldSessions)
        var configuration = AnalysisConfiguration()
        configuration.retainSessions = false
        let result = try OfflineAnalysis.run(paths: paths, configuration: configuration, eventSink: sink)
        try sink.finish(result.reportInput(showPasswords: false))
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test func streamedTextIsTheWholeReport() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let paths = try Self.samplePaths().map { Paths.samples.appendingPathComponent($0).path }
            .filter { !$0.hasSuffix(".gz") && !$0.contains("vsftpd-any") }
        for path in paths {
            let whole = TextSummary(useColor: false).render(
                try OfflineAnalysis.run(paths: [path]).reportInput(showPasswords: false))
            #expect(try Self.streamText([path], directory: directory) == whole, "\(path)")
        }
        // Several captures as one stream: sessions end out of id order, blocks still come in id order.
        let several = Array(paths.prefix(6))
        let whole = TextSummary(useColor: false).render(
            try OfflineAnalysis.run(paths: several).reportInput(showPasswords: false))
        let streamed = try Self.streamText(several, directory: directory)
        #expect(streamed == whole)
        // With a hold of one session, every block is still printed exactly once.
        let unheld = try Self.streamText(several, directory: directory, maximumHeldSessions: 1)
        for id in 1...20 where whole.contains("\nS\(id)  ") || whole.hasPrefix("S\(id)  ") {
            #expect(unheld.components(separatedBy: "S\(id)  ").count == 2, "S\(id)")
        }
    }

    // MARK: - Outputs

    @Test func outputsNameTheFileTheyCannotOpen() {
        let error = #expect(throws: OutputError.self) {
            _ = try Outputs(options: OutputOptions(summary: .none, csvPath: "/nonexistent-ftpscope/t.csv"))
        }
        #expect(error?.message == "/nonexistent-ftpscope/t.csv: No such file or directory")
        #expect(throws: OutputError.self) {
            _ = try Outputs(options: OutputOptions(summary: .text, csvPath: "-"))
        }
    }

    /// No output makes the analysis keep ended sessions: the JSON document is written as they end (memory stays
    /// flat), and the timelines and text summary stream.
    @Test func noOutputKeepsSessions() throws {
        for summary in [OutputOptions.Summary.json, .text, .none] {
            var configuration = AnalysisConfiguration()
            #expect(configuration.retainSessions)
            try Outputs(options: OutputOptions(summary: summary, csvPath: "/dev/null")).configure(&configuration)
            #expect(!configuration.retainSessions)
        }
    }
}

extension TimelineTests.Counts {
    func filteringEvents(_ events: Set<String>) -> Self {
        var copy = self
        copy.byEvent = byEvent.filter { events.contains($0.key) }
        return copy
    }
}
