import Foundation
import Testing

/// docs/ftpscope.1 (made by scripts/make-manual.sh from the ArgumentParser definitions) names every command and
/// every option the built executable has: a new option without a regenerated page fails here.
@Suite struct ManualTests {
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
