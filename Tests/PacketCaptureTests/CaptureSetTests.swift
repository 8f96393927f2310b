import Foundation
import NetworkTypes
import PacketCapture
import TestSupport
import Testing

@Suite struct CaptureSetTests {
    private func packet(_ second: Int64, _ tag: UInt8) -> PcapWriter.Packet {
        PcapWriter.Packet(time: Timestamp(seconds: second, nanoseconds: 0), data: [tag, tag, tag, tag])
    }

    @Test func mergesInTimeOrder() throws {
        let dir = try TempDir()
        let a = try dir.file("a.pcap", PcapWriter.pcap([packet(1, 0xA1), packet(3, 0xA3), packet(5, 0xA5), packet(9, 0xA9)]))
        let b = try dir.file(
            "b.pcap", PcapWriter.pcap([packet(2, 0xB2), packet(4, 0xB4), packet(6, 0xB6)], linkType: 101))
        let set = try CaptureSet(paths: [a, b])
        let read = try readAll(set)
        #expect(read.map { $0.header.time.nanoseconds / 1_000_000_000 } == [1, 2, 3, 4, 5, 6, 9])
        #expect(read.map(\.data.first) == [0xA1, 0xB2, 0xA3, 0xB4, 0xA5, 0xB6, 0xA9])
        #expect(read.map(\.header.sourceIndex) == [0, 1, 0, 1, 0, 1, 0])
        #expect(read.map(\.linkType) == [.ethernet, .raw, .ethernet, .raw, .ethernet, .raw, .ethernet])
        #expect(read.allSatisfy { $0.linkType == $0.header.linkType })
        let summaries = set.summaries
        #expect(summaries.map(\.path) == [a, b])
        #expect(summaries.map(\.packets) == [4, 3])
        #expect(summaries.map(\.linkType) == [.ethernet, .raw])
    }

    @Test func equalTimesComeInInputOrder() throws {
        let dir = try TempDir()
        let a = try dir.file("a.pcap", PcapWriter.pcap([packet(1, 0xA1), packet(2, 0xA2)]))
        let b = try dir.file("b.pcapng", PcapWriter.pcapng(interfaces: [PcapWriter.Interface()], packets: [packet(1, 0xB1), packet(2, 0xB2)]))
        let read = try readAll(try CaptureSet(paths: [a, b]))
        #expect(read.map(\.data.first) == [0xA1, 0xB1, 0xA2, 0xB2])
    }

    @Test func rotatedFilesAndTruncatedMember() throws {
        let dir = try TempDir()
        let first = PcapWriter.pcap([packet(1, 1), packet(2, 2), packet(3, 3)])
        let a = try dir.file("rot0.pcap", Array(first.dropLast(2)))  // last record cut
        let b = try dir.file("rot1.pcap.gz", try PcapWriter.gzip(PcapWriter.pcap([packet(4, 4), packet(5, 5)])))
        let set = try CaptureSet(paths: [b, a])
        let read = try readAll(set)
        #expect(read.map(\.data.first) == [1, 2, 4, 5])
        #expect(set.summaries.map(\.truncated) == [false, true])
        #expect(set.summaries[0].compressed)
    }

    @Test func filterAppliesToEveryFile() throws {
        let dir = try TempDir()
        let a = try dir.file(
            "a.pcap",
            PcapWriter.pcap([
                (Timestamp(seconds: 1, nanoseconds: 0), tcpFrame(sourcePort: 1234, destinationPort: 21)),
                (Timestamp(seconds: 3, nanoseconds: 0), udpFrame(sourcePort: 1, destinationPort: 2)),
            ]))
        let b = try dir.file(
            "b.pcap",
            PcapWriter.pcap([
                (Timestamp(seconds: 2, nanoseconds: 0), udpFrame(sourcePort: 1, destinationPort: 2)),
                (Timestamp(seconds: 4, nanoseconds: 0), tcpFrame(sourcePort: 21, destinationPort: 1234)),
            ]))
        let set = try CaptureSet(paths: [a, b])
        try set.setFilter("tcp")
        let read = try readAll(set)
        #expect(read.map { $0.header.time.nanoseconds / 1_000_000_000 } == [1, 4])
        #expect(captureErrorMessage { try set.setFilter("nonsense((") }?.hasPrefix(a + ": invalid filter") == true)
    }

    @Test func packetSourceConformance() throws {
        let dir = try TempDir()
        let a = try dir.file("a.pcap", PcapWriter.pcap([packet(1, 1), packet(3, 3)]))
        let b = try dir.file("b.pcap", PcapWriter.pcap([packet(2, 2)]))
        let sources: [any PacketSource] = [try CaptureFile(path: a), try CaptureSet(paths: [a, b])]
        var counts: [Int] = []
        for source in sources {
            var count = 0
            while try source.next({ _, _ in count += 1 }) {}
            counts.append(count)
        }
        #expect(counts == [2, 3])
        #expect(sources[1].summaries.count == 2)
    }
}
