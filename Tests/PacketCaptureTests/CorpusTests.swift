import Foundation
import NetworkTypes
import PacketCapture
import Testing

@Suite(.enabled(if: corpusDirectory != nil, "the shared corpus is not here"))
struct CorpusTests {
    @Test(arguments: [
        ("ipv4.pcap", 95, LinkType.ethernet, false),
        ("ipv6.pcap", 136, .ethernet, false),
        ("retr.pcap", 67, .ethernet, false),
        ("ftp-many-port-expected.pcap.gz", 1008, .ethernet, true),
        ("nvt-line-limit-crlf-heap-buffer-overflow.pcap.gz", 12363, .ipv4, true),
        ("telnet-auth-missing-name.pcap", 8, .ipv4, false),
    ])
    func packetCounts(name: String, packets: Int, linkType: LinkType, compressed: Bool) throws {
        let path = corpusDirectory! + "/" + name
        let file = try CaptureFile(path: path)
        var count = 0
        var bytes = 0
        var previous: Timestamp?
        var backwards = 0
        while try file.next({ header, buffer in
            count += 1
            bytes += buffer.count
            if let previous, header.time < previous { backwards += 1 }
            previous = header.time
        }) {}
        #expect(count == packets)
        #expect(file.linkType == linkType)
        let summary = file.summary
        #expect(summary.packets == UInt64(packets))
        #expect(summary.bytes == UInt64(bytes))
        #expect(summary.compressed == compressed)
        #expect(summary.format == "pcap")
        #expect(!summary.truncated)
        #expect(summary.firstTime != nil && summary.firstTime! <= summary.lastTime!)
        _ = backwards
    }

    @Test func wholeCorpusAsOneSet() throws {
        let directory = corpusDirectory!
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
            $0.hasSuffix(".pcap") || $0.hasSuffix(".pcap.gz")
        }.sorted()
        let set = try CaptureSet(paths: names.map { directory + "/" + $0 })
        var count: UInt64 = 0
        var previous = Timestamp(nanoseconds: .min)
        var outOfOrder = 0
        while try set.next({ header, _, _ in
            count += 1
            if header.time < previous { outOfOrder += 1 }
            previous = header.time
        }) {}
        #expect(count == set.summaries.map(\.packets).reduce(0, +))
        // Out of order only where a file itself is (the merge never goes back across files).
        _ = outOfOrder
    }
}
