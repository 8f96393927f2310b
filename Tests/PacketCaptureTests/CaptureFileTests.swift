import Foundation
import NetworkTypes
import PacketCapture
import TestSupport
import Testing

@Suite struct CaptureFileReadingTests {
    @Test(arguments: [false, true])
    func classicPcapRoundTrip(nanosecond: Bool) throws {
        let dir = try TempDir()
        let packets = samplePackets(nanosecondParts: nanosecond)
        let path = try dir.file("a.pcap", PcapWriter.pcap(packets, nanosecond: nanosecond))
        let file = try CaptureFile(path: path)
        #expect(file.linkType == .ethernet)
        let read = try readAll(file)
        #expect(read.map(\.data) == packets.map(\.data))
        // ns files keep every nanosecond; µs files were written from µs-aligned times.
        #expect(read.map(\.header.time) == packets.map(\.time))
        #expect(read.map(\.header.capturedLength) == packets.map(\.data.count))
        #expect(read.allSatisfy { $0.header.sourceIndex == 0 && $0.header.linkType == .ethernet })
        let summary = file.summary
        #expect(summary.path == path)
        #expect(summary.format == "pcap")
        #expect(!summary.compressed)
        #expect(summary.packets == 5)
        #expect(summary.bytes == UInt64(packets.map(\.data.count).reduce(0, +)))
        #expect(summary.firstTime == packets.first?.time)
        #expect(summary.lastTime == packets.last?.time)
        #expect(!summary.truncated)
        #expect(summary.warning == nil)
        #expect(summary.nanosecondPrecision == nanosecond)
        // Past the end it stays at the end.
        #expect(try file.next { _, _ in } == false)
    }

    @Test func bigEndianPcapAndWireLength() throws {
        let dir = try TempDir()
        let packet = PcapWriter.Packet(time: Timestamp(seconds: 1000, nanoseconds: 5000), data: [1, 2, 3], wireLength: 1500)
        let path = try dir.file("be.pcap", PcapWriter.pcap([packet], linkType: 101, bigEndian: true))
        let file = try CaptureFile(path: path)
        #expect(file.linkType == .raw)
        let read = try readAll(file)
        #expect(read.count == 1)
        #expect(read.first?.header.wireLength == 1500)
        #expect(read.first?.header.capturedLength == 3)
        #expect(read.first?.header.time == packet.time)
    }

    @Test(arguments: [UInt8?.none, 6, 9])
    func pcapngRoundTrip(tsresol: UInt8?) throws {
        let dir = try TempDir()
        let packets = samplePackets(nanosecondParts: tsresol == 9)
        let bytes = PcapWriter.pcapng(
            interfaces: [PcapWriter.Interface(linkType: 1, tsresol: tsresol)], packets: packets)
        let file = try CaptureFile(path: try dir.file("a.pcapng", bytes))
        let read = try readAll(file)
        #expect(read.map(\.data) == packets.map(\.data))
        #expect(read.map(\.header.time) == packets.map(\.time))
        #expect(file.summary.format == "pcapng")
        #expect(file.summary.nanosecondPrecision == (tsresol == 9))
        #expect(file.summary.packets == 5)
        #expect(!file.summary.truncated)
    }

    @Test func pcapngTwoInterfacesSameLinkType() throws {
        let dir = try TempDir()
        let interfaces = [PcapWriter.Interface(linkType: 1), PcapWriter.Interface(linkType: 1)]
        let packets = samplePackets().enumerated().map { index, packet in
            var copy = packet
            copy.interface = index % 2
            return copy
        }
        let file = try CaptureFile(path: try dir.file("two.pcapng", PcapWriter.pcapng(interfaces: interfaces, packets: packets)))
        #expect(try readAll(file).count == 5)
    }

