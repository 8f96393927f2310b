import Foundation
import Testing

/// `ftpscope compare` through the built executable: what the user sees, exit statuses included.
@Suite struct CompareCLITests {
    static let executable: URL? = {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("ftpscope"),
            Bundle.main.bundleURL.appendingPathComponent("ftpscope"),
            Paths.samples.deletingLastPathComponent().appendingPathComponent(".build/debug/ftpscope"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], in directory: URL? = nil) throws -> Outcome {
        let process = Process()
        guard let executable else {
            Issue.record("the ftpscope executable is not built next to the tests")
            throw CocoaError(.fileNoSuchFile)
        }
        process.executableURL = executable
        process.arguments = ["compare"] + arguments
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }

    @Test func textTellsThePairSideBySide() throws {
        let outcome = try Self.run([
            Paths.sample("active-nat-failure-client-side.pcap"), Paths.sample("active-nat-failure-server-side.pcap"),
            "--labels", "client,server",
        ])
        #expect(outcome.status == 0)
        #expect(outcome.stderr.isEmpty)
        #expect(outcome.stdout.contains("Pair 1: client S1 = server S1"))
        #expect(outcome.stdout.contains("client end    10.0.0.2:41974    192.0.2.1:41974      (translated)"))
        #expect(outcome.stdout.contains("lost between server → client, cause nat_without_alg"))
    }

    @Test func unreadableCaptureIsOneLineAndStatusOne() throws {
        let outcome = try Self.run([Paths.sample("active-nat-failure-client-side.pcap"), "/nonexistent/x.pcap"])
        #expect(outcome.status == 1)
        let lines = outcome.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("/nonexistent/x.pcap") == true)
        #expect(outcome.stdout.isEmpty)
    }

    @Test(arguments: [
        ["only-one.pcap"],
        ["a.pcap", "b.pcap", "--labels", "x"],
        ["a.pcap", "b.pcap", "--labels", "x,x"],
        ["a.pcap", "b.pcap", "--labels", "x,"],
        ["a.pcap", "-"],
    ])
    func badArgumentsAreUsageErrors(arguments: [String]) throws {
        let outcome = try Self.run(arguments)
        // ArgumentParser's usage status (EX_USAGE).
        #expect(outcome.status == 64)
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderr.hasPrefix("Error: "))
    }
}
