import FTPAnalysis
import FTPScope
import FileExtraction
import Foundation
import Testing

/// Extraction on the real captures in samples/: every file's SHA-256 is that of the file the server sent or
/// received (known from the scripts that made the samples).
@Suite struct SampleExtractionTests {
    @Test func passiveVsftpdListingDownloadAndUpload() throws {
        let run = try ExtractionRun(paths: [Paths.sample("passive-vsftpd.pcap")])
        #expect(run.warnings.isEmpty)
        let notes = try #require(run.record("RETR", "/pub/notes.txt"))
        #expect(notes.file.fileName == "S1-T2-notes.txt")
        #expect(notes.file.bytes == 4096)
        #expect(notes.file.sha256 == Expected.notesTxt)
        #expect(notes.file.complete && notes.file.note == nil)
        #expect(try run.diskHash(notes.file.fileName) == Expected.notesTxt)

        let upload = try #require(run.record("STOR", "upload.txt"))
        #expect(upload.file.fileName == "S1-T3-upload.txt")
        #expect(upload.file.bytes == 3000)
        #expect(upload.file.sha256 == Expected.uploadTxt)
        #expect(try run.diskHash(upload.file.fileName) == Expected.uploadTxt)

        let list = try #require(run.record("LIST"))
        #expect(list.file.fileName == "listings/S1-T1-LIST-pub.txt")
        #expect(list.file.bytes == 133)
        #expect(list.file.complete)
        #expect(try run.contents(list.file.fileName).count == 133)
        let transfer = try #require(run.transfers.first { $0.transfer.command == .list }?.transfer)
        #expect(
            transfer.listing == [
                ListingEntry(name: "data.bin", type: "file", size: 20000, modified: "Nov 21 20:30"),
                ListingEntry(name: "notes.txt", type: "file", size: 4096, modified: "Nov 21 20:30"),
            ])
        #expect(transfer.extractedFile == list.file)
        // Nothing else is left in the directory: no temporary file.
        #expect(
            run.filesOnDisk() == ["S1-T2-notes.txt", "S1-T3-upload.txt", "listings/S1-T1-LIST-pub.txt", "manifest.csv"])
    }

    @Test(arguments: ["passive-vsftpd.pcap.gz", "passive-vsftpd-any.pcapng"])
    func sameSessionOtherFormats(name: String) throws {
        let run = try ExtractionRun(paths: [Paths.sample(name)])
        #expect(run.record("RETR")?.file.sha256 == Expected.notesTxt)
        #expect(run.record("STOR")?.file.sha256 == Expected.uploadTxt)
    }

    @Test func activeModeDownload() throws {
        let run = try ExtractionRun(paths: [Paths.sample("active-port.pcap")])
        let data = try #require(run.record("RETR", "data.bin"))
        #expect(data.file.bytes == 20000)
        #expect(data.file.sha256 == Expected.dataBin)
        #expect(data.file.complete)
        #expect(try run.diskHash(data.file.fileName) == Expected.dataBin)
        #expect(run.record("LIST")?.file.bytes == 133)
    }

    @Test(arguments: ["active-nat-failure.pcap", "epsv-ipv6.pcap", "anonymous-vsftpd.pcap"])
    func otherDownloads(name: String) throws {
        let run = try ExtractionRun(paths: [Paths.sample(name)])
        let hashes = Set(run.records.filter { $0.command == "RETR" }.map(\.file.sha256))
        #expect(!hashes.isEmpty)
        #expect(hashes.isSubset(of: [Expected.dataBin, Expected.notesTxt]))
        for record in run.records {
            #expect(try run.diskHash(record.file.fileName) == record.file.sha256)
        }
    }

    @Test(arguments: ["aborted-transfer.pcap", "aborted-transfer-urgent-abor.pcap"])
    func abortedDownloadIsPartial(name: String) throws {
        let run = try ExtractionRun(paths: [Paths.sample(name)])
        let big = try #require(run.record("RETR", "big.bin"))
        #expect(big.file.bytes == 131_072)
        #expect(big.file.sha256 == Expected.bigBinHead)
        #expect(!big.file.complete)
        let note = try #require(big.file.note)
        #expect(note.contains("aborted"))
        #expect(note.contains("5000000"))
        let notes = try #require(run.record("RETR", "notes.txt"))
        #expect(notes.file.sha256 == Expected.notesTxt)
        #expect(notes.file.complete)
    }

    /// S1 is cut off (reset), S2 resumes with REST 196608: S2's bytes are written at that offset into S1's file,
    /// which then equals the server's file.
    @Test func resumedDownloadIsWrittenIntoTheEarlierFile() throws {
        let run = try ExtractionRun(paths: [Paths.sample("resumed-transfer.pcap")])
        #expect(run.warnings.isEmpty)
        let retrs = run.records.filter { $0.command == "RETR" }
        try #require(retrs.count == 2)
        let first = retrs[0]
        let resumed = retrs[1]
        #expect(first.session == "S1")
        #expect(!first.file.complete)
        #expect(first.file.note?.contains("reset") == true)
        #expect(first.file.bytes >= 196_608)
        if first.file.bytes == 196_608 { #expect(first.file.sha256 == Expected.resumeBinHead) }
        #expect(resumed.session == "S2")
        #expect(resumed.file.fileName == first.file.fileName)
        #expect(resumed.file.bytes == 3392)
        #expect(resumed.file.sha256 == Expected.resumeBin)
        #expect(resumed.file.complete)
        #expect(resumed.file.note?.contains("resumed at offset 196608") == true)
        #expect(try run.diskHash(first.file.fileName) == Expected.resumeBin)
        #expect(try run.contents(first.file.fileName).count == 200_000)
        #expect(run.filesOnDisk() == [first.file.fileName, "manifest.csv"])
    }

    @Test func pyftpdlibUploadsAppendUniqueAndMLSD() throws {
        let run = try ExtractionRun(paths: [Paths.sample("pyftpdlib-commands.pcap")])
        #expect(run.warnings.isEmpty)
        let stor = try #require(run.record("STOR"))
        #expect(stor.file.fileName == "S1-T1-hello.txt")
        #expect(stor.file.sha256 == Expected.helloStor)
        let appe = try #require(run.record("APPE"))
        #expect(appe.file.fileName == "S1-T2-hello.txt")
        #expect(appe.file.sha256 == Expected.helloAppe)
        #expect(appe.file.bytes == 140)
        let stou = try #require(run.record("STOU"))
        #expect(stou.file.fileName == "S1-T3-ftpd.xkc07ekx")
        #expect(stou.file.sha256 == Expected.stou)
        for record in [stor, appe, stou] {
            #expect(record.file.complete)
            #expect(try run.diskHash(record.file.fileName) == record.file.sha256)
        }
        let mlsd = try #require(run.record("MLSD"))
        #expect(mlsd.file.fileName == "listings/S1-T4-MLSD-newdir.txt")
        #expect(mlsd.file.bytes == 175)
        let transfer = try #require(run.transfers.first { $0.transfer.command == .mlsd }?.transfer)
        #expect(
            transfer.listing == [
                ListingEntry(name: "renamed.txt", type: "file", size: 1140, modified: "20261121204549"),
                ListingEntry(name: "ftpd.xkc07ekx", type: "file", size: 420, modified: "20261121204549"),
            ])
        #expect(transfer.transferType == "A")
        // RETR of a missing file: the data connection opened and closed empty, 550: no file.
        #expect(run.record("RETR") == nil)
    }

    @Test(.enabled(if: Paths.zeekTrace("retr.pcap") != nil, "the Zeek corpus is not beside the repository"))
    func zeekRetrReadme() throws {
        let trace = try #require(Paths.zeekTrace("retr.pcap"))
        let run = try ExtractionRun(paths: [trace])
        let readme = try #require(run.record("RETR", "/README"))
        #expect(readme.file.bytes == 16_557)
        #expect(readme.file.sha256 == Expected.zeekReadme)
        #expect(readme.file.fileName == "S1-T1-README")
        #expect(try run.diskHash(readme.file.fileName) == Expected.zeekReadme)
    }

    /// Extracting a real capture twice into one directory: the second run recognises every file (a resumed
    /// download rewritten into its earlier file included), writes no copy and repeats no manifest row.
    @Test(arguments: [
        "passive-vsftpd.pcap", "resumed-transfer.pcap", "pyftpdlib-commands.pcap", "aborted-transfer.pcap",
        "epsv-ipv6.pcap",
    ])
    func secondExtractionIntoTheSameDirectoryRepeatsNothing(name: String) throws {
        let directory = try TemporaryDirectory.make() + "/out"
        let first = try ExtractionRun(paths: [Paths.sample(name)], directory: directory)
        let rows = try first.manifestRows()
        let files = first.filesOnDisk()
        let hashes = try files.map { try first.diskHash($0) }
        let second = try ExtractionRun(paths: [Paths.sample(name)], directory: directory)
        #expect(!first.records.isEmpty)
        #expect(second.records.count == first.records.count)
        #expect(second.records.filter { !$0.alreadyPresent }.map(\.file.fileName) == [])
        #expect(try second.manifestRows() == rows)
        #expect(second.filesOnDisk() == files)
        #expect(try files.map { try second.diskHash($0) } == hashes)
        // The counts on standard error agree with the records, without keeping them.
        #expect(first.totals.files == first.records.count)
        #expect(first.totals.bytes == first.records.reduce(0) { $0 + $1.file.bytes })
        #expect(first.totals.partial == first.records.filter { !$0.file.complete }.count)
        #expect(first.totals.alreadyPresent == 0)
        #expect(second.totals.files == 0 && second.totals.bytes == 0)
        #expect(second.totals.alreadyPresent == first.records.count)
    }

    static let tshark = ["/usr/bin/tshark", "/usr/local/bin/tshark"].first(where: FileManager.default.isExecutableFile)

    /// Every file tshark's Export Objects (ftp-data) links to a transfer has the same hash as one of ours.
    @Test(
        .enabled(if: tshark != nil, "tshark is not installed"),
        arguments: [
            "passive-vsftpd.pcap", "active-port.pcap", "aborted-transfer.pcap", "resumed-transfer.pcap",
            "pyftpdlib-commands.pcap", "anonymous-vsftpd.pcap", "epsv-ipv6.pcap",
        ])
    func agreesWithTshark(name: String) throws {
        let tshark = try #require(Self.tshark)
        let exportDirectory = try TemporaryDirectory.make()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tshark)
        process.arguments = ["-r", Paths.sample(name), "-q", "--export-objects", "ftp-data,\(exportDirectory)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let exported = try FileManager.default.contentsOfDirectory(atPath: exportDirectory)
        // tshark links the data of these two (notes.txt and upload.txt; big.bin and notes.txt): the comparison
        // below is not vacuous.
        if name == "passive-vsftpd.pcap" || name == "aborted-transfer.pcap" { #expect(exported.count == 2) }
        let run = try ExtractionRun(paths: [Paths.sample(name)])
        // Ours: what each transfer carried (the resumed transfer's record hashes the whole file; compare the
        // files on disk as they were written by the transfers tshark knows, i.e. the record hashes and the files).
        var ours = Set(run.records.map(\.file.sha256))
        for file in run.filesOnDisk() { ours.insert(try run.diskHash(file)) }
        for object in exported {
            let data = try Data(contentsOf: URL(fileURLWithPath: exportDirectory + "/" + object))
            #expect(ours.contains(sha256(data)), "tshark's \(object) (\(data.count) bytes) matches no extracted file")
        }
    }
}

