import Foundation
import TestSupport
import Testing

/// Broken captures through the built `ftpscope` executable (SPEC.md, exit status): one line on standard error naming
/// the file and the reason, exit 1 when the input can't be read, a warning and exit 0 when it was cut short. The
/// library-level checks are in PacketCaptureTests; this is what the user sees, stack traces included (none).
@Suite struct BrokenCaptureCLITests {
    /// The executable `swift build` put next to the test bundle, if it is there.
    static let executable: URL? = {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("ftpscope"),
            Bundle.main.bundleURL.appendingPathComponent("ftpscope"),
            Paths.repositoryRoot.appendingPathComponent(".build/debug/ftpscope"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    struct Outcome {
        var status: Int32
        var stderr: String
        var stderrLines: [Substring] { stderr.split(separator: "\n") }
    }

    static func run(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        guard let url = Self.executable else { throw CocoaError(.fileNoSuchFile) }
        process.executableURL = url
        process.arguments = ["analyze"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stderr: String(decoding: data, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-cli-\(getpid())-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let sample = Paths.samples.appendingPathComponent("active-nat-failure.pcap")

    /// Each case: a name, how to make the file, the status, and a piece of the message.
    static var failures: [(String, (URL) throws -> Void, String)] {
        [
        ("empty.pcap", { try Data().write(to: $0) }, "empty"),
        ("text.pcap", { try Data("USER anonymous\r\n".utf8).write(to: $0) }, "not a capture"),
        ("dir.pcap", { try FileManager.default.createDirectory(at: $0, withIntermediateDirectories: true) }, "directory"),
        ("missing.pcap", { _ in }, "No such file"),
        (
            "mixed.pcapng",
            { url in
                let packets = (0..<4).map {
                    PcapWriter.Packet(time: .init(nanoseconds: Int64($0) * 1000), data: [UInt8](repeating: 0, count: 60), interface: $0 % 2)
                }
                let bytes = PcapWriter.pcapng(
                    interfaces: [PcapWriter.Interface(linkType: 1), PcapWriter.Interface(linkType: 101)], packets: packets)
                try Data(bytes).write(to: url)
            }, "different link types"
        ),
        (
            "cut-gzip.pcap.gz",
            { url in
                let bytes = try PcapWriter.gzip(Array(try Data(contentsOf: sample)))
                try Data(bytes.prefix(12)).write(to: url)
            }, ""
        ),
        ]
    }

    @Test(.enabled(if: executable != nil, "build ftpscope first (swift build); the executable was not found"))
    func unreadableInputsFailWithOneLine() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, make, reason) in Self.failures {
            let url = directory.appendingPathComponent(name)
            try make(url)
            let outcome = try Self.run([url.path])
            #expect(outcome.status == 1, "\(name): status \(outcome.status), stderr \(outcome.stderr)")
            #expect(outcome.stderrLines.count == 1, "\(name): \(outcome.stderr)")
            #expect(outcome.stderr.contains(url.path), "\(name): the message names the file: \(outcome.stderr)")
            #expect(reason.isEmpty || outcome.stderr.localizedCaseInsensitiveContains(reason), "\(name): \(outcome.stderr)")
            #expect(!outcome.stderr.contains("Stack dump") && !outcome.stderr.contains("Fatal error"))
        }
    }

    @Test(.enabled(if: executable != nil, "build ftpscope first (swift build); the executable was not found"))
    func damagedInputsWarnAndSucceed() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = Array(try Data(contentsOf: Self.sample))
        var corrupt = original
        // The first record's captured length (offset 8 in its header, after the 24-byte file header) becomes huge.
        corrupt.replaceSubrange(32..<36, with: [0xFF, 0xFF, 0xFF, 0x7F])
        let gzipCut = try PcapWriter.gzip(original)
        let cases: [(String, [UInt8])] = [
            ("cut.pcap", Array(original.prefix(original.count / 2 + 3))),
            ("corrupt-length.pcap", corrupt),
            ("cut-late.pcap.gz", Array(gzipCut.prefix(gzipCut.count * 2 / 3))),
        ]
        for (name, bytes) in cases {
            let url = directory.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            let outcome = try Self.run([url.path])
            #expect(outcome.status == 0, "\(name): status \(outcome.status), stderr \(outcome.stderr)")
            #expect(outcome.stderrLines.count == 1, "\(name): \(outcome.stderr)")
            #expect(outcome.stderr.hasPrefix("ftpscope: warning: \(url.path)"), "\(name): \(outcome.stderr)")
        }
    }
}
