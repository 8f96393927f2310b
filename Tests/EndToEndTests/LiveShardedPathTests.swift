import FTPAnalysis
import Foundation
import NetworkTypes
import Reports
import Testing

@testable import FTPScope
@testable import PacketCapture

/// The live loop's two paths fed the same captured batches, with the same settling, watermark and sweep points
/// (`LivePacketPath`): the sharded path (`sniff --threads` 4 and more) delivers the one-thread path's events in
/// the same order, writes the same timelines and counts the same summary. In process, so ThreadSanitizer sees the
/// loop, the workers, the merge thread and the output lanes (`swift test --sanitize=thread --filter
/// LiveShardedPathTests`). Every sample and Zeek trace is cut into batches of varying size (as libpcap hands them
/// over); some sweeps jump ahead of the capture clock (a quiet link: the wall clock runs on), and some follow one
/// another after the same packet (ticks sharing a key).
@Suite struct LiveShardedPathTests {
    /// Every event in the order it reached the outputs, as the live text printer renders it.
    final class Recorder: StreamingEventSink {
        var lines: [String] = []
        private let passwords = PasswordPolicy(showPasswords: true)

        func analysis(_ event: AnalysisEvent) { lines.append(LiveTextPrinter.render(event, passwords: passwords)) }
        func advance(watermark: Timestamp?) {}
        func flush() {}
    }

    struct Run: Equatable {
        var events: [String]
        var csv: String
        var tally: [String]
        var packets: UInt64
    }

    /// The capture cut into batches as the capture thread would hand them over: sizes cycling through 1, 7, 64 and
    /// 256 packets, a new batch where the link type changes.
    static func batches(of path: String) throws -> [PacketBatch] {
        let captures = try CaptureSet(paths: [path])
        let sizes = [1, 7, 64, 256]
        var batches: [PacketBatch] = []
        var current: PacketBatch?
        while try captures.next({ header, linkType, packet in
            if let batch = current,
                batch.linkType != linkType || batch.count >= sizes[batches.count % sizes.count]
                    || !batch.hasRoom(for: packet.count)
            {
                batches.append(batch)
                current = nil
            }
            if current == nil { current = PacketBatch(linkType: linkType, maxPackets: 256, byteCapacity: 1 << 20) }
            current!.append(
                time: header.time, capturedLength: packet.count, wireLength: header.wireLength,
                bytes: packet.baseAddress)
        }) {}
        if let current { batches.append(current) }
        return batches
    }

    /// Drives `threads`' path as `LiveAnalysis.run` does, on a fixed schedule of watermarks and sweeps.
    static func run(_ batches: [PacketBatch], threads: Int, directory: String) throws -> Run {
        let csvPath = directory + "/live-t\(threads).csv"
        let csvOutput = try BufferedOutput(path: csvPath)
        let timeline = TimelineSink(
            writers: [CSVTimelineWriter(output: csvOutput)], passwords: PasswordPolicy(showPasswords: false))
        let recorder = Recorder()
        let sinks = FanOutSink([recorder, timeline])
        var configuration = AnalysisConfiguration()
        configuration.retainSessions = false
        let path: LivePacketPath
        if threads >= ShardedAnalysis.minimumThreads {
            path = try #require(
                LiveShardedPath.start(
                    threads: threads, configuration: configuration, sinks: sinks,
                    capture: LiveCaptureOptions(interface: "test")))
        } else {
            path = LiveSerialPath(configuration: configuration, eventSink: sinks, outputThread: false)
        }
        for (number, batch) in batches.enumerated() {
            path.take(batch, limit: nil)
            path.settle(watermarkDue: number % 2 == 0)
            if number % 3 == 2 { path.sweep(now: path.lastTime) }
            if number % 11 == 10 {
                path.sweep(now: path.lastTime.adding(nanoseconds: 1_000_000_000))
                path.sweep(now: path.lastTime.adding(nanoseconds: 90_000_000_000))
            }
        }
        let totals = path.finish(at: path.lastTime)
        try timeline.finish()
        try csvOutput.close()
        let tally = path.tally
        let counts =
            ["sessions \(tally.sessionsStarted)", "commands \(tally.commands)"]
            + tally.sessionsEnded.map { "end \($0.key) \($0.value)" }.sorted()
            + tally.transfers.map { "transfer \($0.key) \($0.value)" }.sorted()
            + tally.findings.map { "finding \($0.key) \($0.value)" }.sorted()
        return Run(
            events: recorder.lines, csv: try String(contentsOfFile: csvPath, encoding: .utf8), tally: counts,
            packets: totals.packetStats.packets)
    }

    @Test(arguments: ThreadEquivalenceTests.captures)
    func shardedPathDeliversTheOneThreadEvents(_ capture: String) throws {
        let directory = try TimelineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let batches = try Self.batches(of: capture)
        let one = try Self.run(batches, threads: 1, directory: directory)
        #expect(one.packets == batches.reduce(0) { $0 + UInt64($1.count) })
        for threads in [4, 7] {
            let sharded = try Self.run(batches, threads: threads, directory: directory)
            #expect(sharded.packets == one.packets, "\(threads) threads")
            #expect(sharded.tally == one.tally, "\(threads) threads")
            #expect(sharded.csv == one.csv, "CSV timeline, \(threads) threads")
            #expect(sharded.events.count == one.events.count, "\(threads) threads")
            if let first = one.events.indices.first(where: { $0 >= sharded.events.count || one.events[$0] != sharded.events[$0] }) {
                let other: String = first < sharded.events.count ? sharded.events[first] : "(none)\n"
                Issue.record("\(threads) threads: event \(first) differs:\n\(one.events[first])\(other)")
            }
        }
    }
}
