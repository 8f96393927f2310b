import FTPAnalysis
import FTPScope
import Foundation
import Reports
import Testing

/// No password appears in any output without --show-passwords, and with it every password appears where it
/// belongs (SPEC.md, `--show-passwords`).
@Suite struct PasswordPolicyTests {
    /// Renders every output of a capture into one string per format.
    static func outputs(_ file: String, showPasswords: Bool) throws -> [String: String] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-pw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("t.csv").path
        let jsonl = directory.appendingPathComponent("t.jsonl").path
        let text = directory.appendingPathComponent("t.txt").path
        let outputs = try Outputs(
            options: OutputOptions(
                summary: .none, csvPath: csv, jsonlPath: jsonl, showPasswords: showPasswords, useColor: false,
                live: false))
        var configuration = AnalysisConfiguration()
        outputs.configure(&configuration)
        configuration.retainSessions = true
        let path = Paths.samples.appendingPathComponent(file).path
        let result = try OfflineAnalysis.run(paths: [path], configuration: configuration, eventSink: outputs.eventSink)
        try outputs.finish(result: result)
        let input = result.reportInput(showPasswords: showPasswords)
        try TextSummary().render(input).write(toFile: text, atomically: true, encoding: .utf8)
        return [
            "text": try String(contentsOfFile: text, encoding: .utf8),
            "json": JSONDocument.render(input),
            "html": HTMLReport.render(input),
            "csv": try String(contentsOfFile: csv, encoding: .utf8),
            "jsonl": try String(contentsOfFile: jsonl, encoding: .utf8),
        ]
    }

    @Test(arguments: [
        ("active-nat-failure.pcap", ["ftpscope-pass"]),
        ("failed-logins-pyftpdlib.pcap", ["correct-horse"]),
    ])
    func passwordsOnlyWhenAsked(_ file: String, _ passwords: [String]) throws {
        for (format, output) in try Self.outputs(file, showPasswords: false) {
            for password in passwords { #expect(!output.contains(password), "\(format) shows \(password)") }
            #expect(output.contains("<hidden>") || output.contains("&lt;hidden&gt;"), "\(format) marks it hidden")
        }
        for (format, output) in try Self.outputs(file, showPasswords: true) {
            for password in passwords { #expect(output.contains(password), "\(format) lacks \(password)") }
        }
    }

    @Test func anonymousEmailPasswordsAreShown() throws {
        for (format, output) in try Self.outputs("anonymous-vsftpd.pcap", showPasswords: false) {
            #expect(output.contains("guest@example.com"), "\(format)")
        }
    }
}
