import FTPScope
import Foundation
import Testing

@testable import VantageComparison

/// `samples/active-nat-failure-client-side.pcap` and `-server-side.pcap`: one run of the NAT failure captured at
/// the client (private LAN) and on the server's interface at once (samples/README.md).
@Suite struct SamplePairTests {
    static let client = Paths.sample("active-nat-failure-client-side.pcap")
    static let server = Paths.sample("active-nat-failure-server-side.pcap")

    static func compare(_ paths: [String], labels: [String]) throws -> ComparisonReport {
        try Comparison.run(captures: zip(labels, paths).map { CapturePoint(label: $0, path: $1) })
    }

    @Test func natPairTellsWhereTheSYNsDied() throws {
        let report = try Self.compare([Self.client, Self.server], labels: ["client", "server"])
        #expect(report.groups.count == 1)
        #expect(report.unpaired.isEmpty)
        let group = try #require(report.groups.first)
        #expect(group.sessions.map { $0?.id } == ["S1", "S1"])
        // The NAT made visible: the client's address is rewritten, the port kept (MASQUERADE).
        #expect(group.sessions.map { $0?.client.description } == ["10.0.0.2:41974", "192.0.2.1:41974"])
        #expect(group.sessions.map { $0?.server.description } == ["192.0.2.21:21", "192.0.2.21:21"])
        // Both clocks are the machine's: the same packet is about 0.1 ms apart in the two files.
        let offset = try #require(group.clockOffsets[1])
        #expect(abs(offset) < 1_000_000)
        #expect(group.clientToServer == [0, 1])
        let transfers = group.transfers
        #expect(transfers.map(\.command) == [.list, .list, .list, .retr])
        #expect(
            transfers.map { $0.views.map { $0?.status.rawValue } } == [
                ["not_seen", "unanswered"], ["not_seen", "unanswered"], ["completed", "completed"],
                ["completed", "completed"],
            ])
        #expect(transfers.map(\.rewritten) == [false, false, false, false])
        // The server's SYNs are at the server's interface and never in the client's LAN.
        #expect(transfers[0].lostBetween == LostSpan(seenAt: 1, missingAt: 0))
        #expect(transfers[1].lostBetween == LostSpan(seenAt: 1, missingAt: 0))
        #expect(transfers[0].lostPacket == .syn)
        #expect(transfers[2].lostBetween == nil && transfers[3].lostBetween == nil)
        #expect(transfers.map(\.cause) == [.natWithoutALG, .natWithoutALG, nil, nil])
        let detail = try #require(transfers[0].detail)
        #expect(detail.hasPrefix("The server's 5 SYNs to 10.0.0.2:37161 were seen at server and never reached client"))
        #expect(detail.contains("no mapping for 10.0.0.2:37161"))
        #expect(detail.contains("no helper rewrote it"))
        #expect(transfers[2].detail == nil)
    }

    @Test func jsonNamesEveryFieldOfTheSpec() throws {
        let report = try Self.compare([Self.client, Self.server], labels: ["client", "server"])
        let text = ComparisonJSON.render(report)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let vantages = try #require(document["vantages"] as? [[String: Any]])
        #expect(vantages.map { $0["label"] as? String } == ["client", "server"])
        let pairs = try #require(document["pairs"] as? [[String: Any]])
        let pair = try #require(pairs.first)
        #expect(pair["sessions"] as? [String: String] == ["client": "S1", "server": "S1"])
        #expect(pair["clock_offset_ms"] is Double)
        let translations = try #require(pair["translations"] as? [[String: String]])
        #expect(translations.first == ["client": "10.0.0.2:41974", "server": "192.0.2.1:41974"])
        let transfers = try #require(pair["transfers"] as? [[String: Any]])
        let first = try #require(transfers.first)
        for key in [
            "command", "argument", "mode", "announced", "status", "rewritten", "lost_between", "cause", "detail",
        ] {
            #expect(first[key] != nil, "transfers[0] lacks \(key)")
        }
        #expect(first["mode"] as? String == "active")
        #expect(first["announced"] as? [String: String] == ["client": "10.0.0.2:37161", "server": "10.0.0.2:37161"])
        #expect(first["status"] as? [String: String] == ["client": "not_seen", "server": "unanswered"])
        #expect(first["lost_between"] as? [String] == ["server", "client"])
        #expect(first["cause"] as? String == "nat_without_alg")
        #expect(first["rewritten"] as? Bool == false)
        #expect(transfers[2]["lost_between"] is NSNull)
        #expect((document["unpaired"] as? [Any])?.isEmpty == true)
    }

    /// The capture hosts' clocks disagree by seconds: pairing holds and the offset is measured.
    @Test(arguments: [7_250_000 as Int64, -4_000_000])
    func pairingSurvivesAClockOffset(microseconds: Int64) throws {
        let shifted = try TimeShift.shiftedCopy(of: Self.server, byMicroseconds: microseconds)
        defer { try? FileManager.default.removeItem(atPath: shifted) }
        let report = try Self.compare([Self.client, shifted], labels: ["client", "server"])
        #expect(report.groups.count == 1 && report.unpaired.isEmpty)
        let group = try #require(report.groups.first)
        let offset = try #require(group.clockOffsets[1])
        #expect(abs(offset - microseconds * 1000) < 1_000_000, "offset \(offset) ns")
        #expect(group.transfers.map { $0.lostBetween != nil } == [true, true, false, false])
        #expect(group.transfers[0].lostBetween == LostSpan(seenAt: 1, missingAt: 0))
    }

    /// Sessions of another run or another scenario are not paired with these.
    @Test func sessionsOfOtherTrafficStayUnpaired() throws {
        let report = try Self.compare(
            [Self.client, Paths.sample("failed-logins-pyftpdlib.pcap")], labels: ["client", "elsewhere"])
        #expect(report.groups.isEmpty)
        #expect(report.unpaired.map(\.session) == ["S1", "S1", "S2", "S3", "S4", "S5"])
        #expect(report.unpaired.map(\.capture) == [0, 1, 1, 1, 1, 1])
    }

    /// The same session at the client (`tcpdump -i any`) and at the server on one link: no translation, nothing
    /// lost, nothing rewritten.
    @Test func flatPairHasNothingToReport() throws {
        let report = try Self.compare(
            [Paths.sample("passive-vsftpd-any.pcapng"), Paths.sample("passive-vsftpd.pcap")],
            labels: ["client", "server"])
        let group = try #require(report.groups.first)
        #expect(report.groups.count == 1 && report.unpaired.isEmpty)
        #expect(group.sessions[0]?.client == group.sessions[1]?.client)
        #expect(group.transfers.count == 3)
        #expect(group.transfers.allSatisfy { $0.rewritten == false && $0.lostBetween == nil && $0.cause == nil })
        #expect(group.transfers.allSatisfy { $0.detail == nil })
    }
}

