import FTPAnalysis
import FTPScope
import Foundation
import Reports
import TestSupport
import Testing

/// Every output tells the same story: on every sample and every Zeek corpus trace, the text summary, the CSV and
/// JSON Lines timelines, the JSON document and the HTML report agree on each transfer's status and cause, and
/// the text, JSON and HTML on each session's login (the timeline has no login column). Each format is parsed
/// back from what it wrote, not read from the model, so a report that judged on its own would show here.
@Suite struct FormatAgreementTests {
    static let captures: [String] =
        SampleTests.expectations.map { SampleTests.path($0.file) } + Paths.corpusTraces().map(Paths.trace)

    /// Per session id: the transfers' "status cause" (sorted: the text lists failures first) and the login.
    struct Story: Equatable, CustomStringConvertible {
        var transfers: [String: [String]] = [:]
        var logins: [String: String] = [:]
        var description: String { "transfers \(transfers.sorted { $0.key < $1.key }) logins \(logins.sorted { $0.key < $1.key })" }

        mutating func add(_ session: String, status: String, cause: String?) {
            transfers[session, default: []].append("\(status) \(cause ?? "-")")
        }

        var normalised: Story {
            var copy = self
            copy.transfers = transfers.mapValues { $0.sorted() }.filter { !$0.value.isEmpty }
            return copy
        }
    }

    @Test(arguments: captures)
    func everyFormatTellsTheSameStory(_ path: String) throws {
        let directory = try TimelineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let export = try TimelineTests.exportEverything([path], directory: directory, name: "agree")
        let input = export.result.reportInput(showPasswords: false)
        let json = try Self.fromJSON(export.document)
        #expect(!json.logins.isEmpty || export.result.sessions.isEmpty)
        let csv = Self.fromCSV(export.csv)
        let jsonl = try Self.fromJSONLines(export.jsonl)
        let text = Self.fromText(TextSummary().render(input))
        #expect(csv.transfers == json.transfers, "CSV vs JSON")
        #expect(jsonl.transfers == json.transfers, "JSON Lines vs JSON")
        #expect(text.transfers == json.transfers, "text vs JSON")
        // The HTML lists at most `maxTransferRows` transfers of a session (and says how many more the JSON has).
        let htmlRaw = Self.fromHTML(HTMLReport.render(input), sorted: false)
        let jsonRaw = try Self.fromJSON(export.document, sorted: false)
        let shown = jsonRaw.transfers.mapValues { Array($0.prefix(HTMLReport.maxTransferRows)) }
        #expect(htmlRaw.transfers == shown, "HTML vs JSON")
        #expect(text.logins == json.logins, "text vs JSON")
        #expect(htmlRaw.logins == json.logins, "HTML vs JSON")
    }

    static func fromJSON(_ document: String, sorted: Bool = true) throws -> Story {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])
        var story = Story()
        for session in object["sessions"] as? [[String: Any]] ?? [] {
            let id = session["id"] as? String ?? "?"
            story.logins[id] = session["login"] as? String
            for transfer in session["transfers"] as? [[String: Any]] ?? [] {
                story.add(id, status: transfer["status"] as? String ?? "?", cause: transfer["cause"] as? String)
            }
        }
        return sorted ? story.normalised : story
    }

    static func fromCSV(_ csv: String) -> Story {
        let records = CSVParser.records(csv)
        guard let header = records.first else { return Story() }
        func column(_ name: String) -> Int { header.firstIndex(of: name) ?? 0 }
        let (session, event, status, cause) = (column("session"), column("event"), column("data_status"), column("cause"))
        var story = Story()
        for record in records.dropFirst() where record[event] == "data_connection" {
            story.add(record[session], status: record[status], cause: record[cause].isEmpty ? nil : record[cause])
        }
        return story.normalised
    }

    static func fromJSONLines(_ text: String) throws -> Story {
        var story = Story()
        for row in try TimelineTests.jsonLines(text) where row["event"] as? String == "data_connection" {
            story.add(
                row["session"] as? String ?? "?", status: row["data_status"] as? String ?? "?",
                cause: row["cause"] as? String)
        }
        return story.normalised
    }

    /// The login in the text's words (`SessionWording.login`) back to SPEC.md's.
    static func login(inWords line: String) -> String? {
        if line.contains("anonymous login") { return "anonymous" }
        if line.contains("login failed") { return "failed" }
        if line.contains("login not visible") || line.contains("no login seen") { return "none" }
        if line.contains("login not answered") { return "unknown" }
        if line.contains("logged in") { return "succeeded" }
        return nil
    }

    static func fromText(_ text: String) -> Story {
        var story = Story()
        var session: String?
        var outcomeOffset: Int?
        // Status words as the text writes them (underscores as spaces), longest first so `not seen` wins.
        let statuses = DataStatus.allCases.map { ($0.rawValue.replacingOccurrences(of: "_", with: " "), $0.rawValue) }
            .sorted { $0.0.count > $1.0.count }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if let match = line.firstMatch(of: #/^(S\d+)  /#) {
                session = String(match.1)
                outcomeOffset = nil
                continue
            }
            guard let id = session else { continue }
            if line.hasPrefix("  user:"), let login = login(inWords: line) {
                story.logins[id] = login
            } else if line.hasPrefix("  commands:") && story.logins[id] == nil {
                // No user line: no USER was seen (the JSON says `none`).
                story.logins[id] = "none"
            } else if line.hasPrefix("    started "), let range = line.range(of: "outcome") {
                outcomeOffset = line.distance(from: line.startIndex, to: range.lowerBound)
            } else if let offset = outcomeOffset, line.hasPrefix("    "), !line.hasPrefix("        "),
                line.count > offset
            {
                let rest = String(line.dropFirst(offset))
                guard let status = statuses.first(where: { rest.hasPrefix($0.0) }) else {
                    outcomeOffset = nil
                    continue
                }
                let cause = line.firstMatch(of: #/cause ([a-z_]+)/#).map { String($0.1) }
                story.add(id, status: status.1, cause: cause)
            } else if !line.hasPrefix("        ") {
                outcomeOffset = nil
            }
        }
        return story.normalised
    }

    static func fromHTML(_ html: String, sorted: Bool = true) -> Story {
        var story = Story()
        for block in html.components(separatedBy: "<details class=\"session").dropFirst() {
            guard let id = block.firstMatch(of: #/id="(S\d+)"/#).map({ String($0.1) }) else { continue }
            story.logins[id] = block.firstMatch(of: #/<span class="chip [a-z-]*">login ([a-z]+)<\/span>/#).map { String($0.1) }
            guard let table = block.components(separatedBy: "<table class=\"grid transfers\">").dropFirst().first else {
                continue
            }
            let body = table.components(separatedBy: "</table>")[0]
            for row in body.components(separatedBy: "<tr><td>").dropFirst() {
                let cells = row.components(separatedBy: "</td>")
                guard cells.count > 5 else { continue }
                // The status cell: a chip, then the cause when the transfer failed.
                let cell = cells[5]
                guard let status = cell.firstMatch(of: #/<span class="chip [a-z-]*">([a-z_]+)<\/span>/#) else { continue }
                let cause = cell.firstMatch(of: #/<span class="cause muted">([a-z_]+)<\/span>/#).map { String($0.1) }
                story.add(id, status: String(status.1), cause: cause)
            }
        }
        return sorted ? story.normalised : story
    }
}
