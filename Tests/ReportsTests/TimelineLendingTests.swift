import FTPAnalysis
import Foundation
import NetworkTypes
import TestSupport
import Testing

@testable import Reports

/// Rows taken at a watermark advance are lent to the writers, which send them from the held-row store's memory
/// (`TimelineWriter.write(lent:)`): the files must be byte for byte what writers that copy every row write, with
/// rows spilled to temporary files, forced out by the bound, settling far out of order, many at one time, and
/// too large for the store's chunks.
@Suite struct TimelineLendingTests {
    /// A writer that copies every row it is lent (the protocol's default), around a real one.
    final class CopyingWriter: TimelineWriter {
        let inner: TimelineWriter
        init(_ inner: TimelineWriter) { self.inner = inner }
        func write(_ row: TimelineRow) { inner.write(row) }
        func encode(_ row: inout TimelineRow, into line: RowBytes) { inner.encode(&row, into: line) }
        func write(encoded line: UnsafeRawBufferPointer) { inner.write(encoded: line) }
        func flush() { inner.flush() }
        func close() throws(OutputError) { try inner.close() }
    }

    static func finding(at nanoseconds: Int64, _ summary: String) -> AnalysisEvent {
        .finding(
            Finding(
                kind: .protocolAnomaly, severity: .low, session: nil, time: Timestamp(nanoseconds: nanoseconds),
                facts: .controlAnomalies(count: 1, first: summary),
                evidence: [("client", .string("192.0.2.1:1")), ("server", .string("192.0.2.2:21"))]))
    }

    /// Bursts of rows: many at one time, most a little ahead of the watermark, some far ahead, some settling late
    /// (behind rows already written once the bound forces rows out), now and then one larger than a chunk; each
    /// burst followed by a watermark advance. Deterministic for a seed.
    static func script(seed: UInt64) -> [(events: [AnalysisEvent], watermark: Timestamp)] {
        var generator = SplitMix64(seed: seed)
        var bursts: [(events: [AnalysisEvent], watermark: Timestamp)] = []
        var now: Int64 = 10_000_000_000
        var index = 0
        for _ in 0..<60 {
            var events: [AnalysisEvent] = []
            for _ in 0..<generator.below(250) {
                let time: Int64
                switch generator.below(10) {
                case 0...3: time = now  // many rows at one time
                case 4: time = now + Int64(generator.below(1 << 40))  // far ahead
                case 5: time = now - Int64(generator.below(1 << 30))  // behind the watermark: written at once
                default: time = now + Int64(generator.below(1_000_000))
                }
                let large = generator.below(300) == 0
                let summary = large ? String(repeating: "x\(index),", count: 4_000) : "row \(index) \"quoted, text\""
                events.append(finding(at: time, summary))
                index += 1
            }
            now += Int64(generator.below(2_000_000))
            bursts.append((events, Timestamp(nanoseconds: now)))
        }
        return bursts
    }

    /// The files a sink over `writers` writes for the script, after `finish`.
    static func run(
        seed: UInt64, jsonLines: Bool, copying: Bool, heldBytes: Int, bound: Int
    ) throws -> (files: [Data], sink: TimelineSink) {
        let directory = FileManager.default.temporaryDirectory
        let paths = (0..<2).map { directory.appendingPathComponent("ftpscope-lend-\(UUID())-\($0)").path }
        defer { for path in paths { try? FileManager.default.removeItem(atPath: path) } }
        var writers: [TimelineWriter] = [CSVTimelineWriter(output: try BufferedOutput(path: paths[0]))]
        if jsonLines { writers.append(JSONLinesTimelineWriter(output: try BufferedOutput(path: paths[1]))) }
        if copying { writers = writers.map { CopyingWriter($0) } }
        let sink = TimelineSink(
            writers: writers, passwords: PasswordPolicy(showPasswords: false), maximumHeldRows: bound,
            heldBytesInMemory: heldBytes)
        for (events, watermark) in script(seed: seed) {
            for event in events { sink.analysis(event) }
            sink.advance(watermark: watermark)
        }
        try sink.finish()
        let files = try paths.prefix(writers.count).map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        return (files, sink)
    }

    @Test(arguments: [(0x1A0, false), (0x1A1, true), (0x1A2, false), (0x1A3, true)])
    func lentRowsAreWhatCopiedRowsAre(seed: UInt64, jsonLines: Bool) throws {
        // Lending, with a small memory budget (rows spill) and a small bound (rows forced out, later ones out of
        // order), against copying with everything in memory.
        let (lent, sink) = try Self.run(seed: seed, jsonLines: jsonLines, copying: false, heldBytes: 16 * 1024, bound: 700)
        let (copied, reference) = try Self.run(
            seed: seed, jsonLines: jsonLines, copying: true, heldBytes: 1 << 30, bound: 700)
        #expect(sink.rowsSpilled > 0)
        #expect(sink.rowsForcedOut > 0)
        #expect(sink.rowsOutOfOrder > 0)
        #expect(reference.rowsSpilled == 0)
        #expect(sink.rowsWritten == reference.rowsWritten)
        #expect(lent.count == copied.count)
        for (lentFile, copiedFile) in zip(lent, copied) {
            #expect(lentFile.count > 100_000)
            #expect(lentFile == copiedFile)
        }
    }

    /// Without a bound in the way, the lent rows are the rows in (time, arrival) order, as the row path encodes
    /// them.
    @Test func lentRowsComeOutInTimeThenArrivalOrder() throws {
        let (files, sink) = try Self.run(seed: 0x1B0, jsonLines: false, copying: false, heldBytes: 64 * 1024, bound: 1 << 20)
        #expect(sink.rowsForcedOut == 0)
        #expect(sink.rowsSpilled > 0)
        var builder = TimelineRowBuilder(passwords: PasswordPolicy(showPasswords: false))
        var rows: [(time: Timestamp, arrival: Int, record: String)] = []
        var written: [(time: Timestamp, arrival: Int, record: String)] = []
        var lastWritten: Timestamp?
        for (events, watermark) in Self.script(seed: 0x1B0) {
            for event in events {
                let row = builder.row(for: event)
                let entry = (row.time, written.count + rows.count, CSVTimelineWriter.record(row))
                // A row behind one already written goes out at once (the sink's rule).
                if let lastWritten, row.time < lastWritten { written.append(entry) } else { rows.append(entry) }
            }
            rows.sort { ($0.time, $0.arrival) < ($1.time, $1.arrival) }
            let due = rows.prefix { $0.time <= watermark }
            written += due
            if let last = due.last { lastWritten = max(lastWritten ?? last.time, last.time) }
            rows.removeFirst(due.count)
        }
        written += rows
        let header = TimelineRow.columns.joined(separator: ",") + "\r\n"
        #expect(String(decoding: files[0], as: UTF8.self) == header + written.map(\.record).joined())
    }
}