    @Test(arguments: ["pcap", "pcapng"])
    func gzipCompressed(format: String) throws {
        let dir = try TempDir()
        let packets = samplePackets(nanosecondParts: true)
        let plain =
            format == "pcap"
            ? PcapWriter.pcap(packets, nanosecond: true)
            : PcapWriter.pcapng(interfaces: [PcapWriter.Interface(tsresol: 9)], packets: packets)
        let path = try dir.file("a.\(format).gz", try PcapWriter.gzip(plain))
        let file = try CaptureFile(path: path)
        let read = try readAll(file)
        #expect(read.map(\.data) == packets.map(\.data))
        #expect(read.map(\.header.time) == packets.map(\.time))
        let summary = file.summary
        #expect(summary.compressed)
        #expect(summary.format == format)
        #expect(summary.nanosecondPrecision)
        #expect(!summary.truncated)
        #expect(summary.warning == nil)
    }

    @Test func largeGzipCapture() throws {
        // More than the peek and zlib buffers, so reads cross them.
        let dir = try TempDir()
        let packets = (0..<3000).map { index in
            PcapWriter.Packet(
                time: Timestamp(seconds: 1_600_000_000 + Int64(index), nanoseconds: 0),
                data: (0..<(60 + index % 1400)).map { UInt8(truncatingIfNeeded: $0 ^ index) })
        }
        let plain = PcapWriter.pcap(packets)
        let path = try dir.file("big.pcap.gz", try PcapWriter.gzip(plain))
        let file = try CaptureFile(path: path)
        var count = 0
        var mismatches = 0
        while try file.next({ header, bytes in
            if !bytes.elementsEqual(packets[count].data) || header.time != packets[count].time { mismatches += 1 }
            count += 1
        }) {}
        #expect(count == 3000)
        #expect(mismatches == 0)
    }

    @Test(arguments: [false, true])
    func readsFromPipe(compressed: Bool) throws {
        let packets = samplePackets()
        var bytes = PcapWriter.pcap(packets)
        if compressed { bytes = try PcapWriter.gzip(bytes) }
        let pipe = Pipe()
        pipe.fileHandleForWriting.write(Data(bytes))  // fits in the pipe's buffer
        try pipe.fileHandleForWriting.close()
        let file = try CaptureFile(fileDescriptor: pipe.fileHandleForReading.fileDescriptor, name: "-")
        let read = try readAll(file)
        #expect(read.map(\.data) == packets.map(\.data))
        #expect(file.summary.path == "-")
        #expect(file.summary.compressed == compressed)
        #expect(file.summary.format == "pcap")
    }

    @Test func emptyPipeNamesStandardInput() throws {
        let pipe = Pipe()
        try pipe.fileHandleForWriting.close()
        let message = captureErrorMessage {
            _ = try CaptureFile(fileDescriptor: pipe.fileHandleForReading.fileDescriptor, name: "-")
        }
        #expect(message == "standard input: empty file")
    }

    @Test func readsStandardInputForDash() throws {
        // `-` reads file descriptor 0: point it at a capture file for the duration of the test.
        // (Pipes are covered above through the same code; this checks `path: "-"` itself.)
        let dir = try TempDir()
        let path = try dir.file("a.pcap", PcapWriter.pcap(samplePackets()))
        let saved = dup(STDIN_FILENO)
        let fd = open(path, O_RDONLY)
        #expect(fd >= 0 && saved >= 0)
        dup2(fd, STDIN_FILENO)
        close(fd)
        defer {
            dup2(saved, STDIN_FILENO)
            close(saved)
        }
        let file = try CaptureFile(path: "-")
        #expect(try readAll(file).count == 5)
        #expect(file.summary.path == "-")
    }

