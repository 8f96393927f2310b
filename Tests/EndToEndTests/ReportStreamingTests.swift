import FTPAnalysis
import FTPScope
import Foundation
import Reports
import Testing

/// `--report` is assembled from sections spooled as sessions end (memory follows the open sessions, not the
/// capture); the page must be byte for byte what the whole-capture rendering makes of the same analysis.
@Suite struct ReportStreamingTests {
    static func pages(
        _ path: String, indexMemoryBudget: Int = HTMLReportSink.defaultIndexMemoryBudget
    ) throws -> (streamed: String, rendered: String) {
        let sink = HTMLReportSink(passwords: PasswordPolicy(showPasswords: false), indexMemoryBudget: indexMemoryBudget)
        var configuration = AnalysisConfiguration()
        configuration.retainSessions = true  // only so the whole-capture rendering has something to compare with
        let result = try OfflineAnalysis.run(paths: [path], configuration: configuration, eventSink: sink)
        let input = result.reportInput(showPasswords: false)
        var streamed = ""
        try sink.finish(input, text: { streamed += $0 }, bytes: { streamed += String(decoding: $0, as: UTF8.self) })
        return (streamed, HTMLReport.render(input))
    }

    @Test(arguments: ECSEventTests.captures)
    func streamedPageIsTheRenderedPage(_ path: String) throws {
        let (streamed, rendered) = try Self.pages(path)
        #expect(streamed.contains("<footer id=\"report-end\">"))
        let same = streamed == rendered
        #expect(same, "the streamed report differs from the rendered one")
    }

    /// With an index budget of one session, each session is a run of its own and the runs are merged in passes:
    /// the page is still byte for byte the rendered one.
    @Test(arguments: ["failed-logins-pyftpdlib.pcap", "guessing-run-pyftpdlib.pcap"])
    func aSpooledIndexMakesTheSamePage(_ sample: String) throws {
        let (streamed, rendered) = try Self.pages(
            Paths.samples.appendingPathComponent(sample).path, indexMemoryBudget: 1)
        #expect(streamed.matches(of: /<details class="session/).count > 2, "more sessions than runs merged at once")
        let same = streamed == rendered
        #expect(same, "the streamed report differs from the rendered one")
    }

    /// The sections come out failed first, then with warnings, then fine, each group in session order, whatever
    /// order the sessions ended in (epsv-ipv6.pcap's end out of order).
    @Test func sectionsAreOrderedByHealthThenSession() throws {
        let (streamed, _) = try Self.pages(Paths.samples.appendingPathComponent("epsv-ipv6.pcap").path)
        let opening = /<details class="session (bad|warn|ok)" id="S(\d+)"/
        let order = streamed.matches(of: opening).map { (health: ["bad": 0, "warn": 1, "ok": 2][String($0.1)]!, number: Int($0.2)!) }
        #expect(order.count > 1)
        #expect(zip(order, order.dropFirst()).allSatisfy { ($0.health, $0.number) < ($1.health, $1.number) })
    }
}
