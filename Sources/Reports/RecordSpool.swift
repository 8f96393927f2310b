#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Texts written to an unlinked temporary file and read back by number in any order, so a document's findings
/// cost disk, not memory (kept in memory if no temporary file can be made, or the disk fills).
///
/// Records are gathered in a 64 KiB block written with one `pwrite`, and read back with one `pread` each (or from
/// the block not yet written): through stdio, every record cost a seek, a flush and a 4 KiB read.
final class RecordSpool {
    private var file: UnsafeMutablePointer<FILE>?
    /// False once the disk refused a block: later records stay in memory.
    private var writable = true
    private var records: [(offset: Int, length: Int)] = []
    private var memory: [[UInt8]] = []
    /// Bytes `written ..< end` of the file, not written yet.
    private var pending: [UInt8] = []
    private var written = 0
    private var end = 0

    private static let blockSize = 64 * 1024

    init() { file = tmpfile() }

    deinit {
        if let file { fclose(file) }
    }

    /// Stores `text`; returns its number.
    func append(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { append($0) }
    }

    /// Stores `bytes`; returns their number.
    func append(_ bytes: [UInt8]) -> Int { bytes.withUnsafeBufferPointer { append($0) } }

    /// Stores borrowed bytes; returns their number.
    func append(_ bytes: UnsafeRawBufferPointer) -> Int { append(bytes.assumingMemoryBound(to: UInt8.self)) }

    private func append(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let number = records.count
        if file != nil && writable {
            records.append((end, bytes.count))
            pending.append(contentsOf: bytes)
            end += bytes.count
            if pending.count >= Self.blockSize { writePending() }
        } else {
            records.append((-1, memory.count))
            memory.append(Array(bytes))
        }
        return number
    }

    /// Writes the pending block; if the disk refuses it, it stays in memory (its records are read from it) and
    /// later records are kept in memory.
    private func writePending() {
        guard let file, !pending.isEmpty else { return }
        guard pending.withUnsafeBytes({ PositionedIO.write(fileno(file), $0, at: written) }) else {
            writable = false
            return
        }
        written += pending.count
        pending.removeAll(keepingCapacity: true)
    }

    /// The bytes of record `number`.
    func read(_ number: Int) -> [UInt8] {
        let record = records[number]
        if record.offset < 0 { return memory[record.length] }
        if record.offset >= written {
            let start = record.offset - written
            return Array(pending[start..<(start + record.length)])
        }
        guard let file else { return [] }
        return [UInt8](unsafeUninitializedCapacity: record.length) { buffer, count in
            count = PositionedIO.read(fileno(file), into: buffer.baseAddress!, count: record.length, at: record.offset).count
        }
    }
}
