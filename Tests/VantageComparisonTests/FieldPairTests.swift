import Foundation
import Testing

@testable import VantageComparison

/// The field-failure pairs of samples/make-field-samples.sh (samples/README.md): what comparing sees that neither
/// capture sees alone.
@Suite struct FieldPairTests {
    static func compare(_ name: String) throws -> SessionGroup {
        let points = ["client", "server"].map {
            CapturePoint(label: $0, path: Paths.sample("\(name)-\($0)-side.pcap"))
        }
        let report = try Comparison.run(captures: points)
        #expect(report.groups.count == 1 && report.unpaired.isEmpty)
        return try #require(report.groups.first)
    }

    /// Server behind a NAT that forwards port 21 only: the server's end is translated between the two capture
    /// points, the client's passive SYNs leave and never arrive. At the client alone that looks like any firewall
    /// (`passive_port_blocked`); the two views together name the NAT.
    @Test func passivePortNotForwarded() throws {
        let group = try Self.compare("passive-not-forwarded")
        #expect(group.sessions.map { $0?.server.description } == ["198.51.100.1:21", "10.0.1.21:21"])
        #expect(group.sessions.map { $0?.client.description } == ["198.51.100.10:48674", "198.51.100.10:48674"])
        #expect(group.transfers.map(\.announcementVerb) == [.epsv, .pasv])
        #expect(group.transfers[0].views.map { $0?.status.rawValue } == ["unanswered", "not_seen"])
        #expect(group.transfers[0].views[0]?.cause == .passivePortBlocked)
        #expect(group.transfers[0].lostBetween == LostSpan(seenAt: 0, missingAt: 1))
        #expect(group.transfers[0].lostPacket == .syn)
        #expect(group.transfers.map(\.cause) == [.passivePortNotForwarded, .passivePortNotForwarded])
        #expect(group.transfers.map(\.rewritten) == [false, false])
        #expect(group.transfers[1].lostBetween == nil)
        let detail = try #require(group.transfers[0].detail)
        #expect(detail.contains("7 SYNs to 198.51.100.1:40007 were seen at client and never reached server"))
        #expect(detail.contains("forwards the control port but not the passive port 40007"))
    }

    /// A router drops large segments without ICMP: the handshake passes, the server's data never reaches the
    /// client's segment.
    @Test func pathMTUBlackholeLosesTheData() throws {
        let group = try Self.compare("stalled-mtu")
        let transfer = try #require(group.transfers.first)
        #expect(group.transfers.count == 1)
        #expect(transfer.views.map { $0?.status.rawValue } == ["stalled", "stalled"])
        #expect(transfer.lostBetween == LostSpan(seenAt: 1, missingAt: 0))
        #expect(transfer.lostPacket == .data)
        #expect(transfer.cause == .pathMTUBlackhole)
        let detail = try #require(transfer.detail)
        #expect(detail.contains("the server's data was seen at server and never reached client"))
        #expect(detail.contains("path MTU black hole"))
    }
}
