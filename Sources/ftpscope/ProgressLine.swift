import Glibc
import Reports

/// A progress line on standard error for long offline runs: packets, bytes and (when the captures' sizes are
/// known) a percentage, rewritten in place with `\r` and cleared at the end. Only when standard error is a
/// terminal, and only once a run has taken a second, so short runs and pipes see nothing.
final class ProgressLine {
    /// False when standard error is not a terminal: the callback is not even installed.
    let enabled: Bool

    private let started = ProgressLine.now()
    private var lastDrawn = -Double.infinity
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
            guard path != "-", let (size, magic) = ProgressLine.regularFile(path) else {
                known = false
                break
            }
            // Compressed input: bytes read say nothing about the position in the file.
            if magic.starts(with: [0x1F, 0x8B]) { known = false }
            if magic == [0x0A, 0x0D, 0x0D, 0x0A] { pcapng = true }
            total += size
        }
        totalSize = known && total > 0 ? total : nil
        overheadPerPacket = pcapng ? 32 : 16
    }

    /// Redraws the line (at most five times a second).
    func update(packets: UInt64, bytes: UInt64) {
        let now = ProgressLine.now()
        guard now - started >= 1, now - lastDrawn >= 0.2 else { return }
        lastDrawn = now
        var line = "reading: \(packets) packets, \(HumanUnits.bytes(bytes))"
        if let totalSize {
            let position = bytes + packets * overheadPerPacket
            line += ", \(min(99, position * 100 / totalSize))%"
        }
        let padding = String(repeating: " ", count: max(0, shownWidth - line.count))
        shownWidth = line.count
        Terminal.write("\r" + line + padding, to: 2)
    }

    /// Removes the line, if one is shown.
    func clear() {
        guard shownWidth > 0 else { return }
        Terminal.write("\r" + String(repeating: " ", count: shownWidth) + "\r", to: 2)
        shownWidth = 0
    }

    /// Seconds on the monotonic clock.
    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The size and first four bytes of a regular file; nil for anything else or an unreadable file.
    private static func regularFile(_ path: String) -> (size: UInt64, magic: [UInt8])? {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, let file = fopen(path, "rb") else {
            return nil
        }
        defer { fclose(file) }
        var magic = [UInt8](repeating: 0, count: 4)
        let count = fread(&magic, 1, 4, file)
        return (UInt64(status.st_size), Array(magic.prefix(count)))
    }
}
