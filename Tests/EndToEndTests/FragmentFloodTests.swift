import FTPScope
import Foundation
import Testing

/// Hostile fragment floods (issue 16): whatever they hold, the IP reassembly stage stays within
/// `IPReassemblyLimits` and counts what it turned away. As in `HostileInputTests`, the default run is scaled down;
/// `FTPSCOPE_HOSTILE_FULL=1` runs the sizes the issue names and `FTPSCOPE_HOSTILE_KEEP=DIR` keeps the captures for
/// measuring through the CLI (figures in docs/limits.md). Assertions are on counts, never on time or memory.
@Suite(.serialized) struct FragmentFloodTests {
    /// Writes `count` IPv4 fragments with `body` choosing (source, identification, offset, more fragments) for
    /// each, analyses the capture and removes it (unless kept).
    static func analyze(
        _ name: String, count: Int, _ body: (Int) -> (source: UInt32, identification: UInt16, offset: Int, more: Bool)
    ) throws -> AnalysisResult {
        let directory = HostileInputTests.keep ?? NSTemporaryDirectory()
        let path = (directory as NSString).appendingPathComponent("fragments-\(name)-\(getpid()).pcap")
        guard let file = fopen(path, "wb") else { throw CocoaError(.fileWriteUnknown) }
        var global: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0]
        fwrite(&global, 1, global.count, file)
        // Record header, Ethernet, IPv4 (TCP, 24 payload bytes), payload: one buffer patched per fragment.
        let payload = 24
        var frame = [UInt8](repeating: 0x41, count: 16 + 14 + 20 + payload)
        frame.replaceSubrange(16..<30, with: [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00])
        frame.replaceSubrange(30..<50, with: [0x45, 0, 0, UInt8(20 + payload), 0, 0, 0, 0, 64, 6, 0, 0, 0, 0, 0, 0, 198, 51, 100, 2])
        let length = UInt32(14 + 20 + payload)
        for index in 0..<count {
            let time = 1_700_000_000_000_000 + Int64(index)  // µs: one fragment per microsecond
            let (source, identification, offset, more) = body(index)
            func le32(_ value: UInt32, _ at: Int) {
                for byte in 0..<4 { frame[at + byte] = UInt8((value >> (8 * UInt32(byte))) & 0xFF) }
            }
            le32(UInt32(time / 1_000_000), 0)
            le32(UInt32(time % 1_000_000), 4)
            le32(length, 8)
            le32(length, 12)
            frame[34] = UInt8(identification >> 8)
            frame[35] = UInt8(identification & 0xFF)
            let field = UInt16(offset / 8) | (more ? 0x2000 : 0)
            frame[36] = UInt8(field >> 8)
            frame[37] = UInt8(field & 0xFF)
            for byte in 0..<4 { frame[42 + byte] = UInt8((source >> (8 * UInt32(3 - byte))) & 0xFF) }
            frame.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, file) }
        }
        fclose(file)
        defer { if HostileInputTests.keep == nil { unlink(path) } }
        return try OfflineAnalysis.run(paths: [path])
    }

    /// A million fragments that never complete: no last fragment ever arrives, 4096 identifications (four times
    /// the datagram table) and scattered offsets.
    @Test func millionFragmentsThatNeverComplete() throws {
        let count = HostileInputTests.size(1_000_000, divisor: 20)
        let result = try Self.analyze("never-complete", count: count) { index in
            (0xC000_0201, UInt16(index % 4096), 8 * ((index &* 7919) % 8000), true)
        }
        let ip = result.ipCounters
        #expect(ip.fragments == UInt64(count))
        #expect(ip.datagramsReassembled == 0)
        #expect(ip.droppedCapacity + ip.droppedTimeout + ip.droppedMalformed + ip.duplicates == UInt64(count))
        #expect(ip.droppedCapacity > 0)
        #expect(result.warnings.contains { $0.contains("IP reassembly limits") })
    }

    /// Fragments of 100 000 different datagrams (one first fragment each, from 256 sources).
    @Test func hundredThousandDatagrams() throws {
        let count = HostileInputTests.size(100_000, divisor: 10)
        let result = try Self.analyze("many-datagrams", count: count) { index in
            (0xC000_0200 | UInt32(index % 256), UInt16(truncatingIfNeeded: index / 256), 0, true)
        }
        let ip = result.ipCounters
        #expect(ip.fragments == UInt64(count))
        #expect(ip.datagramsReassembled == 0)
        #expect(ip.droppedCapacity + ip.droppedTimeout == UInt64(count))
        #expect(ip.droppedCapacity == UInt64(count - 1024), "all but the last 1024 (maxDatagrams) were evicted")
        // 24-byte first fragments hold a TCP header: not tiny.
        #expect(ip.tiny == 0)
    }
}
