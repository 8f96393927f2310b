import FTPAnalysis
import FTPScope
import Foundation
import NetworkTypes
import Reports
import Testing
import TimelineTestSupport
import TestSupport

/// Every control and data connection of every sample, its `community_id` as our JSON document writes it, checked
/// against the reference implementation (PyPI `communityid`) given the same endpoints.
@Suite struct CommunityIDSampleTests {
    static var samples: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Paths.samples.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") || $0.hasSuffix(".gz") }.sorted()
    }

    @Test func everySampleConnectionMatchesTheReference() throws {
        var flows: [(Endpoint, Endpoint, String)] = []
        for sample in Self.samples {
            let result = try OfflineAnalysis.run(paths: [Paths.samples.appendingPathComponent(sample).path])
            for session in result.sessions {
                flows.append((session.client, session.server, session.communityID))
                for transfer in session.transfers {
                    guard let connection = transfer.observedConnection, let id = transfer.communityID else { continue }
                    flows.append((connection.originator, connection.responder, id))
                }
            }
        }
        #expect(flows.count > 60, "expected the samples' sessions and data connections, found \(flows.count)")
        let script = """
            import sys, communityid
            c = communityid.CommunityID()
            for line in sys.stdin:
                a, ap, b, bp = line.split()
                print(c.calc(communityid.FlowTuple.make_tcp(a, b, int(ap), int(bp))))
            """
        let input = flows.map { "\($0.0.address) \($0.0.port) \($0.1.address) \($0.1.port)" }.joined(separator: "\n")
        let reference = try PythonOracle.run(script, module: "communityid", input: input + "\n")
            .split(separator: "\n").map(String.init)
        #expect(reference.count == flows.count)
        for (flow, expected) in zip(flows, reference) {
            #expect(flow.2 == expected, "\(flow.0) ↔ \(flow.1)")
        }
    }

    @Test func timelineRowsCarryTheConnectionTheyAreAbout() throws {
        let collector = TimelineRowCollector()
        let timeline = TimelineSink(writers: [collector], passwords: PasswordPolicy(showPasswords: false))
        let result = try OfflineAnalysis.run(
            paths: [Paths.samples.appendingPathComponent("active-nat-failure.pcap").path], eventSink: timeline)
        try timeline.finish()
        let session = try #require(result.sessions.first)
        let rows = collector.rows
        let control = rows.filter { $0.event == .command }
        #expect(!control.isEmpty && control.allSatisfy { $0.communityID == session.communityID })
        let data = rows.filter { $0.event == .dataConnection }
        #expect(data.map(\.communityID) == session.transfers.map(\.communityID))
        // The two completed transfers name their own data connections, not the control connection.
        #expect(data.compactMap(\.communityID).filter { $0 != session.communityID }.count >= 2)
    }
}
