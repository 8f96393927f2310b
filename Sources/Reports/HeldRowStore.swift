#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A timeline row encoded for its writers (two at most) and held until the watermark passes it: the first
/// writer's line is the first `split` bytes, the second's the rest. Where the bytes are is `HeldRowStore`'s
/// business.
struct EncodedRow {
    fileprivate enum Place {
        /// An exact-size allocation of its own.
        case memory(UnsafeMutableRawPointer)
        /// At this offset of the store's temporary file.
        case file(Int)
    }

    fileprivate let place: Place
    let count: Int
    let split: Int
}

/// Where held timeline rows keep their bytes: in memory up to a budget, then in an unlinked temporary file.
///
/// Rows wait for the watermark, and one long session can hold it back (its cleartext-credentials finding is dated
/// at its login and settles when it ends), so every other session's rows wait behind it: 27 325 rows at once on
/// the full-size control-heavy benchmark capture, 12 MB as JSON Lines and 30 MB as ECS documents, beyond the
/// 64 MiB the whole process is allowed. Past `memoryBudget` bytes, rows go to the file and are read back when
/// written; once no spilled row is held, the file is reused from its start, so it grows only with the rows held
/// at once, never with the capture. If no temporary file can be made or written, rows stay in memory (the
/// budget is then exceeded, not the output damaged).
final class HeldRowStore {
    let memoryBudget: Int
    /// Bytes of held rows in memory now.
    private(set) var memoryBytes = 0
    /// Rows that went to the temporary file, over the whole run.
    private(set) var spilledRows: UInt64 = 0
    /// The first failure to read a spilled row back (its row is missing from the output).
    private(set) var failure: OutputError?

    private var file: UnsafeMutablePointer<FILE>?
    private var triedFile = false
    /// The file's logical end: bytes past `written` are still in `pending`.
    private var fileEnd = 0
    private var written = 0
    private var spilledHeld = 0
    /// Spilled rows not yet written, `fileEnd - pending.count ..< fileEnd`: one `pwrite` per block, not per row.
    private let pending = RowBytes(capacity: HeldRowStore.blockSize)
    /// The last block read back, `blockStart ..< blockStart + block.count`: rows are taken in about the order they
    /// were spilled, so one `pread` serves many.
    private let block = RowBytes(capacity: HeldRowStore.blockSize)
    private var blockStart = 0

    static let blockSize = 64 * 1024

    init(memoryBudget: Int) { self.memoryBudget = memoryBudget }

    deinit {
        if let file { fclose(file) }
    }

    /// Keeps a copy of `bytes`.
    func store(_ bytes: UnsafeRawBufferPointer, split: Int) -> EncodedRow {
        if memoryBytes + bytes.count > memoryBudget, let offset = spill(bytes) {
            return EncodedRow(place: .file(offset), count: bytes.count, split: split)
        }
        let copy = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        if let base = bytes.baseAddress { copy.copyMemory(from: base, byteCount: bytes.count) }
        memoryBytes += bytes.count
        return EncodedRow(place: .memory(copy), count: bytes.count, split: split)
    }

    /// Lends the row's bytes to `body` (empty if a spilled row could not be read back), then lets the row go.
    func take(_ row: EncodedRow, _ body: (UnsafeRawBufferPointer) -> Void) {
        switch row.place {
        case .memory(let pointer):
            body(UnsafeRawBufferPointer(start: pointer, count: row.count))
            pointer.deallocate()
            memoryBytes -= row.count
        case .file(let offset):
            body(readBack(offset: offset, count: row.count))
            spilledHeld -= 1
            // Nothing spilled is held any more: the file starts over (its pages stay, reused).
            if spilledHeld == 0 {
                fileEnd = 0
                written = 0
                pending.removeAll()
                block.removeAll()
            }
        }
    }

    /// Appends `bytes` to the file (through `pending`); nil when there is no file or writing failed.
    private func spill(_ bytes: UnsafeRawBufferPointer) -> Int? {
        if !triedFile {
            triedFile = true
            file = tmpfile()
        }
        guard file != nil else { return nil }
        if pending.count + bytes.count > HeldRowStore.blockSize {
            guard writePending() else { return nil }
        }
        let offset = fileEnd
        pending.append(bytes)
        fileEnd += bytes.count
        spilledHeld += 1
        spilledRows += 1
        return offset
    }

    /// Writes `pending` at `written`; false (nothing lost: the rows stay in `pending`) if the disk refuses it.
    private func writePending() -> Bool {
        guard let file, let base = pending.bytes.baseAddress else { return true }
        let count = pending.count
        var done = 0
        while done < count {
            let result = pwrite(fileno(file), base + done, count - done, off_t(written + done))
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { return false }
            done += result
        }
        written += count
        pending.removeAll()
        return true
    }

    /// The `count` bytes at `offset`, from `pending`, the last block read, or the file.
    private func readBack(offset: Int, count: Int) -> UnsafeRawBufferPointer {
        if offset >= written {
            return UnsafeRawBufferPointer(rebasing: pending.bytes[(offset - written)..<(offset - written + count)])
        }
        if offset >= blockStart && offset + count <= blockStart + block.count {
            return UnsafeRawBufferPointer(rebasing: block.bytes[(offset - blockStart)..<(offset - blockStart + count)])
        }
        // A new block from `offset`: at least the row, at most what has been written.
        let length = min(max(count, HeldRowStore.blockSize), written - offset)
        block.removeAll()
        blockStart = offset
        block.write(atMost: length) { destination in read(into: destination, count: length, at: offset) }
        guard block.count >= count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: block.bytes[0..<count])
    }

    private func read(into destination: UnsafeMutablePointer<UInt8>, count: Int, at offset: Int) -> Int {
        guard let file else { return 0 }
        var done = 0
        while done < count {
            let result = pread(fileno(file), destination + done, count - done, off_t(offset + done))
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                if failure == nil {
                    let reason = result < 0 ? BufferedOutput.errorText(errno) : "unexpected end of file"
                    failure = OutputError(path: "timeline spool (temporary file)", reason: reason)
                }
                return 0
            }
            done += result
        }
        return count
    }
}
