import Foundation
import NetworkTypes
import PacketCapture
import TestSupport
import Testing

@Suite struct CaptureErrorTests {
    @Test func missingFile() throws {
        let dir = try TempDir()
        let path = dir.path + "/nope.pcap"
        #expect(captureErrorMessage { _ = try CaptureFile(path: path) } == path + ": no such file")
    }

    @Test func directory() throws {
        let dir = try TempDir()
        #expect(captureErrorMessage { _ = try CaptureFile(path: dir.path) } == dir.path + ": is a directory")
    }

    @Test(.enabled(if: geteuid() != 0, "root reads any file"))
    func permissionDenied() throws {
        let dir = try TempDir()
        let path = try dir.file("locked.pcap", PcapWriter.pcap(samplePackets()))
        chmod(path, 0)
        #expect(captureErrorMessage { _ = try CaptureFile(path: path) } == path + ": permission denied")
    }

    @Test func emptyFile() throws {
        let dir = try TempDir()
        let path = try dir.file("empty.pcap", [])
        #expect(captureErrorMessage { _ = try CaptureFile(path: path) } == path + ": empty file")
    }

    @Test(arguments: [
        ([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00], "not a capture file (starts with 50 4b 03 04, a ZIP archive?)"),
        ([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01], "not a capture file (starts with 7f 45 4c 46, an ELF executable?)"),
        (Array("USER anonymous\r\n".utf8), "not a capture file (starts with 55 53 45 52, text?)"),
        ([0x00, 0x01, 0x02, 0x03, 0xFF], "not a capture file (starts with 00 01 02 03)"),
        ([0x42, 0x5A, 0x68, 0x39, 0x31], "not a capture file (starts with 42 5a 68 39, bzip2-compressed? decompress it first)"),
        ([0xA1, 0xB2], "too short to be a capture file (2 bytes)"),
    ] as [([UInt8], String)])
    func notACapture(bytes: [UInt8], reason: String) throws {
        let dir = try TempDir()
        let path = try dir.file("capture.pcap", bytes)
        #expect(captureErrorMessage { _ = try CaptureFile(path: path) } == path + ": " + reason)
    }

    @Test func gzipOfSomethingElse() throws {
        let dir = try TempDir()
        let path = try dir.file("notes.pcap.gz", try PcapWriter.gzip(Array("hello, world\n".utf8)))
        #expect(
            captureErrorMessage { _ = try CaptureFile(path: path) }
                == path + ": gzip-compressed, but not a capture file (decompressed data starts with 68 65 6c 6c, text?)")
    }

    @Test func gzipOfZip() throws {
        let dir = try TempDir()
        let path = try dir.file("x.gz", try PcapWriter.gzip([0x50, 0x4B, 0x03, 0x04, 1, 2, 3, 4]))
        #expect(
            captureErrorMessage { _ = try CaptureFile(path: path) }
                == path + ": gzip-compressed, but not a capture file (decompressed data starts with 50 4b 03 04, a ZIP archive?)")
    }

    @Test func truncatedFileHeader() throws {
        let dir = try TempDir()
        let path = try dir.file("head.pcap", Array(PcapWriter.pcap(samplePackets()).prefix(10)))
        let message = captureErrorMessage { _ = try CaptureFile(path: path) } ?? ""
        #expect(message.hasPrefix(path + ": file ends inside the capture file header"))
        #expect(!message.contains("\n"))
    }

    @Test(arguments: ["pcap", "pcapng"])
    func unsupportedLinkType(format: String) throws {
        let dir = try TempDir()
        let packets = samplePackets()
        let bytes =
            format == "pcap"
            ? PcapWriter.pcap(packets, linkType: 147)
            : PcapWriter.pcapng(interfaces: [PcapWriter.Interface(linkType: 147)], packets: packets)
        let path = try dir.file("x.\(format)", bytes)
        #expect(captureErrorMessage { _ = try CaptureFile(path: path) } == path + ": unsupported link type DLT 147 (USER0)")
    }

    @Test func pcapngInterfacesWithDifferentLinkTypes() throws {
        let dir = try TempDir()
        let interfaces = [PcapWriter.Interface(linkType: 1), PcapWriter.Interface(linkType: 101)]
        let packets = samplePackets().enumerated().map { index, packet in
            var copy = packet
            copy.interface = index % 2
            return copy
        }
        let path = try dir.file("x.pcapng", PcapWriter.pcapng(interfaces: interfaces, packets: packets))
        #expect(
            captureErrorMessage { _ = try CaptureFile(path: path) }
                == path + ": interfaces with different link types (libpcap can't read it: split it with editcap)")
    }

    @Test func pcapngSecondInterfaceAfterPackets() throws {
        // The second IDB comes after packets of the first: those are delivered, then next() throws.
        let dir = try TempDir()
        let first = PcapWriter.pcapng(interfaces: [PcapWriter.Interface(linkType: 1)], packets: Array(samplePackets().prefix(2)))
        let second = PcapWriter.pcapng(interfaces: [PcapWriter.Interface(linkType: 101)], packets: [])
        // Append only the IDB of the second (drop its 28-byte SHB), then a packet on interface 1.
        var bytes = first + second.dropFirst(28)
        let tail = PcapWriter.pcapng(
            interfaces: [PcapWriter.Interface(), PcapWriter.Interface()],
            packets: [PcapWriter.Packet(time: Timestamp(seconds: 1_800_000_000, nanoseconds: 0), data: [1, 2, 3, 4], interface: 1)])
        bytes += tail.dropFirst(28 + 20 + 20)
        let path = try dir.file("late.pcapng", bytes)
        let file = try CaptureFile(path: path)
        var delivered = 0
        let message = captureErrorMessage {
            while try file.next({ _, _ in delivered += 1 }) {}
        }
        #expect(delivered == 2)
        #expect(message == path + ": interfaces with different link types (libpcap can't read it: split it with editcap)")
    }

    @Test func setReportsTheFailingFile() throws {
        let dir = try TempDir()
        let good = try dir.file("good.pcap", PcapWriter.pcap(samplePackets()))
        let missing = dir.path + "/missing.pcap"
        #expect(captureErrorMessage { _ = try CaptureSet(paths: [good, missing]) } == missing + ": no such file")
        #expect(captureErrorMessage { _ = try CaptureSet(paths: []) } == "no capture files given")
    }
}
