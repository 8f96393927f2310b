import Crypto
import FTPAnalysis
import FTPScope
import FileExtraction
import Foundation
import TestSupport

/// Where the samples and the shared corpus are, from this file's path (tests run from any working directory).
enum Paths {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func sample(_ name: String) -> String { repositoryRoot.appendingPathComponent("samples/" + name).path }

    /// `../shared/corpus/zeek/traces/NAME` beside the repository, or under /work/shared; nil when absent.
    static func zeekTrace(_ name: String) -> String? {
        let candidates = [
            repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/zeek/traces/" + name).path,
            "/work/shared/corpus/zeek/traces/" + name,
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }
}

/// The SHA-256 of the files the sample servers sent or received, computed from their generators
/// (samples/scripts/lib.sh, samples/make-samples.sh, samples/scripts/ftplib-commands.py) with Python's hashlib.
enum Expected {
    /// `/pub/data.bin`: 20,000 bytes of `random.Random(20240501)`.
    static let dataBin = "23a6c6d615feb02d0eb702de18787f3d495833485e3574466c066f580e23cfcf"
    /// `/pub/notes.txt`: `("notes " * 700)[:4095] + "\n"`, 4,096 bytes.
    static let notesTxt = "4f09d78cda4a27cb9a7e8661c3970d5a946ddb276c786c2386a5a694544c9e52"
    /// `upload.txt`: 50 lines of `"upload line for ftpscope ".ljust(59, "-")`, 3,000 bytes.
    static let uploadTxt = "d4b992c923eacf5c3487c1fc121df0ac7f857b423bf03c6268a00c97290150b4"
    /// `/pub/resume.bin`: 200,000 bytes of `random.Random(7)`.
    static let resumeBin = "b52283440bab6359640886792d90237c64c4ac7d678a521be94555a9f9cafb2f"
    /// Its first 196,608 bytes (what S1 of resumed-transfer.pcap got before it was cut off).
    static let resumeBinHead = "b0e754a69810d6c40fe1c952b49cafd7400ea36fb626f56a4709527e23865246"
    /// ftplib STOR: `b"hello from ftpscope\n" * 50`.
    static let helloStor = "f1b708ebcd64d32b6e6f61bae1602c294712051ce28829421e6bd6e32d8b33ce"
    /// ftplib APPE: `b"appended line\n" * 10`.
    static let helloAppe = "d62e82070759fc80fb75e5f20fb2ba09935b0d2accd77a5258767843bd56acb9"
    /// ftplib STOU: `b"unique file contents\n" * 20`.
    static let stou = "97685cbb121720ff5e3285c663e372680025583ff7ad6c5fca7b062025e5bafe"
    /// The first 131,072 bytes of `/pub/big.bin` (all `A`), what the aborted RETR carried.
    static let bigBinHead = "02c9a68f567b8ec215d893cde67ae2da41ba3c9b838d0ba4d3d04ab3cdc58da6"
    /// Zeek's retr.pcap: `/README`, 16,557 bytes (the reference value).
    static let zeekReadme = "202674eba48e832690a4475113acf8b16a3f6c82c04c94b36bb2c7ce457ac8d2"
}

/// Runs the pipeline with extraction into a new temporary directory.
struct ExtractionRun {
    var result: AnalysisResult
    var directory: String
    var records: [ExtractionRecord]
    var totals: ExtractionTotals
    var warnings: [String]

    init(paths: [String], directory: String? = nil, configuration: AnalysisConfiguration = AnalysisConfiguration())
        throws
    {
        let directory = try directory ?? PcapWriter.makeTemporaryDirectory(prefix: "ftpscope-extract") + "/out"
        let extraction = try Extraction(directory: directory)
        result = try OfflineAnalysis.run(paths: paths, configuration: configuration, dataSink: extraction.sink)
        warnings = extraction.finish()
        records = extraction.records
        totals = extraction.totals
        self.directory = directory
    }

    /// The transfers of every session, with their session.
    var transfers: [(session: FTPSession, transfer: Transfer)] {
        result.sessions.flatMap { session in session.transfers.map { (session, $0) } }
    }

    /// The record of the transfer whose command is `command` and path ends with `suffix` (the first).
    func record(_ command: String, _ suffix: String = "") -> ExtractionRecord? {
        records.first { $0.command == command && ($0.path ?? "").hasSuffix(suffix) }
    }

    /// The bytes of an extracted file.
    func contents(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
    }

    /// SHA-256 of an extracted file as it is on disk now.
    func diskHash(_ name: String) throws -> String { sha256(try contents(name)) }

    /// Every regular file under the directory (relative names), recursively.
    func filesOnDisk() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: directory)
        var names: [String] = []
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                names.append(name)
            }
        }
        return names.sorted()
    }

    /// The manifest's rows, parsed (RFC 4180).
    func manifestRows() throws -> [[String]] {
        CSVParser.records(String(decoding: try contents("manifest.csv"), as: UTF8.self))
    }
}

func sha256(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