    @Test func filterValidAndInvalid() throws {
        let dir = try TempDir()
        let frames: [(Timestamp, [UInt8])] = [
            (Timestamp(seconds: 10, nanoseconds: 0), tcpFrame(sourcePort: 40000, destinationPort: 21)),
            (Timestamp(seconds: 11, nanoseconds: 0), udpFrame(sourcePort: 53, destinationPort: 5353)),
            (Timestamp(seconds: 12, nanoseconds: 0), tcpFrame(sourcePort: 21, destinationPort: 40000)),
            (Timestamp(seconds: 13, nanoseconds: 0), tcpFrame(sourcePort: 40001, destinationPort: 80)),
        ]
        let path = try dir.file("f.pcap", PcapWriter.pcap(frames))

        let file = try CaptureFile(path: path)
        try file.setFilter("tcp port 21")
        let read = try readAll(file)
        #expect(read.map(\.header.time) == [frames[0].0, frames[2].0])
        #expect(file.summary.packets == 2)

        let udp = try CaptureFile(path: path)
        try udp.setFilter("udp")
        #expect(try readAll(udp).map(\.header.time) == [frames[1].0])

        let bad = try CaptureFile(path: path)
        let message = captureErrorMessage { try bad.setFilter("tcp port banana") }
        #expect(message?.hasPrefix(path + ": invalid filter \"tcp port banana\": ") == true)
        #expect(message?.contains("\n") == false)
        // The handle still reads after a rejected filter.
        #expect(try readAll(bad).count == 4)
    }
}

@Suite struct CaptureFileTruncationTests {
    /// A 5-packet pcap cut at every byte offset.
    @Test func pcapCutAtEveryOffset() throws {
        let dir = try TempDir()
        let packets = samplePackets()
        let full = PcapWriter.pcap(packets)
        let boundaries = PcapWriter.pcapRecordBoundaries(packets)
        for cut in 0...full.count {
            let path = try dir.file("cut-\(cut).pcap", Array(full.prefix(cut)))
            if cut < 24 {
                let message = captureErrorMessage { _ = try CaptureFile(path: path) }
                #expect(message?.hasPrefix(path + ": ") == true, "cut \(cut)")
                if cut == 0 { #expect(message == path + ": empty file") }
                continue
            }
            let file = try CaptureFile(path: path)
            let read = try readAll(file)
            let complete = boundaries.dropFirst().filter { $0 <= cut }.count
            #expect(read.count == complete, "cut \(cut)")
            #expect(read.map(\.data) == packets.prefix(complete).map(\.data), "cut \(cut)")
            let atBoundary = boundaries.contains(cut)
            #expect(file.summary.truncated == !atBoundary, "cut \(cut)")
            if atBoundary {
                #expect(file.summary.warning == nil)
            } else {
                #expect(
                    file.summary.warning
                        == "capture ends in the middle of a packet after \(complete) packet\(complete == 1 ? "" : "s")",
                    "cut \(cut)")
            }
            try FileManager.default.removeItem(atPath: path)
        }
    }

    /// The same for pcapng: never a crash; packets before the cut are delivered.
    @Test func pcapngCutAtEveryOffset() throws {
        let dir = try TempDir()
        let packets = samplePackets()
        let full = PcapWriter.pcapng(interfaces: [PcapWriter.Interface()], packets: packets)
        // SHB 28 bytes, IDB 20 bytes, then one EPB per packet.
        var boundaries = [48]
        for packet in packets { boundaries.append(boundaries.last! + 32 + (packet.data.count + 3) / 4 * 4) }
        #expect(boundaries.last == full.count)
        for cut in 0...full.count {
            let path = try dir.file("cut-\(cut).pcapng", Array(full.prefix(cut)))
            var file: CaptureFile?
            let message = captureErrorMessage { file = try CaptureFile(path: path) }
            if let message {
                #expect(cut < 48, "cut \(cut): \(message)")
                #expect(message.hasPrefix(path + ": ") && !message.contains("\n"))
                continue
            }
            guard let file else { continue }
            let read = try readAll(file)
            let complete = boundaries.dropFirst().filter { $0 <= cut }.count
            #expect(read.map(\.data) == packets.prefix(complete).map(\.data), "cut \(cut)")
            #expect(file.summary.truncated == !boundaries.contains(cut), "cut \(cut)")
            try FileManager.default.removeItem(atPath: path)
        }
    }

