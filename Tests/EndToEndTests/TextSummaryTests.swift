import FTPScope
import Foundation
import Reports
import Testing

/// The text summary as a person reads it (issue 18): verdict first, findings from high to info, each long
/// sentence said at most twice, on every sample and every corpus trace; and a committed text baseline per sample
/// so that a change to the summary is a reviewed diff.
@Suite struct TextSummaryTests {
    static let samples: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Paths.samples.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") || $0.hasSuffix(".pcap.gz") }.sorted()
    }()

    /// Every capture the properties are checked on: samples, then corpus traces.
    static let captures: [String] =
        samples.map { "samples/" + $0 } + Paths.corpusTraces().map { "corpus/" + $0 }

    static func path(_ capture: String) -> String {
        capture.hasPrefix("samples/")
            ? Paths.samples.appendingPathComponent(String(capture.dropFirst(8))).path
            : Paths.trace(String(capture.dropFirst(7)))
    }

    /// The summary as `analyze` prints it when piped, with the capture named as the user would name it.
    static func summary(_ capture: String) throws -> String {
        var result = try OfflineAnalysis.run(paths: [path(capture)])
        result.inputs[0].path = capture
        return TextSummary(useColor: false).render(result.reportInput(showPasswords: false))
    }

    static let severities = ["[high]", "[medium]", "[low]", "[info]"]

    @Test func everyCaptureIsChecked() {
        #expect(Self.samples.count >= 20)
        #expect(Self.captures.count == Self.samples.count + 25, "the 25 corpus traces are present")
    }

    @Test(arguments: captures)
    func verdictFirstAndEachSentenceOnce(_ capture: String) throws {
        let text = try Self.summary(capture)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Findings as listed: the severity tag that opens each finding line.
        let tags = lines.compactMap { line in
            Self.severities.firstIndex { line.hasPrefix("  " + $0) }
        }
        let result = try OfflineAnalysis.run(paths: [Self.path(capture)])
        #expect(tags.isEmpty == result.findings.isEmpty, "every finding kind is listed")
        #expect(tags == tags.sorted(), "findings run from high to info: \(tags)")
        if let worst = result.findings.max(by: { $0.severity < $1.severity }) {
            let tag = "  [\(worst.severity.rawValue)]"
            let worstKinds = Set(result.findings.filter { $0.severity == worst.severity }.map(\.kind.rawValue))
            let found = lines.prefix(15).contains { line in
                line.hasPrefix(tag) && worstKinds.contains { line.dropFirst(tag.count).trimmingCharacters(in: .whitespaces).hasPrefix($0) }
            }
            #expect(found, "the most severe finding is in the first 15 lines")
        }
        // No sentence of 60 characters or more appears more than twice.
        var seen: [String: Int] = [:]
        for line in lines {
            for sentence in Self.sentences(line) where sentence.count >= 60 { seen[sentence, default: 0] += 1 }
        }
        let repeated = seen.filter { $0.value > 2 }
        #expect(repeated.isEmpty, "repeated: \(repeated.keys.sorted().prefix(3))")
    }

    /// bruteforce.pcap: thirty failed logins, none succeeded. The finding counts them all (it stopped at the
    /// threshold of 20 before) and says that none succeeded, and the text says it once, first.
    @Test func bruteforceCountsTheWholeRun() throws {
        let result = try OfflineAnalysis.run(paths: [Paths.trace("bruteforce.pcap")])
        let finding = try #require(result.findings.first { $0.kind == .bruteforce })
        #expect(finding.summary == "30 failed logins from 192.168.56.1 to 192.168.56.101, none succeeded")
        #expect(!finding.detail.contains("check for a later successful login"))
        let text = try Self.summary("corpus/bruteforce.pcap")
        let lines = text.split(separator: "\n").map(String.init)
        // Named after the session where the run crossed the default threshold (10 failures, issue 15).
        #expect(lines[3].hasPrefix("  [high]   bruteforce (S10): 30 failed logins"))
        #expect(lines[5].hasPrefix("  [medium] cleartext_credentials ×30 (S1–S30): "))
        #expect(text.components(separatedBy: "Require FTPS").count == 2, "the advice once")
    }

    /// A line's sentences: cut after `. ` and trimmed.
    static func sentences(_ line: String) -> [String] {
        var out: [String] = []
        var current = ""
        var previous: Character = " "
        for character in line {
            if character == " " && previous == "." {
                out.append(current)
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        out.append(current)
        return out.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Every sample's text summary against its committed baseline. A baseline changes only on purpose: run
    /// with FTPSCOPE_UPDATE_BASELINES=1 to rewrite them, then read the diff.
    @Test(arguments: samples)
    func textMatchesBaseline(_ file: String) throws {
        let rendered = try Self.summary("samples/" + file)
        let baseline = Paths.repositoryRoot.appendingPathComponent("Tests/EndToEndTests/Baselines/text/\(file).txt")
        if ProcessInfo.processInfo.environment["FTPSCOPE_UPDATE_BASELINES"] == "1" {
            try FileManager.default.createDirectory(
                at: baseline.deletingLastPathComponent(), withIntermediateDirectories: true)
            try rendered.write(to: baseline, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: baseline, encoding: .utf8)
        #expect(
            rendered == expected,
            "text differs from \(baseline.lastPathComponent); rerun with FTPSCOPE_UPDATE_BASELINES=1 and read the diff")
    }
}
