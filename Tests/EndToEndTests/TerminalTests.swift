import Foundation
import Reports
import Testing

/// The text summary on a terminal (issue 18): wrapped to its width with a hanging indent, never wider, and
/// narrowed on demand, through the built executable as a user runs it.
@Suite struct TerminalTests {
    /// Runs `ftpscope ARGUMENTS` on an 80×24 pseudo-terminal (`script` from util-linux) and returns what it
    /// printed, colour sequences and carriage returns removed.
    static func onTerminal(_ arguments: [String], columns: Int = 80, in directory: URL? = nil) throws -> String {
        let executable = try #require(BrokenCaptureCLITests.executable, "the ftpscope executable is built")
        let script = try #require(
            ["/usr/bin/script", "/bin/script"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "script(1) is installed (scripts/setup.sh installs bsdutils)")
        let quoted = ([executable.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = ["-qec", "stty cols \(columns) rows 24; exec " + quoted.joined(separator: " "), "/dev/null"]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        if let directory { process.currentDirectoryURL = directory }
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        var text = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r", with: "")
        while let range = text.range(of: "\u{1B}\\[[0-9;]*[A-Za-z]", options: .regularExpression) {
            text.removeSubrange(range)
        }
        return text
    }

    @Test(arguments: TextSummaryTests.captures)
    func noLineWiderThanAnEightyColumnTerminal(_ capture: String) throws {
        let text = try Self.onTerminal(["analyze", TextSummaryTests.path(capture)])
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count > 3)
        let wide = lines.filter { $0.count > 80 }
        #expect(wide.isEmpty, "\(wide.count) lines wider than 80, e.g. \(wide.first ?? "")")
        // The first finding (the most severe) is still near the top once wrapped.
        if let first = lines.firstIndex(where: { $0.hasPrefix("  [") }) { #expect(first < 15) }
    }

    @Test func summaryOfALongSessionFitsOneScreen() throws {
        let text = try Self.onTerminal(["analyze", TextSummaryTests.path("corpus/cwd-navigation.pcap"), "--summary"])
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count <= 23, "\(lines.count) lines")
        #expect(lines.allSatisfy { $0.count <= 80 })
        #expect(text.contains("S1  10.3.22.91:58218 -> 10.167.25.101:21"))
    }

    /// Wrapping keeps every word, in order, and indents continuation lines; a text that fits is left alone.
    @Test func wrappingKeepsTheWords() {
        let line = "  [medium] failed_data_connection ×2 (S1): " + String(repeating: "word ", count: 60) + "end."
        let wrapped = TerminalFit.wrap(line + "\nshort\n", width: 60)
        let lines = wrapped.split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 60 })
        #expect(lines.dropFirst().dropLast().allSatisfy { $0.hasPrefix(String(repeating: " ", count: 11)) })
        #expect(lines.last == "short")
        #expect(wrapped.split(whereSeparator: { $0 == " " || $0 == "\n" }) == (line + " short").split(separator: " "))
        #expect(TerminalFit.wrap("fits\n", width: 60) == "fits\n")
        // A word longer than the line is cut, not left to overflow.
        let long = TerminalFit.wrap(String(repeating: "x", count: 150), width: 40)
        #expect(long.split(separator: "\n").allSatisfy { $0.count <= 40 })
        #expect(long.filter { $0 == "x" }.count == 150)
    }

    /// The README's quick-start output is what the tool prints on a terminal of that width, to the `…`.
    @Test func readmeQuickStartIsWhatTheToolPrints() throws {
        let readme = try String(contentsOf: Paths.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let intro = try #require(readme.range(of: "On a terminal 100 columns wide, the first command prints"))
        let open = try #require(readme.range(of: "```\n", range: intro.upperBound..<readme.endIndex))
        let close = try #require(readme.range(of: "\n…\n```", range: open.upperBound..<readme.endIndex))
        let shown = String(readme[open.upperBound..<close.lowerBound])
        #expect(shown.split(separator: "\n").count > 10)
        let printed = try Self.onTerminal(
            ["analyze", "samples/active-nat-failure.pcap"], columns: 100, in: Paths.repositoryRoot)
        #expect(printed.hasPrefix(shown + "\n"), "README.md's quick start differs from what ftpscope prints")
    }

    // MARK: - Narrowing

    @Test func statusFailedShowsTheTwoUnansweredListsOnly() throws {
        let text = try Self.onTerminal(
            ["analyze", Paths.samples.appendingPathComponent("active-nat-failure.pcap").path, "--status", "failed"],
            columns: 200)
        // Transfer rows: a time, then a mode column (command lines have none).
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("    20:") && ($0.contains(" active ") || $0.contains(" passive ")) }
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { $0.contains("unanswered") })
        #expect(!text.contains("completed"))
        #expect(!text.contains("RETR"))
        #expect(text.contains("narrowed to --status failed"))
    }
}
