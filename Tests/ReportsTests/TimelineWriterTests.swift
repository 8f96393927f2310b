import FTPAnalysis
import Foundation
import NetworkTypes
import TestSupport
import Testing

@testable import Reports

/// CSV and JSON Lines writers: RFC 4180 quoting, formula neutralisation, SPEC.md's columns, typed JSON.
@Suite struct TimelineWriterTests {
    static let t0 = Timestamp(seconds: 1_714_557_600, nanoseconds: 123_456_000)

    static func commandRow(argument: String, replyText: String = "OK") -> TimelineRow {
        var row = TimelineRow(time: t0, session: "S1", event: .command)
        row.client = Endpoint(address: IPAddress("192.0.2.1")!, port: 50000)
        row.server = Endpoint(address: IPAddress("2001:db8::1")!, port: 21)
        row.user = "alice"
        row.command = "STOR"
        row.argument = argument
        row.replyCode = 226
        row.replyText = replyText
        row.replyTimeMilliseconds = 12.5
        return row
    }

    static func parseCSV(_ text: String) -> [[String]] { CSVParser.records(text) }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-\(UUID().uuidString)-\(name)").path
    }

    @Test func headerIsSpecColumnsInOrder() throws {
        let path = Self.temporaryPath("header.csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = CSVTimelineWriter(output: try BufferedOutput(path: path))
        try writer.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(
            text
                == "time,session,event,client,server,user,command,argument,reply_code,reply_text,reply_time_ms,data_mode,data_announced,data_observed,data_status,bytes,duration_ms,severity,finding,detail,cause,community_id,bytes_per_second,first_byte_ms,retransmissions,zero_windows,closed_by,close\r\n"
        )
        #expect(TimelineRow.columns.count == 28)
    }

    @Test func recordHasOneFieldPerColumn() {
        let record = CSVTimelineWriter.record(Self.commandRow(argument: "file.txt"))
        let fields = Self.parseCSV(record)[0]
        #expect(fields.count == TimelineRow.columns.count)
        #expect(fields[0] == "2024-05-01T10:00:00.123456Z")
        #expect(fields[4] == "[2001:db8::1]:21")
        #expect(fields[7] == "file.txt")
        #expect(fields[8] == "226")
        #expect(fields[10] == "12.5")
        #expect(fields[11...].allSatisfy { $0.isEmpty })
        #expect(record.hasSuffix("\r\n"))
    }

    @Test(arguments: [
        ("a,b", "\"a,b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("line1\nline2", "\"line1\nline2\""),
        ("line1\r\nline2", "\"line1\r\nline2\""),
        ("bare\rcr", "\"bare\rcr\""),
        ("plain text", "plain text"),
        ("", ""),
    ])
    func quoting(_ input: String, _ expected: String) {
        #expect(CSVTimelineWriter.field(input) == expected)
    }

    /// Every cell of a record is what `field` makes of its value: the byte-copy fast path for plain text and the
    /// careful path agree on every kind of text (plain, formula, quote, controls C0 and C1, non-ASCII, bidi).
    @Test(arguments: [
        "plain", "=SUM(A1)", "+1", "-2", "@x", "\tlead", "a,b", "q\"q", "nl\nx", "esc\u{1B}[31m", "del\u{7F}",
        "c1\u{85}x", "é ü ß", "\u{A0}nbsp", "bidi\u{202E}", "📁 dir", "\\x41", " spaced ",
        "227 Entering Passive Mode (192,0,2,1,4,1)", "257 \"/a \"\"b\"\"\" is cwd", "\rcr first", "two\r\nlines",
        "=1,2", "tab\tand,comma",
    ])
    func recordCellsAreFieldsOfTheirValues(_ text: String) {
        // Every text cell (endpoints and vocabulary words are typed: no wire text reaches them).
        var row = TimelineRow(time: Self.t0, session: text, event: .finding)
        row.user = text
        row.argument = text
        row.detail = text
        row.communityID = text
        row.closedBy = text
        row.close = text
        let record = CSVTimelineWriter.record(row)
        let cell = CSVTimelineWriter.field(text)
        #expect(record.hasPrefix("2024-05-01T10:00:00.123456Z,\(cell),finding,,,\(cell),"))
        // detail, cause (absent), community_id, then the transfer metrics: four numbers (absent here), closed_by,
        // close.
        #expect(record.contains(",\(cell),,\(cell),,,,,\(cell),\(cell)\r\n"), "the last cells")
        #expect(record.hasSuffix(",\(cell)\r\n"))
        #expect(Self.parseCSV(record)[0][7] == Self.parseCSV(cell + "\r\n")[0][0])
    }

    @Test func aByteThatNeedsCareIsFoundAtEveryPositionOfAWord() {
        // Text cells are scanned eight bytes at a time: a special byte anywhere, in a whole word or in the tail,
        // still makes the cell quoted or escaped exactly as `field` does.
        for special in [",", "\"", "\n", "\r", "\u{7F}", "\u{85}", "\u{1B}", "\t"] {
            for position in 0..<19 {
                var characters = Array(repeating: "a", count: 19)
                characters[position] = special
                let text = characters.joined()
                var row = TimelineRow(time: Self.t0, session: "S1", event: .command)
                row.argument = text
                let cell = CSVTimelineWriter.field(text)
                #expect(CSVTimelineWriter.record(row).contains(",\(cell),"), "\(special.unicodeScalars.first!.value) at \(position)")
            }
        }
    }

    @Test func aResetRowIsAFreshRow() {
        // The timeline sink fills one row for every event: nothing of the previous row may survive a reset.
        var row = Self.commandRow(argument: "a.txt")
        row.dataMode = .passive
        row.dataAnnounced = Endpoint(address: IPAddress("192.0.2.2")!, port: 40000)
        row.dataObserved = row.dataAnnounced
        row.dataStatus = .unanswered
        row.bytes = 10
        row.durationMilliseconds = 1.5
        row.severity = .medium
        row.finding = .failedDataConnection
        row.detail = "detail"
        row.cause = .natWithoutALG
        row.communityID = "1:x"
        row.bytesPerSecond = 100
        row.firstByteMilliseconds = 2
        row.retransmissions = 1
        row.zeroWindows = 1
        row.closedBy = "client"
        row.close = "fin"
        row.context.client = row.client
        row.context.server = row.server
        row.context.path = "/a.txt"
        row.context.tls = true
        row.context.login = .accepted
        row.reset(time: Self.t0, session: "S9", event: .reply)
        let fresh = TimelineRow(time: Self.t0, session: "S9", event: .reply)
        #expect(CSVTimelineWriter.record(row) == CSVTimelineWriter.record(fresh))
        #expect(JSONLinesTimelineWriter.line(row) == JSONLinesTimelineWriter.line(fresh))
        #expect(ECSTimelineWriter.document(row, version: "test") == ECSTimelineWriter.document(fresh, version: "test"))
    }

    @Test func quotedFieldsSurviveAParser() {
        let nasty = "a,b \"c\"\r\nd\re\nf"
        let fields = Self.parseCSV(CSVTimelineWriter.record(Self.commandRow(argument: nasty, replyText: nasty)))
        #expect(fields.count == 1)
        #expect(fields[0][7] == nasty)
        #expect(fields[0][9] == nasty)
    }

    @Test(arguments: ["=", "+", "-", "@", "\t", "\r"])
    func formulaCellsArePrefixed(_ trigger: String) {
        let text = trigger + "cmd|' /C calc'!A0"
        let record = CSVTimelineWriter.record(Self.commandRow(argument: text, replyText: text))
        let fields = Self.parseCSV(record)[0]
        #expect(fields[7] == "'" + text)
        #expect(fields[9] == "'" + text)
    }

    @Test func harmlessCellsAreNotPrefixed() {
        for text in ["a=b", "1+1", " =SUM(1)", "'quoted", "<script>"] {
            #expect(CSVField.neutralised(text) == text)
        }
        // Numbers are numbers: a negative latency (reordered capture) stays a number, not text.
        var row = Self.commandRow(argument: "x")
        row.replyTimeMilliseconds = -1.5
        #expect(Self.parseCSV(CSVTimelineWriter.record(row))[0][10] == "-1.5")
    }

    @Test func controlCharactersAreShownNotWritten() {
        let field = CSVTimelineWriter.field("\u{1B}[31mred\u{1B}[0m\u{07}\u{9B}")
        #expect(!field.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) })
        #expect(field == "\\x1b[31mred\\x1b[0m\\x07\\x9b")
    }

    @Test func emptyTextIsAbsent() {
        var row = Self.commandRow(argument: "")
        row.replyText = ""
        #expect(row.values[7] == nil)
        #expect(row.values[9] == nil)
        #expect(!JSONLinesTimelineWriter.line(row).contains("\"argument\""))
    }

    @Test func jsonLinesAreValidJSONWithTypedNumbersAndNoEmptyMembers() throws {
        var row = Self.commandRow(argument: "\u{1B}[31m \"q\" \\ \u{2028} \\xFF")
        row.bytes = 4096
        row.durationMilliseconds = 3.25
        row.user = ""
        let line = JSONLinesTimelineWriter.line(row)
        #expect(line.hasSuffix("\n"))
        #expect(!line.dropLast().contains("\n"))
        #expect(!line.unicodeScalars.contains("\u{1B}"))
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["reply_code"] as? Int == 226)
        #expect(object["bytes"] as? Int == 4096)
        #expect(object["duration_ms"] as? Double == 3.25)
        #expect(object["reply_time_ms"] as? Double == 12.5)
        #expect(object["time"] as? String == "2024-05-01T10:00:00.123456Z")
        #expect(object["argument"] as? String == "\u{1B}[31m \"q\" \\ \u{2028} \\xFF")
        #expect(object["user"] == nil)
        #expect(object["severity"] == nil)
        // Members in SPEC order.
        var position = line.startIndex
        for name in TimelineRow.columns where object[name] != nil {
            let range = try #require(line.range(of: "\"\(name)\":", range: position..<line.endIndex))
            position = range.upperBound
        }
    }

    @Test func openingAMissingDirectoryNamesTheFile() {
        let error = #expect(throws: OutputError.self) {
            _ = try BufferedOutput(path: "/nonexistent-ftpscope-dir/out.csv")
        }
        #expect(error?.message == "/nonexistent-ftpscope-dir/out.csv: No such file or directory")
    }

    @Test func ratesAreHuman() {
        #expect(HumanUnits.rate(bytes: 1_048_576, milliseconds: 1000) == "1.0 MiB/s")
        #expect(HumanUnits.rate(bytes: 500, milliseconds: 1000) == "500 B/s")
        #expect(HumanUnits.rate(bytes: 12_900_000, milliseconds: 1000) == "12.3 MiB/s")
        #expect(HumanUnits.rate(bytes: 100, milliseconds: 0.5) == "")
    }

    @Test func findingsInTextAreEscaped() {
        // Wire text reaches a finding's summary (a user name) and its explanation (an invalid line).
        let user = Finding(
            kind: .anonymousLogin, severity: .info, session: "S1", time: Self.t0,
            facts: .anonymousLogin(user: "odd \u{1B}[31mred\u{1B}[0m line"))
        let line = Finding(
            kind: .protocolAnomaly, severity: .low, session: "S1", time: Self.t0,
            facts: .controlAnomalies(count: 1, first: "bell \u{07}\u{202E}"))
        let input = ReportInput(
            version: "test", inputs: [], stats: [("packets", 1)], sessions: [], findings: [user, line],
            passwords: PasswordPolicy(showPasswords: false))
        let text = TextSummary(useColor: false).render(input)
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E })
        #expect(text.contains("anonymous login as odd \\x1b[31mred\\x1b[0m line"))
        #expect(text.contains("not valid FTP: bell \\x07"))
    }
}

