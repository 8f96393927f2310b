import FTPScope
import Foundation
import Reports
import Testing

/// The JSON document carries what extraction found on each transfer.
@Suite struct JSONFieldTests {
    @Test func transfersCarryHashesFilesAndListings() throws {
        let run = try ExtractionRun(paths: [Paths.sample("passive-vsftpd.pcap")])
        let text = JSONDocument.render(run.result.reportInput(showPasswords: false))
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let sessions = try #require(document["sessions"] as? [[String: Any]])
        let transfers = try #require(sessions.first?["transfers"] as? [[String: Any]])
        try #require(transfers.count == 3)
        let list = transfers[0]
        #expect(list["extracted_file"] as? String == "listings/S1-T1-LIST-pub.txt")
        #expect(list["extraction"] as? String == "complete")
        let entries = try #require(list["listing"] as? [[String: Any]])
        #expect(entries.map { $0["name"] as? String } == ["data.bin", "notes.txt"])
        #expect(entries.map { $0["size"] as? Int } == [20000, 4096])
        #expect(entries.first?["type"] as? String == "file")
        #expect(entries.first?["modified"] as? String == "Nov 21 20:30")
        let retr = transfers[1]
        #expect(retr["sha256"] as? String == Expected.notesTxt)
        #expect(retr["bytes_extracted"] as? Int == 4096)
        #expect(retr["extracted_file"] as? String == "S1-T2-notes.txt")
        #expect(retr["extraction"] as? String == "complete")
        #expect(retr["type"] as? String == "I")
        #expect(retr["extraction_note"] == nil)
    }

    @Test func partialTransfersSayWhy() throws {
        let run = try ExtractionRun(paths: [Paths.sample("aborted-transfer.pcap")])
        let text = JSONDocument.render(run.result.reportInput(showPasswords: false))
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let transfers = try #require(
            (document["sessions"] as? [[String: Any]])?.first?["transfers"] as? [[String: Any]])
        let aborted = try #require(transfers.first { $0["status"] as? String == "aborted" })
        #expect(aborted["extraction"] as? String == "partial")
        #expect((aborted["extraction_note"] as? String)?.contains("transfer aborted (426)") == true)
        #expect(aborted["bytes_extracted"] as? Int == 131_072)
    }

    /// Without extraction the document is unchanged: no extraction field appears.
    @Test func noExtractionNoFields() throws {
        let result = try OfflineAnalysis.run(paths: [Paths.sample("passive-vsftpd.pcap")])
        let text = JSONDocument.render(result.reportInput(showPasswords: false))
        for field in ["\"sha256\"", "\"bytes_extracted\"", "\"extracted_file\"", "\"extraction\"", "\"listing\""] {
            #expect(!text.contains(field))
        }
    }
}
