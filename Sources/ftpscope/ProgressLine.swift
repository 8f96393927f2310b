import Foundation
import Reports

/// A progress line on standard error for long offline runs: packets, bytes and (when the captures' sizes are
/// known) a percentage, rewritten in place with `\r` and cleared at the end. Only when standard error is a
/// terminal, and only once a run has taken a second, so short runs and pipes see nothing.
final class ProgressLine {
    /// False when standard error is not a terminal: the callback is not even installed.
    let enabled: Bool

    private let started = Date()
    private var lastDrawn = Date.distantPast
    private var shownWidth = 0
    /// Bytes on disk of the captures, when every one is an uncompressed regular file.
    private let totalSize: UInt64?
    /// Record header bytes per packet in the files (16 for pcap, about 32 for pcapng), for the percentage.
    private let overheadPerPacket: UInt64

    init(paths: [String]) {
        enabled = isatty(2) == 1
        var total: UInt64 = 0
        var known = true
        var pcapng = false
        for path in paths {
            guard path != "-",
                let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let size = attributes[.size] as? NSNumber,
                let handle = FileHandle(forReadingAtPath: path)
            else {
                known = false
                break
            }
            let magic = [UInt8](handle.readData(ofLength: 4))
            try? handle.close()
            // Compressed input: bytes read say nothing about the position in the file.
            if magic.starts(with: [0x1F, 0x8B]) { known = false }
            if magic == [0x0A, 0x0D, 0x0D, 0x0A] { pcapng = true }
            total += size.uint64Value
        }
        totalSize = known && total > 0 ? total : nil
        overheadPerPacket = pcapng ? 32 : 16
    }

    /// Redraws the line (at most five times a second).
    func update(packets: UInt64, bytes: UInt64) {
        let now = Date()
        guard now.timeIntervalSince(started) >= 1, now.timeIntervalSince(lastDrawn) >= 0.2 else { return }
        lastDrawn = now
        var line = "reading: \(packets) packets, \(HumanUnits.bytes(bytes))"
        if let totalSize {
            let position = bytes + packets * overheadPerPacket
            line += ", \(min(99, position * 100 / totalSize))%"
        }
        let padding = String(repeating: " ", count: max(0, shownWidth - line.count))
        shownWidth = line.count
        FileHandle.standardError.write(Data(("\r" + line + padding).utf8))
    }

    /// Removes the line, if one is shown.
    func clear() {
        guard shownWidth > 0 else { return }
        FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: shownWidth) + "\r").utf8))
        shownWidth = 0
    }
}