/// The CSV writer's fast path for plain cells (whole words, the last word overlapping) agrees with the general
/// one (`CSVTimelineWriter.field`) wherever in a cell of any length a byte that needs care sits.
@Suite struct CSVFastPathTests {
    static func record(argument: String?) -> String {
        var row = TimelineRow(time: TimelineWriterTests.t0, session: "S1", event: .command)
        row.argument = argument
        return CSVTimelineWriter.record(row)
    }

    @Test(arguments: [",", "\"", "\n", "\r", "\u{7}", "\u{7F}", "\u{85}", "é", "x"])
    func cellsOfEveryLengthMatchTheGeneralPath(special: String) {
        let empty = Self.record(argument: nil).split(separator: ",", omittingEmptySubsequences: false)
        for length in 1...40 {
            for position in 0..<length {
                let text = String(repeating: "a", count: position) + special
                    + String(repeating: "b", count: length - position - 1)
                let expected = empty[0..<7].joined(separator: ",") + "," + CSVTimelineWriter.field(text) + ","
                    + empty[8...].joined(separator: ",")
                #expect(Self.record(argument: text) == expected, "length \(length), position \(position)")
            }
        }
    }

    /// Cells with commas all through them (a 227 reply, a sentence), checked eight bytes at a time past the
    /// commas: a byte that needs more than quoting, anywhere, still gives `field`'s cell.
    @Test(arguments: ["\"", "\n", "\r", "\u{7}", "\u{7F}", "\u{85}", "é", "x", ","])
    func cellsFullOfCommasMatchTheGeneralPath(special: String) {
        let empty = Self.record(argument: nil).split(separator: ",", omittingEmptySubsequences: false)
        for length in 1...40 {
            for position in 0..<length {
                let text = String(String(repeating: "1,", count: length / 2 + 1).prefix(position)) + special
                    + String(String(repeating: "2,", count: length / 2 + 1).prefix(length - position - 1))
                let expected = empty[0..<7].joined(separator: ",") + "," + CSVTimelineWriter.field(text) + ","
                    + empty[8...].joined(separator: ",")
                #expect(Self.record(argument: text) == expected, "length \(length), position \(position)")
            }
        }
    }

