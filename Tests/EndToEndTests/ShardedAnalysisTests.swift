import FTPAnalysis
import Foundation
import Glibc
import NetworkTypes
import PacketDecoding
import TestSupport
import Testing

@testable import FTPScope

/// The analysis sharded over workers by host pair (`--threads` 4 and more: `ShardedAnalysis`) writes what one
/// thread writes, byte for byte, in every streamed output: on every sample and Zeek corpus trace, on all of them
/// read as one input (many host pairs spread over the workers), on data connections to a third host, and on many
/// interleaved sessions whose data connections go to third hosts.
@Suite struct ShardedAnalysisTests {
    /// Compares one thread's streamed outputs with those of each thread count, naming what differs.
    static func expectSameOutputs(_ paths: [String], threads counts: [Int]) throws -> OutputStageTests.Streamed {
        let directory = try TimelineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let one = try OutputStageTests.stream(paths, threads: 1, directory: directory)
        for threads in counts {
            let sharded = try OutputStageTests.stream(paths, threads: threads, directory: directory)
            #expect(one.text == sharded.text, "text summary, \(threads) threads")
            #expect(one.document == sharded.document, "JSON document, \(threads) threads")
            #expect(one.csv == sharded.csv, "CSV timeline, \(threads) threads")
            #expect(one.jsonl == sharded.jsonl, "JSON Lines timeline, \(threads) threads")
            #expect(one.report == sharded.report, "HTML report, \(threads) threads")
            #expect(one.narrowedCSV == sharded.narrowedCSV, "narrowed timeline, \(threads) threads")
        }
        return one
    }

    @Test(arguments: ThreadEquivalenceTests.captures)
    func workersWriteTheOneThreadBytes(_ path: String) throws {
        let one = try Self.expectSameOutputs([path], threads: [4, 7])
        #expect(!one.text.isEmpty && !one.document.isEmpty)
    }

    /// Every sample and trace read as one input: sessions of many host pairs at once, in different workers.
    @Test func everyCaptureAsOneInput() throws {
        let one = try Self.expectSameOutputs(ThreadEquivalenceTests.captures, threads: [4, 6])
        #expect(one.csv.split(whereSeparator: \.isNewline).count > 5000)
    }

    /// The client connects to the internal address the server announced in 227 (pasv-internal-address.pcap: a
    /// real capture): a data connection outside the control connection's host pair. At worker counts where the
    /// two pairs fall to different workers, the router must send it to its session's worker.
    @Test func aDataConnectionToAThirdHostMeetsItsSession() throws {
        let client = IPAddress.v4(198, 51, 100, 10)
        let router = IPAddress.v4(198, 51, 100, 1)
        let server = IPAddress.v4(10, 0, 1, 21)
        let split = (2...8).filter {
            ShardRouter.pairShard(client, router, of: $0) != ShardRouter.pairShard(client, server, of: $0)
        }
        #expect(!split.isEmpty, "no worker count separates the pairs: the test would prove nothing")
        let path = Paths.samples.appendingPathComponent("pasv-internal-address.pcap").path
        let one = try Self.expectSameOutputs([path], threads: split.map { $0 + 2 })
        #expect(one.csv.contains("unanswered"), "the data connection attempt is matched to its transfer")
    }

