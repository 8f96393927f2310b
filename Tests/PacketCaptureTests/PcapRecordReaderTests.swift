import Foundation
import NetworkTypes
@testable import PacketCapture
import TestSupport
import Testing

/// `PcapRecordReader` stands in for libpcap on plain pcap files: everything read through it must be what libpcap
/// gives for the same file, packets, summary and warning alike. Each test reads a file both ways and compares.
@Suite struct PcapRecordReaderTests {
    /// What one way of reading a file gave.
    struct Reading: Equatable {
        var packets: [ReadPacket]
        var summary: CaptureSummary
        var error: String?
    }

    /// Reads `path` through the record reader or through libpcap alone, with an optional BPF filter.
    static func read(_ path: String, itself: Bool, filter: String? = nil) -> Reading {
        var packets: [ReadPacket] = []
        var file: CaptureFile?
        let error = captureErrorMessage {
            let opened = try CaptureFile(path: path, readsRecordsItself: itself)
            file = opened
            if let filter { try opened.setFilter(filter) }
            packets = try readAll(opened)
        }
        var summary = file?.summary ?? CaptureSummary(
            path: path, format: "", compressed: false, linkType: .ethernet, packets: 0, bytes: 0, firstTime: nil,
            lastTime: nil, truncated: false, warning: nil, nanosecondPrecision: false)
        summary.path = path
        return Reading(packets: packets, summary: summary, error: error)
    }

    /// Reads both ways and expects the same; returns the reading for further checks.
    @discardableResult
    static func expectSame(_ path: String, filter: String? = nil, _ comment: Comment? = nil) -> Reading {
        let own = read(path, itself: true, filter: filter)
        let libpcap = read(path, itself: false, filter: filter)
        #expect(own == libpcap, comment)
        return own
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test("every bundled sample reads the same both ways")
    func bundledSamples() throws {
        let directory = Self.repositoryRoot + "/samples"
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".pcap") }
        #expect(names.count >= 20)
        for name in names.sorted() {
            let reading = Self.expectSame(directory + "/" + name, "\(name)")
            #expect(reading.error == nil && !reading.packets.isEmpty, "\(name)")
        }
    }

    @Test("the corpus's plain pcap traces read the same both ways", .enabled(if: corpusDirectory != nil))
    func corpusTraces() throws {
        let directory = corpusDirectory!
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".pcap") }
        #expect(!names.isEmpty)
        for name in names.sorted() { Self.expectSame(directory + "/" + name, "\(name)") }
    }

    @Test("cut at every offset, microsecond and nanosecond files: the same packets and warnings", arguments: [false, true])
    func cutAtEveryOffset(nanosecond: Bool) throws {
        let dir = try TempDir()
        let full = PcapWriter.pcap(samplePackets(nanosecondParts: nanosecond), nanosecond: nanosecond)
        var truncatedWithPackets = 0
        for cut in 24...full.count {
            let path = try dir.file("cut-\(cut).pcap", Array(full.prefix(cut)))
            let reading = Self.expectSame(path, "cut \(cut)")
            if reading.summary.truncated && !reading.packets.isEmpty { truncatedWithPackets += 1 }
            try FileManager.default.removeItem(atPath: path)
        }
        #expect(truncatedWithPackets > 50)
    }

    @Test("a filter applies to the records read here as libpcap applies it")
    func filtered() throws {
        let dir = try TempDir()
        let path = try dir.file("five.pcap", PcapWriter.pcap(samplePackets()))
        // Packets of 20, 27, 34, 41 and 48 bytes.
        let reading = Self.expectSame(path, filter: "len > 40")
        #expect(reading.packets.map(\.data.count) == [41, 48])
        #expect(reading.summary.packets == 2)
        #expect(reading.error == nil)
    }

    @Test("a record longer than the snapshot length is cut to it")
    func longerThanSnapshot() throws {
        let dir = try TempDir()
        let packets = samplePackets()
        let path = try dir.file("snap.pcap", PcapWriter.pcap(packets, snaplen: 30))
        let reading = Self.expectSame(path)
        #expect(reading.packets.map(\.data.count) == packets.map { min(30, $0.data.count) })
        // Cut inside a long record: before and after its snapshot-length part.
        let full = PcapWriter.pcap(packets, snaplen: 30)
        for cut in 24..<full.count {
            let cutPath = try dir.file("snap-\(cut).pcap", Array(full.prefix(cut)))
            Self.expectSame(cutPath, "cut \(cut)")
        }
    }

    @Test("a record beyond the largest sane length: the same corrupt warning", arguments: [UInt32(262_144), 100])
    func insaneLength(snaplen: UInt32) throws {
        let dir = try TempDir()
        var bytes = PcapWriter.pcap(samplePackets(), snaplen: snaplen)
        // The third record's captured length, made 300 000 (little-endian file).
        let third = PcapWriter.pcapRecordBoundaries(samplePackets())[2]
        withUnsafeBytes(of: UInt32(300_000).littleEndian) { bytes.replaceSubrange((third + 8)..<(third + 12), with: $0) }
        let path = try dir.file("insane.pcap", bytes)
        let reading = Self.expectSame(path)
        #expect(reading.packets.count == 2)
        #expect(reading.summary.warning?.hasPrefix("capture is corrupt after 2 packets (invalid packet capture length 300000") == true)
    }

    @Test("records across many read blocks, of every size up to 64 KiB")
    func manyBlocks() throws {
        let dir = try TempDir()
        var packets: [PcapWriter.Packet] = []
        var total = 0
        var size = 1
        while total < 3 * PcapRecordReader.blockSize {
            let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ size) }
            packets.append(PcapWriter.Packet(time: Timestamp(nanoseconds: Int64(packets.count) * 1_000), data: data))
            total += 16 + size
            size = size * 3 % 65_521 + 1
        }
        let path = try dir.file("blocks.pcap", PcapWriter.pcap(packets))
        let reading = Self.expectSame(path)
        #expect(reading.packets.count == packets.count)
        #expect(reading.packets.map(\.data) == packets.map(\.data))
    }

    @Test("only plain pcap 2.4 in this machine's byte order is read here")
    func whatIsReadHere() {
        let little = PcapWriter.pcap(samplePackets())
        let big = PcapWriter.pcap(samplePackets(), bigEndian: true)
        #expect(PcapRecordReader.reads(head: little, snapshot: 262_144))
        #expect(PcapRecordReader.reads(head: PcapWriter.pcap(samplePackets(), nanosecond: true), snapshot: 65_535))
        #expect(!PcapRecordReader.reads(head: big, snapshot: 262_144))
        var version23 = little
        version23[6] = 3
        #expect(!PcapRecordReader.reads(head: version23, snapshot: 262_144))
        #expect(!PcapRecordReader.reads(head: little, snapshot: 1 << 20))
        #expect(!PcapRecordReader.reads(head: Array(little.prefix(20)), snapshot: 262_144))
    }
}
