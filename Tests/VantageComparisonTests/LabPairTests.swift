import Foundation
import Testing

@testable import VantageComparison

/// The pairs made by samples/make-compare-samples.sh: each scenario captured on the client's and on the server's
/// interface at once (samples/README.md). The NAT without a helper is SamplePairTests.
@Suite struct LabPairTests {
    struct Scenario: Sendable, CustomStringConvertible {
        var name: String
        /// Per pair: the control connection's client end at the client, then at the server.
        var clients: [[String]]
        /// Per pair and transfer: the status at the client and at the server.
        var statuses: [[[String]]]
        /// Per pair and transfer: whether the announcement was rewritten.
        var rewritten: [[Bool?]]
        /// Per pair and transfer: `lost_between` as labels.
        var lost: [[[String]?]]
        /// Per pair and transfer: the cause.
        var causes: [[TransferCause?]]
        /// A piece of the first failed transfer's verdict in words.
        var words: String?
        var description: String { name }
    }

    static let scenarios: [Scenario] = [
        // The kernel's FTP helper rewrote PORT on the NAT router; the server connects to the router, which
        // forwards into the LAN: both active transfers complete.
        Scenario(
            name: "compare-nat-helper", clients: [["10.0.0.2:38580", "192.0.2.1:38580"]],
            statuses: [[["completed", "completed"], ["completed", "completed"]]], rewritten: [[true, true]],
            lost: [[nil, nil]], causes: [[nil, nil]], words: nil),
        // The client host's firewall: the server's SYNs are at both interfaces, never answered.
        Scenario(
            name: "compare-client-firewall", clients: [["192.0.2.10:48782", "192.0.2.10:48782"]],
            statuses: [[["unanswered", "unanswered"]]], rewritten: [[false]], lost: [[nil]],
            causes: [[.clientFirewall]],
            words:
                "seen at both capture points and never answered: dropped beyond client, the last capture point on their way to the client (a host firewall on the client)"
        ),
        // A router in front of the server drops SYNs to the passive range: they leave the client, never arrive.
        Scenario(
            name: "compare-passive-blocked", clients: [["192.0.2.10:48034", "192.0.2.10:48034"]],
            statuses: [[["unanswered", "not_seen"]]], rewritten: [[false]], lost: [[["client", "server"]]],
            causes: [[.passivePortBlocked]],
            words:
                "The client's 5 SYNs to 198.51.100.21:40046 were seen at client and never reached server: dropped between them"
        ),
        // Nothing in the way: two sessions, passive and active, everything completes, nothing is translated.
        Scenario(
            name: "compare-clean",
            clients: [["192.0.2.10:55636", "192.0.2.10:55636"], ["192.0.2.10:55638", "192.0.2.10:55638"]],
            statuses: [[["completed", "completed"], ["completed", "completed"]], [["completed", "completed"]]],
            rewritten: [[false, false], [false]], lost: [[nil, nil], [nil]], causes: [[nil, nil], [nil]], words: nil),
    ]

    @Test(arguments: scenarios)
    func pairTellsTheStory(scenario: Scenario) throws {
        let points = ["client", "server"].map {
            CapturePoint(label: $0, path: Paths.sample("\(scenario.name)-\($0).pcap"))
        }
        let report = try Comparison.run(captures: points)
        #expect(report.unpaired.isEmpty)
        #expect(report.groups.count == scenario.clients.count)
        #expect(
            report.groups.map { $0.sessions.map { $0?.id } }
                == report.groups.indices.map { ["S\($0 + 1)", "S\($0 + 1)"] })
        #expect(report.groups.map { $0.sessions.map { $0?.client.description ?? "" } } == scenario.clients)
        // The captures were taken on one machine: the same packet a fraction of a millisecond apart.
        #expect(report.groups.allSatisfy { abs($0.clockOffsets[1] ?? .max) < 1_000_000 })
        #expect(report.groups.allSatisfy { $0.clientToServer == [0, 1] })
        #expect(
            report.groups.map { $0.transfers.map { $0.views.map { $0?.status.rawValue ?? "" } } } == scenario.statuses)
        #expect(report.groups.map { $0.transfers.map(\.rewritten) } == scenario.rewritten)
        #expect(
            report.groups.map {
                $0.transfers.map { $0.lostBetween.map { [points[$0.seenAt].label, points[$0.missingAt].label] } }
            }
                == scenario.lost)
        #expect(report.groups.map { $0.transfers.map(\.cause) } == scenario.causes)
        let failed = report.groups.flatMap(\.transfers).first { $0.cause != nil }
        if let words = scenario.words {
            let detail = try #require(failed?.detail)
            #expect(detail.contains(words), "\(detail)")
        } else {
            #expect(failed == nil)
        }
    }

    /// The helper's rewrite is named, with both texts, and what would blind it.
    @Test func helperRewriteIsSaid() throws {
        let points = ["client", "server"].map {
            CapturePoint(label: $0, path: Paths.sample("compare-nat-helper-\($0).pcap"))
        }
        let transfer = try #require(try Comparison.run(captures: points).groups.first?.transfers.first)
        #expect(transfer.views.map { $0?.announced?.description } == ["10.0.0.2:43049", "192.0.2.1:43049"])
        #expect(transfer.views.map { $0?.announcementText } == ["10,0,0,2,168,41", "192,0,2,1,168,41"])
        let detail = try #require(transfer.detail)
        #expect(detail.contains("an FTP helper (ALG) translated it; AUTH TLS would blind that helper"))
    }
}