    /// Twelve sessions on twelve host pairs at once, each server sending its file to a third host named in
    /// PORT (FXP's shape), and one client connecting to a third host named in 227.
    @Test func interleavedSessionsWithThirdHostDataConnections() throws {
        var lists: [[(Timestamp, [UInt8])]] = []
        var separated = 0
        let base = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)
        for k in 0..<12 {
            let client = Endpoint(address: .v4(192, 0, 2, UInt8(10 + k)), port: UInt16(40_000 + k))
            let server = Endpoint(address: .v4(198, 51, 100, UInt8(10 + k)), port: 21)
            let third = Endpoint(address: .v4(203, 0, 113, UInt8(10 + k)), port: UInt16(50_000 + k))
            if ShardRouter.pairShard(client.address, server.address, of: 2)
                != ShardRouter.pairShard(server.address, third.address, of: 2)
            {
                separated += 1
            }
            let start = base.adding(nanoseconds: Int64(k) * 3_000_000)
            var control = ConversationBuilder(client: client, server: server, start: start)
            control.handshake()
            control.serverSends("220 ready\r\n")
            control.clientSends("USER fxp\r\n")
            control.serverSends("331 password\r\n")
            control.clientSends("PASS secret\r\n")
            control.serverSends("230 in\r\n")
            var data: ConversationBuilder
            if k == 11 {
                control.clientSends("PASV\r\n")
                control.serverSends("227 Entering Passive Mode (203,0,113,\(10 + k),\(third.port >> 8),\(third.port & 0xFF))\r\n")
                data = ConversationBuilder(
                    client: Endpoint(address: client.address, port: 45_000), server: third, start: control.time)
            } else {
                control.clientSends("PORT 203,0,113,\(10 + k),\(third.port >> 8),\(third.port & 0xFF)\r\n")
                control.serverSends("200 PORT ok\r\n")
                data = ConversationBuilder(
                    client: Endpoint(address: server.address, port: 20), server: third, start: control.time)
            }
            control.clientSends("RETR file\(k)\r\n")
            data.time = control.time
            data.handshake()
            control.serverSends("150 sending\r\n")
            data.send(from: k == 11 ? .server : .client, Array(repeating: UInt8(65 + k), count: 3000))
            data.clientFIN()
            data.serverFIN()
            control.time = data.time
            control.serverSends("226 done\r\n")
            control.clientSends("QUIT\r\n")
            control.serverSends("221 bye\r\n")
            control.clientFIN()
            control.serverFIN()
            lists.append(control.packets)
            lists.append(data.packets)
        }
        #expect(separated > 0, "with two workers some data connections are routed away from their pair's worker")
        let frames = ConversationBuilder.interleave(lists)
        let directory = try TimelineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/fxp.pcap"
        try Data(PcapWriter.pcap(frames)).write(to: URL(fileURLWithPath: path))
        let one = try Self.expectSameOutputs([path], threads: [4, 5, 8, 10])
        let completed = one.csv.split(whereSeparator: \.isNewline).filter { $0.contains("completed") }.count
        #expect(completed >= 12, "every transfer matched its third-host data connection (\(completed))")
    }

    /// The router alone: both directions of a pair go to one worker; a connection to an endpoint announced in
    /// PORT goes, with its answers, to the announcing connection's worker.
    @Test func routerSendsAnnouncedConnectionsToTheirSession() {
        let client = Endpoint(address: .v4(192, 0, 2, 7), port: 40_001)
        let server = Endpoint(address: .v4(198, 51, 100, 7), port: 21)
        let third = Endpoint(address: .v4(203, 0, 113, 99), port: 50_123)
        let time = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)
        for shards in 2...8 {
            var router = ShardRouter(shards: shards, controlPorts: [21])
            let home = route(&router, from: client, to: server, flags: [.ack], payload: "PORT 203,0,113,99,195,203\r\n", time)
            #expect(route(&router, from: server, to: client, flags: [.ack], payload: "200 ok\r\n", time) == home)
            let dataSource = Endpoint(address: server.address, port: 20)
            #expect(route(&router, from: dataSource, to: third, flags: [.syn], payload: "", time) == home)
            #expect(route(&router, from: third, to: dataSource, flags: [.syn, .ack], payload: "", time) == home)
            // Another connection of the third host, to nobody announced: by its own pair.
            let other = Endpoint(address: .v4(203, 0, 113, 98), port: 80)
            let thirdClient = Endpoint(address: third.address, port: 50_124)
            #expect(
                route(&router, from: thirdClient, to: other, flags: [.syn], payload: "", time)
                    == ShardRouter.pairShard(thirdClient.address, other.address, of: shards))
        }
    }

    private func route(
        _ router: inout ShardRouter, from source: Endpoint, to destination: Endpoint, flags: TCPFlags, payload: String,
        _ time: Timestamp
    ) -> Int {
        let frame = FrameBuilder.tcp(from: source, to: destination, seq: 1, ack: 1, flags: flags, payload: Array(payload.utf8))
        return frame.withUnsafeBytes { bytes in
            router.shard(of: PacketDecoder(linkType: .ethernet).decode(bytes), packet: bytes, at: time)
        }
    }

    /// Session numbers agreed by workers confirming at interleaved keys on their own threads are the ranks of
    /// their keys among all confirmations.
    @Test func theLedgerNumbersInTheOneThreadOrder() {
        let workers = 4
        let ledger = SessionLedger(workers: workers)
        // Each worker writes only its own slot; the joins order the writes before the reads.
        final class Results: @unchecked Sendable { var got = [[(UInt64, Int)]](repeating: [], count: 4) }
        let results = Results()
        // Worker w confirms at packets w + 1, w + 5, w + 9, … (the workers' keys interleave), on threads of its
        // own: the ledger blocks, so not on the cooperative pool.
        let threads = (0..<workers).compactMap { worker in
            startThread {
                for step in 0..<50 {
                    let index = UInt64(1 + worker + step * workers)
                    results.got[worker].append((index, ledger.number(worker, confirmedAt: .packet(index))))
                    ledger.advance(worker, to: .packet(index + 1))
                }
                ledger.advance(worker, to: SessionLedger.end)
            }
        }
        #expect(threads.count == workers)
        for thread in threads { pthread_join(thread, nil) }
        let numbers = results.got.flatMap { $0 }
        #expect(numbers.count == 200)
        #expect(numbers.allSatisfy { UInt64($0.1) == $0.0 }, "the n-th confirmation overall gets n")
    }
}