    /// A gzip stream cut at every offset: no crash; a cut stream is reported, the packets
    /// decompressed before the cut are kept.
    @Test func gzipCutAtEveryOffset() throws {
        let dir = try TempDir()
        let packets = samplePackets()
        let compressed = try PcapWriter.gzip(PcapWriter.pcap(packets))
        var sawTruncatedWithPackets = false
        for cut in 1..<compressed.count {
            let path = try dir.file("cut-\(cut).pcap.gz", Array(compressed.prefix(cut)))
            var file: CaptureFile?
            let message = captureErrorMessage { file = try CaptureFile(path: path) }
            if let message {
                #expect(message.hasPrefix(path + ": ") && !message.contains("\n"), "cut \(cut)")
                continue
            }
            guard let file else { continue }
            let read = try readAll(file)
            #expect(read.map(\.data) == packets.prefix(read.count).map(\.data), "cut \(cut)")
            #expect(file.summary.truncated, "cut \(cut)")
            #expect(file.summary.warning?.hasPrefix("gzip stream ends early after \(read.count) packet") == true, "cut \(cut)")
            if read.count > 0 { sawTruncatedWithPackets = true }
            try FileManager.default.removeItem(atPath: path)
        }
        #expect(sawTruncatedWithPackets)
        // Cut inside the trailer only: every packet is there, and the stream is still reported cut.
        let path = try dir.file("trailer.pcap.gz", Array(compressed.dropLast(4)))
        let file = try CaptureFile(path: path)
        #expect(try readAll(file).count == 5)
        #expect(file.summary.truncated)
        #expect(file.summary.warning == "gzip stream ends early after 5 packets")
    }

    @Test func gzipCutShortInHeader() throws {
        let dir = try TempDir()
        let compressed = try PcapWriter.gzip(PcapWriter.pcap(samplePackets()))
        let path = try dir.file("short.pcap.gz", Array(compressed.prefix(12)))
        let message = captureErrorMessage { _ = try CaptureFile(path: path) }
        #expect(message == path + ": gzip stream ends early")
    }

    @Test func corruptGzipData() throws {
        let dir = try TempDir()
        let packets = (0..<200).map { index in
            PcapWriter.Packet(
                time: Timestamp(seconds: Int64(index), nanoseconds: 0),
                data: (0..<300).map { UInt8(truncatingIfNeeded: $0 &* index &+ $0 >> 3) })
        }
        var compressed = try PcapWriter.gzip(PcapWriter.pcap(packets))
        // Damage the deflate data past the start.
        let middle = compressed.count * 2 / 3
        for index in middle..<(middle + 16) { compressed[index] ^= 0x5A }
        let path = try dir.file("bad.pcap.gz", compressed)
        var file: CaptureFile?
        let message = captureErrorMessage { file = try CaptureFile(path: path) }
        if let message {
            #expect(message.hasPrefix(path + ": gzip data is corrupt"))
        } else if let file {
            let read = try readAll(file)
            #expect(read.count < 200)
            #expect(file.summary.truncated)
            #expect(file.summary.warning?.hasPrefix("gzip data is corrupt") == true)
        }
    }

    @Test func corruptRecordLength() throws {
        let dir = try TempDir()
        let packets = samplePackets()
        var bytes = PcapWriter.pcap(packets, snaplen: 65535)
        // Third record's caplen (offset 8 in its header) becomes huge.
        let boundaries = PcapWriter.pcapRecordBoundaries(packets)
        let at = boundaries[2] + 8
        bytes.replaceSubrange(at..<(at + 4), with: [0xFF, 0xFF, 0xFF, 0x7F])
        let file = try CaptureFile(path: try dir.file("corrupt.pcap", bytes))
        let read = try readAll(file)
        #expect(read.count == 2)
        #expect(file.summary.truncated)
        let warning = file.summary.warning ?? ""
        #expect(warning.hasPrefix("capture is corrupt after 2 packets (invalid packet capture length"))
        #expect(!warning.contains("\n"))
    }
}