enum TemporaryDirectory {
    static func make() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-tshark-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Every capture of the samples and the Zeek corpus: extraction runs cleanly, leaves no temporary file, and each
/// file on disk has the hash of the last record that wrote it.
@Suite struct CorpusExtractionTests {
    static func captures() -> [String] {
        var paths: [String] = []
        let samples = Paths.repositoryRoot.appendingPathComponent("samples").path
        for name in (try? FileManager.default.contentsOfDirectory(atPath: samples)) ?? []
        where name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") || name.hasSuffix(".pcap.gz") {
            paths.append(samples + "/" + name)
        }
        if let retr = Paths.zeekTrace("retr.pcap") {
            let traces = URL(fileURLWithPath: retr).deletingLastPathComponent().path
            for name in (try? FileManager.default.contentsOfDirectory(atPath: traces)) ?? []
            where name.hasSuffix(".pcap") || name.hasSuffix(".pcap.gz") {
                paths.append(traces + "/" + name)
            }
        }
        return paths.sorted()
    }

    @Test func everyCaptureExtractsConsistently() throws {
        for capture in Self.captures() {
            let run = try ExtractionRun(paths: [capture])
            #expect(run.warnings.isEmpty, "\(capture): \(run.warnings)")
            var last: [String: ExtractionRecord] = [:]
            for record in run.records { last[record.file.fileName] = record }
            let onDisk = run.filesOnDisk().filter { $0 != "manifest.csv" }
            #expect(onDisk == last.keys.sorted(), "\(capture)")
            for (name, record) in last {
                #expect(try run.diskHash(name) == record.file.sha256, "\(capture): \(name)")
            }
            #expect(try run.manifestRows().count == run.records.count + 1)
        }
    }
}
