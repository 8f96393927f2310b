import FTPAnalysis
import Foundation
import NetworkTypes
import TestSupport
import Testing

@testable import FTPScope

/// Password-guessing runs on a capture: reported when they go quiet (a sweep `window` after the last failure) or
/// when a login works, dated then, in time order in the timeline, and the same bytes from the sharded analysis,
/// including two runs of different workers reported by the same sweep.
@Suite struct GuessingRunTests {
    static let server = Endpoint(address: .v4(198, 51, 100, 5), port: 21)
    static let base = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)

    /// One control session from `client` trying `failures` passwords (530 each), or with `succeeds` a last one
    /// accepted (230) and a QUIT.
    static func session(
        from client: Endpoint, at start: Timestamp, failures: Int, succeeds: Bool = false
    ) -> [(Timestamp, [UInt8])] {
        var control = ConversationBuilder(client: client, server: server, start: start)
        control.handshake()
        control.serverSends("220 ready\r\n")
        for attempt in 0..<failures {
            control.clientSends("USER admin\r\n")
            control.serverSends("331 password\r\n")
            control.clientSends("PASS guess\(attempt)\r\n")
            control.serverSends("530 Login incorrect\r\n")
        }
        if succeeds {
            control.clientSends("USER admin\r\n")
            control.serverSends("331 password\r\n")
            control.clientSends("PASS right\r\n")
            control.serverSends("230 in\r\n")
            control.clientSends("QUIT\r\n")
            control.serverSends("221 bye\r\n")
        }
        control.clientFIN()
        control.serverFIN()
        return control.packets
    }

    /// Six guessing clients, four sessions of three failures each (12 failures: the 10th crosses the default
    /// threshold). Clients 0 and 1 guess in lockstep, so their runs cross at the same instant; client 5 then logs
    /// in. An unrelated session 15 minutes later lets the sweeps pass the runs' windows mid-capture.
    static func capture(in directory: String) throws -> String {
        var lists: [[(Timestamp, [UInt8])]] = []
        for k in 0..<6 {
            let client = Endpoint(address: .v4(192, 0, 2, UInt8(20 + k)), port: 40_000)
            let offset = k < 2 ? 0 : Int64(k) * 7_000_000
            for attempt in 0..<4 {
                let start = base.adding(nanoseconds: offset + Int64(attempt) * 2_000_000_000)
                let port = Endpoint(address: client.address, port: client.port + UInt16(attempt))
                lists.append(session(from: port, at: start, failures: 3))
            }
            if k == 5 {
                let port = Endpoint(address: client.address, port: client.port + 4)
                lists.append(session(from: port, at: base.adding(nanoseconds: 9_000_000_000), failures: 0, succeeds: true))
            }
        }
        let late = Endpoint(address: .v4(192, 0, 2, 99), port: 41_000)
        lists.append(session(from: late, at: base.adding(nanoseconds: 900_000_000_000), failures: 1))
        let path = directory + "/guessing.pcap"
        try Data(PcapWriter.pcap(ConversationBuilder.interleave(lists))).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func quietRunsAreReportedMidCaptureInTimeOrderAndShardedTheSame() throws {
        let directory = try TimelineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.capture(in: directory)
        let lockstep = (2...8).filter {
            ShardRouter.pairShard(.v4(192, 0, 2, 20), Self.server.address, of: $0)
                != ShardRouter.pairShard(.v4(192, 0, 2, 21), Self.server.address, of: $0)
        }
        #expect(!lockstep.isEmpty, "no worker count separates the lockstep pairs: the tie would not be tested")
        let one = try ShardedAnalysisTests.expectSameOutputs([path], threads: [4] + lockstep.map { $0 + 2 })

        let rows = one.csv.split(whereSeparator: \.isNewline).dropFirst().map(String.init)
        let guessing = rows.filter { $0.contains(",bruteforce,") }
        #expect(guessing.count == 6, "one finding per guessing pair: \(guessing.count)")
        #expect(guessing.filter { $0.contains("treat that account as compromised") }.count == 1, "client 5's login is named")
        // Dated at the sweep after the late session's first packet, before that session's other rows.
        let times = rows.map { $0.prefix(while: { $0 != "," }) }
        #expect(times == times.sorted(), "the timeline is in time order")
        let lateRow = try #require(rows.firstIndex { $0.contains("192.0.2.99") })
        let lastGuess = try #require(rows.lastIndex { $0.contains(",bruteforce,") })
        #expect(lastGuess < lateRow)
        // The five quiet runs are reported by one sweep, so with one date: the detector's order (client), in both
        // analyses, though their pairs fall to different workers.
        let quiet = guessing.filter { !$0.contains("compromised") }
        let clients = quiet.map { row in (20..<25).first { row.contains(",192.0.2.\($0):") } }
        #expect(clients == [20, 21, 22, 23, 24], "\(quiet)")
        #expect(Set(quiet.map { $0.prefix(27) }).count == 1, "one date: \(quiet)")
        #expect(one.text.contains("12 failed logins from 192.0.2.25 to 198.51.100.5, then one succeeded"))
    }

    /// The runs went quiet 10 minutes after their last failure, long before the capture ended: each was reported by
    /// a sweep, not at the end, so the late session's rows came after it without waiting.
    @Test func aQuietRunIsReportedByTheSweepNotTheEnd() throws {
        let directory = try TimelineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.capture(in: directory)
        final class Recorder: AnalysisEventSink {
            var events: [String] = []
            func analysis(_ event: AnalysisEvent) {
                switch event {
                case .finding(let finding) where finding.kind == .bruteforce: events.append("guessing")
                case .sessionEnded(let session) where session.client.address == .v4(192, 0, 2, 99): events.append("late")
                default: break
                }
            }
        }
        let recorder = Recorder()
        _ = try OfflineAnalysis.run(paths: [path], eventSink: recorder, threads: 1)
        #expect(recorder.events == Array(repeating: "guessing", count: 6) + ["late"])
    }
}
