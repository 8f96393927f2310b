import FTPAnalysis
import FTPScope
import FileExtraction
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Extraction of scripted sessions: hostile names, gaps, resumptions, data before the command, the directory's
/// own defences.
@Suite struct SyntheticExtractionTests {
    /// Names chosen by the peer never lead outside DIR, and a symbolic link planted in DIR is not followed.
    @Test func hostileNamesLandInsideTheDirectory() throws {
        let base = try TemporaryDirectory.make()
        let directory = base + "/out"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // A trap: the name the first download will want is a link to a file outside DIR.
        let victim = base + "/victim.txt"
        try Data("untouched".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: directory + "/S1-T1-passwd", withDestinationPath: victim)
        let longName = String(repeating: "a", count: 10_000) + ".txt"
        let commands = [
            "RETR ../../etc/passwd", "RETR /abs/path", "RETR evil\u{1B}[31mred\u{07}\u{202E}txt.exe",
            "RETR " + longName, "RETR CON", "RETR .bashrc", "RETR a\\b\\..\\c:d*e?f\"g<h>i|j", "RETR ..",
        ]
        let transfers = commands.enumerated().map { index, command in
            Synthetic.Transfer(command: command, payload: Synthetic.payload(100 + index, seed: UInt8(index)))
        }
        let capture = try Synthetic.write(Synthetic.session(transfers))
        var configuration = AnalysisConfiguration()
        configuration.protocolLimits.maxLineLength = 20_000
        let run = try ExtractionRun(paths: [capture], directory: directory, configuration: configuration)
        #expect(run.warnings.isEmpty)
        let names = run.records.map(\.file.fileName)
        #expect(
            names == [
                "S1-T1-passwd-1", "S1-T2-path", "S1-T3-evilredtxt.exe",
                "S1-T4-" + String(repeating: "a", count: 116) + ".txt",
                "S1-T5-_CON", "S1-T6-bashrc", "S1-T7-c_d_e_f_g_h_i_j", "S1-T8-file",
            ])
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "untouched")
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: directory + "/S1-T1-passwd")
        #expect(link == victim)
        for (index, record) in run.records.enumerated() {
            #expect(!record.file.fileName.contains("/"))
            #expect(record.file.fileName.utf8.count <= 255)
            #expect(try run.contents(record.file.fileName) == Data(Synthetic.payload(100 + index, seed: UInt8(index))))
            #expect(record.file.complete)
        }
        // Only DIR's own entries exist: the link we planted, the files, the manifest, listings/.
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(entries == (names + ["S1-T1-passwd", "listings", "manifest.csv"]).sorted())
        #expect(try FileManager.default.contentsOfDirectory(atPath: base).sorted() == ["out", "victim.txt"])
    }

    /// A second run of the same capture into the same directory recognises every file it already wrote: nothing
    /// is copied again and no manifest row is repeated (issue 18), and the first run's file is untouched.
    @Test func secondRunOfTheSameCaptureAddsNothing() throws {
        let capture = try Synthetic.write(
            Synthetic.session([
                Synthetic.Transfer(command: "RETR report.pdf", payload: Synthetic.payload(3000)),
                Synthetic.Transfer(command: "LIST", payload: Array("-rw-r--r-- 1 ftp ftp 3000 Nov 21 20:30 a\r\n".utf8)),
                Synthetic.Transfer(command: "RETR =SUM(1),2.csv", payload: Synthetic.payload(10)),
            ]))
        let directory = try TemporaryDirectory.make() + "/out"
        let first = try ExtractionRun(paths: [capture], directory: directory)
        let rowsAfterFirst = try first.manifestRows()
        let filesAfterFirst = first.filesOnDisk()
        let second = try ExtractionRun(paths: [capture], directory: directory)
        #expect(first.records.count == 3)
        #expect(first.records.allSatisfy { !$0.alreadyPresent })
        #expect(second.records.map(\.file.fileName) == first.records.map(\.file.fileName))
        #expect(second.records.allSatisfy { $0.alreadyPresent })
        #expect(second.records.map(\.file.sha256) == first.records.map(\.file.sha256))
        #expect(try second.manifestRows() == rowsAfterFirst)
        #expect(rowsAfterFirst.count == 4)
        #expect(second.filesOnDisk() == filesAfterFirst)
        #expect(filesAfterFirst.count == 4)  // two files, one listing, the manifest
    }

    /// A different file under a used name is never written over: it gets `-1` and a row of its own.
    @Test func differentContentUnderAUsedNameGetsANewNameAndRow() throws {
        let directory = try TemporaryDirectory.make() + "/out"
        let one = try Synthetic.write(
            Synthetic.session([Synthetic.Transfer(command: "RETR report.pdf", payload: Synthetic.payload(3000))]))
        let other = try Synthetic.write(
            Synthetic.session([Synthetic.Transfer(command: "RETR report.pdf", payload: Synthetic.payload(2999))]))
        let first = try ExtractionRun(paths: [one], directory: directory)
        let second = try ExtractionRun(paths: [other], directory: directory)
        #expect(first.records.map(\.file.fileName) == ["S1-T1-report.pdf"])
        #expect(second.records.map(\.file.fileName) == ["S1-T1-report-1.pdf"])
        #expect(second.records.map(\.alreadyPresent) == [false])
        #expect(try second.contents("S1-T1-report.pdf") != second.contents("S1-T1-report-1.pdf"))
        let rows = try second.manifestRows()
        #expect(rows.count == 3)
        #expect(
            rows[0].prefix(9) == [
                "session", "transfer", "command", "path", "mode", "bytes", "sha256", "status", "file",
            ])
        #expect(rows.map { $0[8] } == ["file", "S1-T1-report.pdf", "S1-T1-report-1.pdf"])
    }

    /// A file changed or removed since the earlier run is not trusted: the transfer is written again, suffixed
    /// when the name is taken, with its own row.
    @Test func changedEarlierFileIsWrittenAgain() throws {
        let capture = try Synthetic.write(
            Synthetic.session([Synthetic.Transfer(command: "RETR report.pdf", payload: Synthetic.payload(3000))]))
        let directory = try TemporaryDirectory.make() + "/out"
        let first = try ExtractionRun(paths: [capture], directory: directory)
        var changed = try first.contents("S1-T1-report.pdf")
        changed[0] ^= 0xFF
        try Data(changed).write(to: URL(fileURLWithPath: directory + "/S1-T1-report.pdf"))
        let second = try ExtractionRun(paths: [capture], directory: directory)
        #expect(second.records.map(\.file.fileName) == ["S1-T1-report-1.pdf"])
        #expect(second.records.map(\.alreadyPresent) == [false])
        #expect(try second.manifestRows().count == 3)
        try FileManager.default.removeItem(atPath: directory + "/S1-T1-report-1.pdf")
        try FileManager.default.removeItem(atPath: directory + "/S1-T1-report.pdf")
        let third = try ExtractionRun(paths: [capture], directory: directory)
        #expect(third.records.map(\.file.fileName) == ["S1-T1-report.pdf"])
        #expect(third.records.map(\.alreadyPresent) == [false])
        #expect(try third.manifestRows().count == 4)
    }

    /// The manifest quotes per RFC 4180 and neutralises cells a spreadsheet would run.
    @Test func manifestQuotingAndFormulaNeutralisation() throws {
        let capture = try Synthetic.write(
            Synthetic.session([
                Synthetic.Transfer(command: "RETR =HYPERLINK(\"x\"),1.csv", payload: Synthetic.payload(10)),
                Synthetic.Transfer(command: "STOR @evil", payload: Synthetic.payload(20)),
            ]))
        let run = try ExtractionRun(paths: [capture])
        let rows = try run.manifestRows()
        try #require(rows.count == 3)
        let retr = rows[1]
        #expect(retr[0] == "S1")
        #expect(retr[1] == "1")
        #expect(retr[2] == "RETR")
        #expect(retr[3] == "/home/=HYPERLINK(\"x\"),1.csv")
        #expect(retr[4] == "passive")
        #expect(retr[5] == "10")
        #expect(retr[7] == "completed")
        #expect(retr[8] == "S1-T1-=HYPERLINK(_x_),1.csv")
        #expect(retr[11] == "complete")
        let raw = String(decoding: try run.contents("manifest.csv"), as: UTF8.self)
        #expect(raw.contains("\"/home/=HYPERLINK(\"\"x\"\"),1.csv\""))
    }

    @Test func gapsMakeAPartialFileOfTheCapturedBytes() throws {
        let payload = Synthetic.payload(10_000)
        let capture = try Synthetic.write(
            Synthetic.session([Synthetic.Transfer(command: "RETR big.bin", payload: payload, dropSegments: [2])]))
        let run = try ExtractionRun(paths: [capture])
        let record = try #require(run.record("RETR"))
        let expected = Array(payload[0..<2920]) + Array(payload[4380...])
        #expect(try run.contents(record.file.fileName) == Data(expected))
        #expect(record.file.bytes == UInt64(expected.count))
        #expect(!record.file.complete)
        #expect(record.file.note?.contains("1460 bytes missing from the capture in 1 gap (1460 at 2920)") == true)
        #expect(record.file.sha256 == sha256(Data(expected)))
    }

    /// ftplib-style: the data connection carries the upload before the STOR line is seen.
    @Test func bytesBeforeTheCommandAreKept() throws {
        let payload = Synthetic.payload(5000, seed: 7)
        let capture = try Synthetic.write(
            Synthetic.session([Synthetic.Transfer(command: "STOR early.bin", payload: payload, dataBeforeCommand: true)]
            ))
        let run = try ExtractionRun(paths: [capture])
        let record = try #require(run.record("STOR"))
        #expect(record.file.fileName == "S1-T1-early.bin")
        #expect(try run.contents(record.file.fileName) == Data(payload))
        #expect(record.file.complete)
        #expect(run.filesOnDisk() == ["S1-T1-early.bin", "manifest.csv"])
    }

    @Test func restWithoutTheEarlierPartIsAPartialFileOfItsOwn() throws {
        let capture = try Synthetic.write(
            Synthetic.session([
                Synthetic.Transfer(
                    command: "RETR tail.bin", payload: Synthetic.payload(500),
                    before: [("REST 1000", "350 Restarting at 1000")])
            ]))
        let run = try ExtractionRun(paths: [capture])
        let record = try #require(run.record("RETR"))
        #expect(record.file.fileName == "S1-T1-tail.bin")
        #expect(!record.file.complete)
        #expect(record.file.note?.contains("starts at REST offset 1000") == true)
    }

    /// In one session: a download cut by a reset, then REST + RETR of the rest, lands in one complete file.
    @Test func resumeInTheSameSession() throws {
        let whole = Synthetic.payload(8000, seed: 3)
        let capture = try Synthetic.write(
            Synthetic.session([
                Synthetic.Transfer(
                    command: "RETR movie.bin", payload: Array(whole[0..<5000]),
                    finalReply: "426 Connection closed; transfer aborted."),
                Synthetic.Transfer(
                    command: "RETR movie.bin", payload: Array(whole[3000...]), before: [("REST 3000", "350 Restarting")]
                ),
            ]))
        let run = try ExtractionRun(paths: [capture])
        try #require(run.records.count == 2)
        #expect(!run.records[0].file.complete)
        #expect(run.records[1].file.fileName == "S1-T1-movie.bin")
        #expect(run.records[1].file.complete)
        #expect(run.records[1].file.sha256 == sha256(Data(whole)))
        #expect(try run.contents("S1-T1-movie.bin") == Data(whole))
        #expect(run.filesOnDisk() == ["S1-T1-movie.bin", "manifest.csv"])
    }

    /// TYPE A transfers are saved byte for byte as sent (CRLF kept), and the transfer says TYPE A.
    @Test func asciiTransfersAreSavedAsSent() throws {
        let text = Array("line one\r\nline two\r\n".utf8)
        let capture = try Synthetic.write(
            Synthetic.session([
                Synthetic.Transfer(
                    command: "RETR readme.txt", payload: text, before: [("TYPE A", "200 Switching to ASCII mode.")])
            ]))
        let run = try ExtractionRun(paths: [capture])
        let record = try #require(run.record("RETR"))
        #expect(try run.contents(record.file.fileName) == Data(text))
        #expect(run.transfers.first?.transfer.transferType == "A")
    }

    @Test func emptyCompletedDownloadIsAnEmptyFile() throws {
        let capture = try Synthetic.write(
            Synthetic.session([Synthetic.Transfer(command: "RETR empty.txt", payload: [])]))
        let run = try ExtractionRun(paths: [capture])
        let record = try #require(run.record("RETR"))
        #expect(record.file.bytes == 0)
        #expect(record.file.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try run.contents(record.file.fileName).isEmpty)
    }

    @Test func listingsAreParsedAndKept() throws {
        let listing = """
            total 12\r
            drwxr-xr-x    2 ftp      ftp          4096 Nov 21  2025 pub\r
            lrwxrwxrwx    1 ftp      ftp             7 Nov 21 20:30 latest -> pub/a b\r
            crw-rw-rw-    1 root     root       1,   3 Nov 21 20:30 null\r

            """
        let capture = try Synthetic.write(
            Synthetic.session([
                Synthetic.Transfer(command: "LIST -la", payload: Array(listing.utf8)),
                Synthetic.Transfer(command: "NLST", payload: Array("a.txt\r\nb c.txt\r\n".utf8)),
            ]))
        let run = try ExtractionRun(paths: [capture])
        let transfers = run.transfers.map(\.transfer)
        #expect(
            transfers[0].listing == [
                ListingEntry(name: "pub", type: "dir", size: 4096, modified: "Nov 21 2025"),
                ListingEntry(name: "latest", type: "link", size: 7, modified: "Nov 21 20:30"),
                ListingEntry(name: "null", type: "char_device", size: nil, modified: "Nov 21 20:30"),
            ])
        #expect(transfers[0].extractedFile?.fileName == "listings/S1-T1-LIST-home.txt")
        #expect(
            transfers[1].listing == [
                ListingEntry(name: "a.txt", type: "unknown", size: nil, modified: nil),
                ListingEntry(name: "b c.txt", type: "unknown", size: nil, modified: nil),
            ])
        #expect(transfers[1].extractedFile?.fileName == "listings/S1-T2-NLST-home.txt")
    }

    // MARK: - The directory

    @Test func directoryIsCreatedWithItsParents() throws {
        let directory = try TemporaryDirectory.make() + "/a/b/c"
        _ = try Extraction(directory: directory).finish()
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: directory + "/listings", isDirectory: &isDirectory))
        #expect(isDirectory.boolValue)
    }

    @Test func aFileIsNotADirectory() throws {
        let path = try TemporaryDirectory.make() + "/file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ExtractionError.self) { try Extraction(directory: path) }
        #expect(error?.description == "cannot extract to \(path): not a directory")
    }

    @Test func aSymbolicLinkAsDirectoryIsRefused() throws {
        let base = try TemporaryDirectory.make()
        try FileManager.default.createDirectory(atPath: base + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: base + "/link", withDestinationPath: base + "/real")
        let error = #expect(throws: ExtractionError.self) { try Extraction(directory: base + "/link") }
        #expect(error?.description.contains("is a symbolic link") == true)
        // A planted listings/ link or manifest link is refused too, and nothing is written through them.
        try FileManager.default.createDirectory(atPath: base + "/d1", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: base + "/d1/listings", withDestinationPath: base + "/real")
        #expect(throws: ExtractionError.self) { try Extraction(directory: base + "/d1") }
        try FileManager.default.createDirectory(atPath: base + "/d2", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: base + "/d2/manifest.csv", withDestinationPath: base + "/real/manifest.csv")
        #expect(throws: ExtractionError.self) { try Extraction(directory: base + "/d2") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/real").isEmpty)
    }

    @Test func aReadOnlyDirectoryIsReported() throws {
        // root ignores permissions; the check means something only for other users.
        guard geteuid() != 0 else { return }
        let directory = try TemporaryDirectory.make() + "/ro"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o555)
        defer { chmod(directory, 0o755) }
        let error = #expect(throws: ExtractionError.self) { try Extraction(directory: directory) }
        #expect(error?.description.contains("not writable") == true)
    }
}
