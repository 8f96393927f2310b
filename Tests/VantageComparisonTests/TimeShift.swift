import Foundation

/// Copies a classic little-endian pcap file with every packet's timestamp moved by `microseconds`: the same
/// capture as taken by a host whose clock is off.
enum TimeShift {
    static func shiftedCopy(of path: String, byMicroseconds microseconds: Int64) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        precondition(
            bytes.count >= 24 && bytes[0] == 0xD4 && bytes[1] == 0xC3 && bytes[2] == 0xB2 && bytes[3] == 0xA1,
            "a little-endian microsecond pcap")
        func read(_ offset: Int) -> UInt32 {
            UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24
        }
        func write(_ value: UInt32, _ offset: Int) {
            for k in 0..<4 { bytes[offset + k] = UInt8((value >> (8 * UInt32(k))) & 0xFF) }
        }
        var offset = 24
        while offset + 16 <= bytes.count {
            let time = Int64(read(offset)) * 1_000_000 + Int64(read(offset + 4)) + microseconds
            write(UInt32(time / 1_000_000), offset)
            write(UInt32(time % 1_000_000), offset + 4)
            offset += 16 + Int(read(offset + 8))
        }
        let name = "ftpscope-shifted-\(UUID().uuidString)-\(URL(fileURLWithPath: path).lastPathComponent)"
        let target = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }
}
