import FTPAnalysis
import FTPScope
import Foundation
import Reports
import TestSupport
import Testing

/// Every output says the same sentences (issue 14: reports render, never judge): on every sample and every Zeek
/// corpus trace, the CSV and JSON Lines `detail` of each data connection is the JSON document's `diagnosis` of
/// that transfer, and a `failed_data_connection` finding's `detail` is the diagnosis of the transfer it names.
/// Each format is parsed back from what it wrote.
@Suite struct WordingAgreementTests {
    /// Per session id, the transfers' explanations (empty for none), sorted.
    typealias Sentences = [String: [String]]

    @Test(arguments: FormatAgreementTests.captures)
    func everyFormatSaysTheSameSentences(_ path: String) throws {
        let directory = try TimelineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let export = try TimelineTests.exportEverything([path], directory: directory, name: "words")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(export.document.utf8)) as? [String: Any])
        var json: Sentences = [:]
        var diagnoses: [String: [String]] = [:]  // session → diagnosis by transfer index
        for session in object["sessions"] as? [[String: Any]] ?? [] {
            let id = session["id"] as? String ?? "?"
            for transfer in session["transfers"] as? [[String: Any]] ?? [] {
                let diagnosis = transfer["diagnosis"] as? String ?? ""
                json[id, default: []].append(diagnosis)
                diagnoses[id, default: []].append(diagnosis)
            }
        }
        var csv: Sentences = [:]
        let records = CSVParser.records(export.csv)
        if let header = records.first {
            func column(_ name: String) -> Int { header.firstIndex(of: name) ?? 0 }
            let (session, event, detail) = (column("session"), column("event"), column("detail"))
            for record in records.dropFirst() where record[event] == "data_connection" {
                csv[record[session], default: []].append(record[detail])
            }
        }
        var jsonl: Sentences = [:]
        for row in try TimelineTests.jsonLines(export.jsonl) where row["event"] as? String == "data_connection" {
            jsonl[row["session"] as? String ?? "?", default: []].append(row["detail"] as? String ?? "")
        }
        let sortedJSON = json.mapValues { $0.sorted() }
        #expect(csv.mapValues { $0.sorted() } == sortedJSON, "CSV vs JSON")
        #expect(jsonl.mapValues { $0.sorted() } == sortedJSON, "JSON Lines vs JSON")
        for finding in object["findings"] as? [[String: Any]] ?? [] where finding["kind"] as? String == "failed_data_connection" {
            let session = try #require(finding["session"] as? String)
            let evidence = try #require(finding["evidence"] as? [String: Any])
            let index = try #require(evidence["transfer"] as? Int)
            let transfers = try #require(diagnoses[session])
            try #require(index < transfers.count)
            let said = transfers[index].isEmpty ? "The data connection failed." : transfers[index]
            #expect(finding["detail"] as? String == said, "finding vs transfer \(session) #\(index)")
        }
    }
}
