#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import TestSupport
import Testing

@testable import Reports

/// The streamed report's assembly: the sessions' spooled rows and bodies come back in report order, each body
/// after its own section opening, whatever their sizes and the order the sessions ended in.
@Suite struct HTMLReportSinkTests {
    /// A session as the test spools it.
    struct Stored {
        var number: Int
        var health: HTMLReport.Health
        var body: String
        var id: String { "S\(number)" }
    }

    /// Bodies of every size (one empty, two longer than a read-back chunk, the rest short) come back whole and
    /// in order (failed, then warnings, then fine, each by session number), each after its section opening; the
    /// first failed sessions open.
    @Test func sectionBodiesComeBackInReportOrder() throws {
        let healths: [HTMLReport.Health] = [.ok, .failed, .warning]
        var sessions = (1...40).map { number in
            Stored(number: number, health: healths[number % 3], body: "<p>body of S\(number)</p>\n")
        }
        sessions[6].body = ""
        sessions[9].body = String(repeating: "<p>long S10</p>\n", count: SpoolReadBackLimits.chunkBytes / 16 + 100)
        sessions[30].body = String(repeating: "b", count: SpoolReadBackLimits.chunkBytes * 2 + 7)
        // Ended out of order: the spool holds them as they came.
        var generator = SplitMix64(seed: 17)
        let arrival = sessions.shuffled(using: &generator)
        let sink = HTMLReportSink(
            passwords: PasswordPolicy(showPasswords: false), indexMemoryBudget: HTMLReportSink.defaultIndexMemoryBudget,
            makeFile: { tmpfile() })
        for session in arrival {
            sink.store(row: "<tr>\(session.id)</tr>\n", body: session.body, id: session.id, health: session.health)
        }
        let input = ReportInput(
            version: "test", inputs: [], stats: [], sessions: [], findings: [], passwords: PasswordPolicy(showPasswords: false))
        var page = ""
        try sink.finish(input, text: { page += $0 }, bytes: { page += String(decoding: $0, as: UTF8.self) })

        let ordered = sessions.sorted { ($0.health.rawValue, $0.number) < ($1.health.rawValue, $1.number) }
        #expect(page.contains(HTMLReport.contentsOpening + ordered.map { "<tr>\($0.id)</tr>\n" }.joined()))
        var opened = 0
        var sections = HTMLReport.sessionsHeading(empty: false)
        for session in ordered {
            let open = session.health == .failed && opened < HTMLReport.maxOpenSessions
            if open { opened += 1 }
            sections += HTMLReport.sectionOpening(id: session.id, session.health, open: open) + session.body
        }
        #expect(page.contains(sections + HTMLReport.closing(input)))
    }
}
