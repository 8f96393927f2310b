import Foundation
import Testing

/// The README's `compare` example is what the tool prints.
@Suite struct ReadmeExampleTests {
    static let root = Paths.samples.deletingLastPathComponent()

    /// The command after `$ ` and the lines that follow it up to the end of the code block.
    static func example() throws -> (arguments: [String], output: String) {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix("$ ftpscope compare ") })
        let end = try #require(lines[start...].firstIndex { $0 == "```" })
        let arguments = lines[start].dropFirst("$ ftpscope ".count).split(separator: " ").map(String.init)
        return (arguments, lines[(start + 1)..<end].map { $0 + "\n" }.joined())
    }

    @Test func readmeShowsWhatComparePrints() throws {
        let (arguments, expected) = try Self.example()
        #expect(arguments.first == "compare")
        let outcome = try CompareCLITests.run(Array(arguments.dropFirst()), in: Self.root)
        #expect(outcome.status == 0)
        #expect(outcome.stdout == expected)
    }
}
