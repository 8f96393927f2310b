#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reading back a manifest that an earlier run wrote, so a second run into the same directory can tell a file it
/// would write again (same session, transfer, command, path, bytes, SHA-256, status, …) from a new one.
enum ManifestRows {
    /// A manifest larger than this is not read back (its rows are still appended to): 64 MiB is about half a
    /// million rows, far beyond what one directory of extracted files holds in practice.
    static let maximumReadBytes = 64 << 20

    /// The whole content of `fd` from offset 0, or nil when it cannot be read or is larger than the limit.
    static func read(_ fd: Int32, size: Int) -> [UInt8]? {
        guard size <= maximumReadBytes else { return nil }
        var content = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let count = content.withUnsafeMutableBytes {
                readSome(fd, into: UnsafeMutableRawBufferPointer(rebasing: $0[done...]), at: UInt64(done))
            }
            guard let count else { return nil }
            if count == 0 { break }
            done += count
        }
        return Array(content[0..<done])
    }

    /// Splits RFC 4180 text into rows of cells: fields separated by commas, rows by CRLF (a bare LF is accepted
    /// too), a quoted field may hold commas, CR, LF and doubled quotes. A last row without a line end is kept.
    static func parse(_ bytes: [UInt8]) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var cell: [UInt8] = []
        var quoted = false
        var index = 0
        func endCell() {
            row.append(String(decoding: cell, as: UTF8.self))
            cell.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.count && bytes[index] == UInt8(ascii: "\"") {
                        cell.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    cell.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): quoted = true
            case UInt8(ascii: ","): endCell()
            case UInt8(ascii: "\r"): break
            case UInt8(ascii: "\n"):
                endCell()
                rows.append(row)
                row.removeAll(keepingCapacity: true)
            default: cell.append(byte)
            }
        }
        if !cell.isEmpty || !row.isEmpty {
            endCell()
            rows.append(row)
        }
        return rows
    }
}
