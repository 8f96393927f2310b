import Foundation
import Testing

/// docs/ftpscope.1 (made by scripts/make-manual.sh from the ArgumentParser definitions) is what the generator
/// makes of the built executable today: any change to a command, option, help text or discussion without a
/// regenerated page fails here.
@Suite struct ManualTests {
    /// Regenerates the page from the built executable with swift-argument-parser's own `generate-manual` tool
    /// (built from the resolved checkout into its own scratch directory, so it does not contend with the build
    /// that runs these tests) and compares it with the committed page, line by line, all but the `.Dd` date.
    @Test func committedPageIsWhatTheGeneratorMakesToday() throws {
        let executable = try #require(BrokenCaptureCLITests.executable, "the ftpscope executable is built")
        let checkout = Paths.repositoryRoot.appendingPathComponent(".build/checkouts/swift-argument-parser")
        #expect(FileManager.default.fileExists(atPath: checkout.path), "swift-argument-parser is resolved")
        let scratch = Paths.repositoryRoot.appendingPathComponent(".build/manual-generator")
        let build = try Self.run(
            "/usr/bin/env",
            ["swift", "build", "--package-path", checkout.path, "--scratch-path", scratch.path, "--product",
             "generate-manual", "-c", "release"])
        try #require(build.status == 0, "building generate-manual failed: \(build.output.suffix(2000))")
        let tool = scratch.appendingPathComponent("release/generate-manual").path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-man-\(getpid())")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: output) }
        let generate = try Self.run(tool, [executable.path, "--output-directory", output.path])
        try #require(generate.status == 0, "generate-manual failed: \(generate.output)")
        let fresh = try String(contentsOf: output.appendingPathComponent("ftpscope.1"), encoding: .utf8)
        let committed = try String(
            contentsOf: Paths.repositoryRoot.appendingPathComponent("docs/ftpscope.1"), encoding: .utf8)
        let freshLines = fresh.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix(".Dd ") }
        let committedLines = committed.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix(".Dd ") }
        #expect(freshLines.count > 100)
        let firstDifference = zip(freshLines, committedLines).enumerated().first { $0.element.0 != $0.element.1 }
        let upToDate = freshLines == committedLines
        #expect(
            upToDate,
            """
            docs/ftpscope.1 is out of date: run scripts/make-manual.sh. First difference: \
            \(firstDifference.map { "generated \"\($0.element.0)\", committed \"\($0.element.1)\"" } ?? "length \(freshLines.count) vs \(committedLines.count) lines")
            """)
    }

    /// `man -l` renders the committed page (groff through man-db, installed by scripts/setup.sh) with every
    /// command and its options.
    @Test func manRendersTheCommittedPage() throws {
        let man = try #require(
            ["/usr/bin/man", "/bin/man"].first(where: FileManager.default.isExecutableFile),
            "man is installed (scripts/setup.sh installs man-db)")
        let page = Paths.repositoryRoot.appendingPathComponent("docs/ftpscope.1").path
        let rendered = try Self.run("/usr/bin/env", ["MANWIDTH=80", "MAN_KEEP_FORMATTING=0", man, "-l", page])
        #expect(rendered.status == 0, "man -l failed: \(rendered.output.prefix(500))")
        // man marks bold and underline by overstriking (`X\bX`, `_\bX`) when it writes to a pipe: drop the marks.
        let plain = rendered.output.replacing(/.\u{08}/, with: "")
        let lines = Set(plain.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        for command in ["analyze", "sniff", "compare"] {
            let rendersCommand = lines.contains { $0 == command || $0.hasPrefix(command + " ") }
            #expect(rendersCommand, "the rendered page has the \(command) command")
        }
        for option in ["--csv PATH", "--extract DIR", "-i, --interface NAME", "--labels A,B,", "--status STATUS,"] {
            let rendersOption = lines.contains(option)
            #expect(rendersOption, "the rendered page has \(option)")
        }
        #expect(rendered.output.contains("FTPSCOPE(1)"))
        #expect(!rendered.output.contains("warning"))
    }

    /// Runs a program, returning its exit status and its standard output and error together.
    static func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func manualNamesEveryCommandAndOption() throws {
        let page = try String(
            contentsOf: Paths.repositoryRoot.appendingPathComponent("docs/ftpscope.1"), encoding: .utf8)
        let executable = try #require(BrokenCaptureCLITests.executable, "the ftpscope executable is built")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--experimental-dump-help"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let root = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let command = try #require(root["command"] as? [String: Any])
        let subcommands = try #require(command["subcommands"] as? [[String: Any]])
        var checked = 0
        for subcommand in subcommands {
            let name = try #require(subcommand["commandName"] as? String)
            if name == "help" { continue }
            #expect(page.contains(name), "the page names the \(name) command")
            for argument in subcommand["arguments"] as? [[String: Any]] ?? [] {
                for spelling in argument["names"] as? [[String: Any]] ?? [] where spelling["kind"] as? String == "long" {
                    let option = try #require(spelling["name"] as? String)
                    if option == "help" || option == "version" { continue }
                    #expect(page.contains("Fl -\(option)") || page.contains(", -\(option) "), "docs/ftpscope.1 lacks --\(option) of \(name): run scripts/make-manual.sh")
                    checked += 1
                }
            }
        }
        #expect(checked > 20)
        #expect(page.contains(".Dt FTPSCOPE 1"))
    }
}