    @Test func eventWordsAreTheRawValues() {
        for kind in TimelineEventKind.allCases { #expect(kind.word.description == kind.rawValue) }
    }
}

/// The remembered `,client,server` cells are the endpoints' own text, however many pairs share the table's slots.
@Suite struct EndpointPairTextTests {
    @Test func pairsAreWrittenAsTheirEndpoints() {
        var generator = SystemRandomNumberGenerator()
        let pairs = EndpointPairText()
        let endpoints = EndpointTextCache()
        var buffer = [UInt8](repeating: 0, count: EndpointPairText.maximumLength)
        let servers = [
            Endpoint(address: IPAddress("192.0.2.1")!, port: 21),
            Endpoint(address: IPAddress("2001:db8::21")!, port: 2121),
            Endpoint(address: IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")!, port: 65535),
        ]
        for round in 0..<20_000 {
            let client =
                round % 3 == 0
                ? Endpoint(address: .v6(UInt64.random(in: 0...UInt64.max, using: &generator), UInt64(round)), port: UInt16(round % 65536))
                : Endpoint(address: .v4(UInt32.random(in: 0...1000, using: &generator)), port: UInt16.random(in: 0...65535, using: &generator))
            let server = servers[round % servers.count]
            let length = buffer.withUnsafeMutableBufferPointer {
                pairs.write(client, server, endpoints: endpoints, into: $0.baseAddress!)
            }
            #expect(String(decoding: buffer[..<length], as: UTF8.self) == ",\(client),\(server)")
        }
    }
}