/// Sessions whose dialogs are alike (the same wrong login again and again, a few hundred milliseconds apart) pair
/// with their own counterparts, not their neighbours, when one capture's clock is seconds off: the offset most
/// sessions agree on settles it.
@Suite struct LookAlikeSessionTests {
    @Test(arguments: [3_300_000 as Int64, -950_000])
    func lookAlikeSessionsPairWithThemselves(microseconds: Int64) throws {
        let original = Paths.sample("failed-logins-pyftpdlib.pcap")
        let shifted = try TimeShift.shiftedCopy(of: original, byMicroseconds: microseconds)
        defer { try? FileManager.default.removeItem(atPath: shifted) }
        let report = try Comparison.run(captures: [
            CapturePoint(label: "a", path: original), CapturePoint(label: "b", path: shifted),
        ])
        #expect(report.unpaired.isEmpty)
        #expect(report.groups.map { $0.sessions.map { $0?.id } } == (1...5).map { ["S\($0)", "S\($0)"] })
        #expect(report.groups.allSatisfy { abs(($0.clockOffsets[1] ?? 0) - microseconds * 1000) < 1000 })
        // The same client port at both: each session met itself.
        #expect(report.groups.allSatisfy { $0.sessions[0]?.client == $0.sessions[1]?.client })
    }
}
