import FTPAnalysis
import FTPScope
import Foundation
import Reports
import Testing
import TimelineTestSupport

/// Every output shows each field failure's status, its cause and the fix (issue 15): the text summary, the JSON
/// document, the timeline (CSV and JSON Lines carry the same row) and the HTML report.
@Suite struct FieldOutputTests {
    struct Case: Sendable, CustomStringConvertible {
        var file: String
        var status: DataStatus
        var cause: DataCause
        /// Words of the fix that every output must carry.
        var fix: String
        var description: String { file }
    }

    static let cases: [Case] = [
        Case(file: "stalled-mtu-server-side.pcap", status: .stalled, cause: .pathMTUBlackhole, fix: "Clamp the TCP MSS"),
        Case(file: "stalled-mtu-client-side.pcap", status: .stalled, cause: .pathMTUBlackhole, fix: "Clamp the TCP MSS"),
        Case(file: "stalled-receiver-vsftpd.pcap", status: .stalled, cause: .dataTimeout, fix: "look at the client program"),
        Case(
            file: "passive-not-forwarded-server-side.pcap", status: .notSeen, cause: .passivePortNotForwarded,
            fix: "forward the passive range"),
        Case(
            file: "refused-after-connect-vsftpd.pcap", status: .commandFailed, cause: .serverRefusedCommand,
            fix: "Check that the path exists"),
    ]

    @Test(arguments: cases)
    func statusCauseAndFixInEveryOutput(_ expected: Case) throws {
        var result = try OfflineAnalysis.run(paths: [SampleTests.path(expected.file)])
        result.inputs[0].path = "samples/" + expected.file
        let input = result.reportInput(showPasswords: false)

        let text = TextSummary(useColor: false).render(input)
        #expect(text.contains(expected.cause.rawValue))
        #expect(text.contains(expected.fix))

        let json = JSONDocument.render(input)
        #expect(json.contains("\"status\": \"\(expected.status.rawValue)\""))
        #expect(json.contains("\"cause\": \"\(expected.cause.rawValue)\""))
        #expect(json.contains(expected.fix))

        let html = HTMLReport.render(input)
        #expect(html.contains(expected.status.rawValue))
        #expect(html.contains(expected.cause.rawValue))
        #expect(html.contains(expected.fix))

        let collector = TimelineRowCollector()
        let timeline = TimelineSink(writers: [collector], passwords: PasswordPolicy(showPasswords: false))
        _ = try OfflineAnalysis.run(paths: [SampleTests.path(expected.file)], eventSink: timeline)
        try timeline.finish()
        let row = try #require(collector.rows.first { $0.event == .dataConnection && $0.cause == expected.cause })
        #expect(row.dataStatus == expected.status)
        #expect(row.detail?.contains(expected.fix) == true)
        #expect(row.values.count == TimelineRow.columns.count)
    }

}
