#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Texts written to an unlinked temporary file and read back by number in any order, so a document's findings
/// cost disk, not memory (kept in memory if no temporary file can be made, or the disk fills).
final class RecordSpool {
    private var file: UnsafeMutablePointer<FILE>?
    private var records: [(offset: Int, length: Int)] = []
    private var memory: [[UInt8]] = []
    private var end = 0

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

    /// Stores borrowed `bytes` (a writer's buffer, without a copy of its own first); returns their number.
    func append(_ bytes: UnsafeRawBufferPointer) -> Int { append(bytes.assumingMemoryBound(to: UInt8.self)) }

    private func append(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let number = records.count
        if let file, memory.isEmpty, let base = bytes.baseAddress,
            fseek(file, end, SEEK_SET) == 0, fwrite(base, 1, bytes.count, file) == bytes.count
        {
            records.append((end, bytes.count))
            end += bytes.count
        } else {
            records.append((-1, memory.count))
            memory.append(Array(bytes))
        }
        return number
    }

    /// The bytes of record `number`.
    func read(_ number: Int) -> [UInt8] {
        let record = records[number]
        if record.offset < 0 { return memory[record.length] }
        guard let file, fflush(file) == 0, fseek(file, record.offset, SEEK_SET) == 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: record.length)
        let count = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, record.length, file) }
        return Array(bytes.prefix(count))
    }
}
