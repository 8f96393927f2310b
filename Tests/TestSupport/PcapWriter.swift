import Foundation
import NetworkTypes

/// Builds capture files in memory for tests: classic pcap (µs or ns) and a minimal pcapng
/// (section header, interface descriptions, enhanced packet blocks).
public enum PcapWriter {
    /// One packet to write.
    public struct Packet: Sendable {
        /// Capture time.
        public var time: Timestamp
        /// The captured bytes.
        public var data: [UInt8]
        /// Length on the wire; the captured length when nil.
        public var wireLength: Int?
        /// For pcapng: the interface (index into the interfaces written) it was captured on.
        public var interface: Int

        /// Creates a packet.
        public init(time: Timestamp, data: [UInt8], wireLength: Int? = nil, interface: Int = 0) {
            self.time = time
            self.data = data
            self.wireLength = wireLength
            self.interface = interface
        }
    }

    /// A pcapng interface description.
    public struct Interface: Sendable {
        /// LINKTYPE_ value (1 Ethernet, 101 raw IP, 147 USER0, …).
        public var linkType: UInt16
        /// Snapshot length (0: no limit).
        public var snaplen: UInt32
        /// `if_tsresol` (6 = µs, the default, 9 = ns; high bit set for powers of two); nil writes no option.
        public var tsresol: UInt8?

        /// Creates an interface description.
        public init(linkType: UInt16 = 1, snaplen: UInt32 = 262_144, tsresol: UInt8? = nil) {
            self.linkType = linkType
            self.snaplen = snaplen
            self.tsresol = tsresol
        }
    }

    // MARK: - Classic pcap

