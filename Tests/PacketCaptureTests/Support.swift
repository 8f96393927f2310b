import Foundation
import NetworkTypes
import PacketCapture
import TestSupport

/// A packet as read back: header and a copy of the bytes.
struct ReadPacket: Equatable {
    var header: PacketHeader
    var data: [UInt8]
    var linkType: LinkType
}

/// Reads every packet of a capture file, copying the bytes.
func readAll(_ file: CaptureFile) throws -> [ReadPacket] {
    var result: [ReadPacket] = []
    while try file.next({ header, bytes in
        result.append(ReadPacket(header: header, data: Array(bytes), linkType: header.linkType))
    }) {}
    return result
}

/// Reads every packet of a capture set, copying the bytes.
func readAll(_ set: CaptureSet) throws -> [ReadPacket] {
    var result: [ReadPacket] = []
    while try set.next({ header, linkType, bytes in
        result.append(ReadPacket(header: header, data: Array(bytes), linkType: linkType))
    }) {}
    return result
}

/// The message of the CaptureError thrown by `body`, or nil when it does not throw one.
func captureErrorMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as CaptureError {
        return error.message
    } catch {
        return "unexpected error \(error)"
    }
}

/// Five packets of different sizes, 1.5 s apart, with sub-microsecond parts in the times.
func samplePackets(nanosecondParts: Bool = false) -> [PcapWriter.Packet] {
    (0..<5).map { index in
        let base = Int64(1_700_000_000 + index) * 1_000_000_000 + Int64(index) * 500_000_000
        let extra: Int64 = nanosecondParts ? Int64(123 + index) : 0
        let data = (0..<(20 + index * 7)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
        return PcapWriter.Packet(time: Timestamp(nanoseconds: base + Int64(index) * 1000 + extra), data: data)
    }
}

/// A temporary directory that is removed when the value goes away.
final class TempDir {
    let path: String

    init() throws {
        path = try PcapWriter.makeTemporaryDirectory(prefix: "ftpscope-capture")
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `bytes` to `name` in the directory; returns the path.
    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let full = path + "/" + name
        try PcapWriter.write(bytes, to: full)
        return full
    }
}

/// The zeek traces of the shared corpus: `../shared/corpus/zeek/traces` from the repository root,
/// else `/work/shared/corpus/zeek/traces`; nil when neither exists.
let corpusDirectory: String? = {
    let here = URL(fileURLWithPath: #filePath)  // <root>/Tests/PacketCaptureTests/Support.swift
    let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let candidates = [
        root.appendingPathComponent("../shared/corpus/zeek/traces").standardized.path,
        "/work/shared/corpus/zeek/traces",
    ]
    return candidates.first { FileManager.default.fileExists(atPath: $0) }
}()

/// A minimal Ethernet + IPv4 + TCP frame (checksums zero; enough for BPF).
func tcpFrame(sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8] = []) -> [UInt8] {
    var frame: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]
    let totalLength = 20 + 20 + payload.count
    frame += [0x45, 0, UInt8(totalLength >> 8), UInt8(totalLength & 0xFF), 0, 1, 0x40, 0, 64, 6, 0, 0]
    frame += [192, 0, 2, 1, 192, 0, 2, 2]
    frame += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xFF)]
    frame += [0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xFF, 0xFF, 0, 0, 0, 0]
    return frame + payload
}

/// A minimal Ethernet + IPv4 + UDP frame.
func udpFrame(sourcePort: UInt16, destinationPort: UInt16) -> [UInt8] {
    var frame: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]
    frame += [0x45, 0, 0, 28, 0, 1, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]
    frame += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xFF), 0, 8, 0, 0]
    return frame
}
