#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a record of a `RecordSpool` lies: its first byte and its length. The caller keeps it (in an index that
/// may itself be spooled, `SortingSpool`): the spool keeps nothing per record, so its memory is one block
/// whatever it holds.
struct SpooledRecord: BitwiseCopyable {
    /// Offset of the first byte; offsets rise in the order the records were stored.
    var offset: Int64
    var length: UInt32
}

/// Texts written to an unlinked temporary file and read back in any order, so a document's findings and the
/// report's sections cost disk, not memory.
///
/// Records are gathered in a 64 KiB block written with one `pwrite`, and read back with one `pread` each (or from
/// the block not yet written): through stdio, every record cost a seek, a flush and a 4 KiB read. Without a
/// temporary file, or once the disk refused a block, the block is no longer written and grows instead: nothing is
/// lost, memory is spent.
final class RecordSpool {
    private var file: UnsafeMutablePointer<FILE>?
    /// False once the disk refused a block: later records stay in memory.
    private var writable: Bool
    /// Bytes `written ..< end` of the spool, not written to the file.
    private var pending: [UInt8] = []
    private var written = 0
    private var end = 0
    /// The first failure to read a record back (a record not read back is missing from the output).
    private(set) var failure: OutputError?

    private static let blockSize = 64 * 1024

    /// A spool in a new temporary file (`makeFile` stands in for `tmpfile(3)` in tests).
    init(makeFile: () -> UnsafeMutablePointer<FILE>? = { tmpfile() }) {
        file = makeFile()
        writable = file != nil
    }

    deinit {
        if let file { fclose(file) }
    }

    /// Stores `text`; returns where it lies.
    func append(_ text: String) -> SpooledRecord {
        var text = text
        return text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Stores borrowed bytes; returns where they lie.
    func append(_ bytes: UnsafeRawBufferPointer) -> SpooledRecord {
        let record = SpooledRecord(offset: Int64(end), length: UInt32(bytes.count))
        pending.append(contentsOf: bytes)
        end += bytes.count
        if writable && pending.count >= Self.blockSize { writePending() }
        return record
    }

    /// Writes the pending block; if the disk refuses it, it stays in memory (its records are read from it), as do
    /// all later records.
    private func writePending() {
        guard let file, !pending.isEmpty else { return }
        guard pending.withUnsafeBytes({ PositionedIO.write(fileno(file), $0, at: written) }) else {
            writable = false
            return
        }
        written += pending.count
        pending.removeAll(keepingCapacity: true)
    }

    /// Forgets every record: the next is stored at the start of the file again (whose space is reused, not freed).
    func removeAll() {
        pending.removeAll(keepingCapacity: true)
        written = 0
        end = 0
    }

    /// The bytes of `record` (fewer if the file could not give them back: `failure` says why).
    func read(_ record: SpooledRecord) -> [UInt8] {
        let length = Int(record.length)
        guard length > 0 else { return [] }
        if Int(record.offset) >= written {
            return withPendingBytes(of: record) { Array($0) }
        }
        return [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            count = readFile(into: buffer.baseAddress!, count: length, at: Int(record.offset))
        }
    }

    /// Bytes of the spool in the file; a record at or past this offset is still in memory.
    var writtenBytes: Int { written }

    /// Lends the bytes of a record not yet written (`record.offset >= writtenBytes`).
    func withPendingBytes<R>(of record: SpooledRecord, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let start = Int(record.offset) - written
        return pending.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<(start + Int(record.length))])) }
    }

    /// Reads `count` bytes of the file at `offset` into `destination`; the bytes read. Fewer is a failure, kept
    /// in `failure` (the first one).
    func readFile(into destination: UnsafeMutableRawPointer, count: Int, at offset: Int) -> Int {
        guard let file else { return 0 }
        let (done, error) = PositionedIO.read(fileno(file), into: destination, count: count, at: offset)
        if done < count && failure == nil {
            failure = OutputError(
                path: "spool (temporary file)", reason: error.map(BufferedOutput.errorText) ?? "short read")
        }
        return done
    }
}