    /// A classic pcap file: µs timestamps (magic a1b2c3d4) or ns (a1b23c4d), little-endian unless
    /// `bigEndian`.
    public static func pcap(
        _ packets: [Packet], linkType: UInt32 = 1, snaplen: UInt32 = 262_144, nanosecond: Bool = false,
        bigEndian: Bool = false
    ) -> [UInt8] {
        var out = PcapByteSink(bigEndian: bigEndian)
        out.u32(nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        out.u16(2)
        out.u16(4)
        out.u32(0)  // thiszone
        out.u32(0)  // sigfigs
        out.u32(snaplen)
        out.u32(linkType)
        for packet in packets {
            let (seconds, fraction) = split(packet.time, unitsPerSecond: nanosecond ? 1_000_000_000 : 1_000_000)
            out.u32(UInt32(truncatingIfNeeded: seconds))
            out.u32(UInt32(truncatingIfNeeded: fraction))
            out.u32(UInt32(packet.data.count))
            out.u32(UInt32(packet.wireLength ?? packet.data.count))
            out.bytes.append(contentsOf: packet.data)
        }
        return out.bytes
    }

    /// A classic pcap file from (time, bytes) pairs.
    public static func pcap(
        _ packets: [(Timestamp, [UInt8])], linkType: UInt32 = 1, snaplen: UInt32 = 262_144,
        nanosecond: Bool = false, bigEndian: Bool = false
    ) -> [UInt8] {
        pcap(
            packets.map { Packet(time: $0.0, data: $0.1) }, linkType: linkType, snaplen: snaplen,
            nanosecond: nanosecond, bigEndian: bigEndian)
    }

    /// Byte offsets where each record of a classic pcap file written by `pcap` starts, plus the end.
    public static func pcapRecordBoundaries(_ packets: [Packet]) -> [Int] {
        var offsets = [24]
        for packet in packets { offsets.append(offsets[offsets.count - 1] + 16 + packet.data.count) }
        return offsets
    }

    // MARK: - pcapng

    /// A pcapng file: one section, the given interfaces, one enhanced packet block per packet.
    public static func pcapng(interfaces: [Interface], packets: [Packet], bigEndian: Bool = false) -> [UInt8] {
        var out = PcapByteSink(bigEndian: bigEndian)
        // Section Header Block.
        block(&out, type: 0x0A0D_0D0A) { body in
            body.u32(0x1A2B_3C4D)
            body.u16(1)
            body.u16(0)
            body.u32(0xFFFF_FFFF)  // section length unknown (-1, 64 bits)
            body.u32(0xFFFF_FFFF)
        }
        for interface in interfaces {
            block(&out, type: 1) { body in
                body.u16(interface.linkType)
                body.u16(0)
                body.u32(interface.snaplen)
                if let tsresol = interface.tsresol {
                    body.u16(9)
                    body.u16(1)
                    body.bytes.append(contentsOf: [tsresol, 0, 0, 0])
                    body.u16(0)  // opt_endofopt
                    body.u16(0)
                }
            }
        }
        for packet in packets {
            let index = min(max(packet.interface, 0), max(interfaces.count - 1, 0))
            let units = interfaces.isEmpty ? 1_000_000 : unitsPerSecond(interfaces[index].tsresol)
            let (seconds, fraction) = split(packet.time, unitsPerSecond: units)
            let ticks = UInt64(truncatingIfNeeded: seconds) &* UInt64(units) &+ UInt64(truncatingIfNeeded: fraction)
            block(&out, type: 6) { body in
                body.u32(UInt32(packet.interface))
                body.u32(UInt32(truncatingIfNeeded: ticks >> 32))
                body.u32(UInt32(truncatingIfNeeded: ticks))
                body.u32(UInt32(packet.data.count))
                body.u32(UInt32(packet.wireLength ?? packet.data.count))
                body.bytes.append(contentsOf: packet.data)
                while body.bytes.count % 4 != 0 { body.bytes.append(0) }
            }
        }
        return out.bytes
    }

    /// A pcapng file with one interface of `linkType`, from (time, bytes) pairs.
    public static func pcapng(_ packets: [(Timestamp, [UInt8])], linkType: UInt16 = 1, tsresol: UInt8? = nil) -> [UInt8] {
        pcapng(
            interfaces: [Interface(linkType: linkType, tsresol: tsresol)],
            packets: packets.map { Packet(time: $0.0, data: $0.1) })
    }

    // MARK: - Files

    /// Writes bytes to a file, replacing it.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A fresh temporary directory (under the system's temporary directory) for a test's files.
    public static func makeTemporaryDirectory(prefix: String = "ftpscope-test") throws -> String {
        let base = FileManager.default.temporaryDirectory
        let url = base.appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// gzip-compresses bytes with `/bin/gzip -c` (or `gzip` on the PATH).
    public static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let process = Process()
        let gzipPath = FileManager.default.isExecutableFile(atPath: "/bin/gzip") ? "/bin/gzip" : "/usr/bin/gzip"
        process.executableURL = URL(fileURLWithPath: gzipPath)
        process.arguments = ["-c", "-n"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // Feed input from another thread so a large output can't block the pipe.
        let writer = input.fileHandleForWriting
        let payload = Data(bytes)
        let thread = Thread {
            writer.write(payload)
            try? writer.close()
        }
        thread.start()
        let result = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return [UInt8](result)
    }

    // MARK: - Internals

    private static func unitsPerSecond(_ tsresol: UInt8?) -> Int64 {
        guard let tsresol else { return 1_000_000 }
        let exponent = Int64(tsresol & 0x7F)
        var units: Int64 = 1
        for _ in 0..<min(exponent, 18) { units *= tsresol & 0x80 == 0 ? 10 : 2 }
        return units
    }

    private static func split(_ time: Timestamp, unitsPerSecond units: Int64) -> (Int64, Int64) {
        var seconds = time.nanoseconds / 1_000_000_000
        var nanos = time.nanoseconds % 1_000_000_000
        if nanos < 0 {
            nanos += 1_000_000_000
            seconds -= 1
        }
        // Units of 1/units second, rounding down.
        let fraction = units >= 1_000_000_000 ? nanos * (units / 1_000_000_000) : nanos / (1_000_000_000 / units)
        return (seconds, fraction)
    }

    private static func block(_ out: inout PcapByteSink, type: UInt32, _ fill: (inout PcapByteSink) -> Void) {
        var body = PcapByteSink(bigEndian: out.bigEndian)
        fill(&body)
        let length = UInt32(12 + body.bytes.count)
        out.u32(type)
        out.u32(length)
        out.bytes.append(contentsOf: body.bytes)
        out.u32(length)
    }
}

/// Appends integers in a chosen byte order.
private struct PcapByteSink {
    var bigEndian: Bool
    var bytes: [UInt8] = []

    mutating func u16(_ value: UInt16) {
        let v = bigEndian ? value.bigEndian : value.littleEndian
        withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
    }

    mutating func u32(_ value: UInt32) {
        let v = bigEndian ? value.bigEndian : value.littleEndian
        withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
    }
}
