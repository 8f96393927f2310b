import FTPAnalysis
import Foundation
import NetworkTypes
import PacketDecoding
import Reports
import TestSupport
import Testing

@testable import FTPScope

/// `--threads` changes the speed, never the output (SPEC.md): on every sample and every Zeek corpus trace, the text
/// summary, the JSON document, the CSV and JSON Lines timelines, the warnings and the counters of a run with one
/// thread are byte for byte those of a run with the default count. The default is taken as at least 2, so the
/// threaded path is exercised on a one-core machine too.
@Suite struct ThreadEquivalenceTests {
    static let captures: [String] =
        ((try? TimelineTests.samplePaths()) ?? []).map { Paths.samples.appendingPathComponent($0).path }
        + Paths.corpusTraces().map(Paths.trace)

    /// Every output of one run, as bytes.
    struct Rendered: Equatable {
        var text: String
        var document: String
        var csv: String
        var jsonl: String
        var warnings: [String]
        var stats: [String]
    }

    static func render(_ paths: [String], threads: Int, directory: String) throws -> Rendered {
        let csvPath = directory + "/t\(threads).csv"
        let jsonlPath = directory + "/t\(threads).jsonl"
        let outputs = try Outputs(options: OutputOptions(summary: .none, csvPath: csvPath, jsonlPath: jsonlPath))
        var configuration = AnalysisConfiguration()
        outputs.configure(&configuration)
        configuration.retainSessions = true
        let result = try OfflineAnalysis.run(
            paths: paths, configuration: configuration, eventSink: outputs.eventSink, threads: threads)
        try outputs.finish(result: result)
        let input = result.reportInput(showPasswords: false)
        return Rendered(
            text: TextSummary().render(input), document: JSONDocument.render(input),
            csv: try String(contentsOfFile: csvPath, encoding: .utf8),
            jsonl: try String(contentsOfFile: jsonlPath, encoding: .utf8), warnings: result.warnings,
            stats: result.stats.map { "\($0.0)=\($0.1)" })
    }

    @Test func everyCaptureIsFound() {
        // A test over no files would pass silently: the samples, at least, are part of the repository.
        #expect(Self.captures.count >= 20)
    }

    @Test(arguments: captures)
    func oneThreadAndTheDefaultWriteTheSameBytes(_ path: String) throws {
        let directory = try TimelineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let one = try Self.render([path], threads: 1, directory: directory)
        let many = try Self.render([path], threads: max(2, AnalysisThreads.machineDefault), directory: directory)
        #expect(!one.text.isEmpty && !one.document.isEmpty)
        #expect(one.text == many.text, "text summary")
        #expect(one.document == many.document, "JSON document")
        #expect(one.csv == many.csv, "CSV timeline")
        #expect(one.jsonl == many.jsonl, "JSON Lines timeline")
        #expect(one.warnings == many.warnings, "warnings")
        #expect(one.stats == many.stats, "counters")
    }

    /// Several inputs merged in time order, a gzip one among them, and a capture cut short (its warning included):
    /// the reader thread sees the same stream as the plain loop.
    @Test func mergedAndDamagedInputsAgree() throws {
        let directory = try TimelineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let whole = try Data(contentsOf: Paths.samples.appendingPathComponent("passive-vsftpd.pcap"))
        let cut = directory + "/cut.pcap"
        try whole.prefix(3000).write(to: URL(fileURLWithPath: cut))
        let paths = ["active-port.pcap", "passive-vsftpd.pcap.gz", "epsv-ipv6.pcap"].map {
            Paths.samples.appendingPathComponent($0).path
        } + [cut]
        let one = try Self.render(paths, threads: 1, directory: directory)
        let many = try Self.render(paths, threads: 4, directory: directory)
        #expect(one.warnings.contains { $0.contains("cut.pcap") })
        #expect(one == many)
    }

    /// The hand-over's batches are reused: refilling a warm batch copies packets without touching the heap.
    @Test(.enabled(if: Allocations.countingAvailable, "allocation counting needs glibc and no sanitizer"))
    func aWarmBatchRefillsWithoutAllocating() {
        let batch = DecodedBatch(maxPackets: 64, byteCapacity: 64 * 1600)
        let packet = [UInt8](repeating: 0x45, count: 1500)
        let flow = FlowKey(
            source: Endpoint(address: .v4(192, 0, 2, 1), port: 40000),
            destination: Endpoint(address: .v4(198, 51, 100, 2), port: 21))
        let segment = TCPSegment(
            flow: flow, seq: SeqNumber(1), ack: SeqNumber(1), flags: .ack, window: 512, payloadOffset: 54,
            payloadLength: 1446)
        func fill() {
            packet.withUnsafeBytes { bytes in
                while batch.hasRoom(for: bytes.count) {
                    batch.append(
                        .tcp(segment), bytes: bytes, copy: true, capturedLength: bytes.count, time: .zero,
                        linkType: .ethernet)
                }
            }
        }
        fill()
        batch.reset()
        let allocations = Allocations.count {
            for _ in 0..<100 {
                fill()
                batch.reset()
            }
        }
        #expect(allocations == 0, "\(allocations) allocations refilling a warm batch 100 times")
    }
}
