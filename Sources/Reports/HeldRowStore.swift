import CPrefetch

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
///
/// Plain data, no reference: a run is named by its number in the store. With a reference to the run, every row
/// taken from the row order, and every optional holding one, was destroyed through the runtime's generic
/// value witnesses (a sixteenth of the timeline's cost on the control-heavy benchmark).
///
/// 24 bytes: the chunk and run numbers are 32-bit, after the pointer or offset, so the place takes 13 bytes and
/// not 17, and the count and split are 32-bit (a row is far below 4 GiB: control lines are cut at FTPLimits'
/// bound). The row order moves every row with its key when it sorts and merges them: with 64-bit counts a key was
/// 48 bytes, now 40.
struct EncodedRow {
    fileprivate enum Place {
        /// In memory: in chunk `chunk` of the store's arena, or (chunk -1) an allocation of its own.
        case memory(UnsafeMutableRawPointer, chunk: Int32)
        /// At `offset` of the store's run number `number`, written to a temporary file.
        case run(offset: Int, number: Int32)
    }

    fileprivate var place: Place
    private let count32: UInt32
    private let split32: UInt32

    /// The row's bytes.
    var count: Int { Int(count32) }
    /// The first writer's bytes.
    var split: Int { Int(split32) }

    fileprivate init(place: Place, count: Int, split: Int) {
        self.place = place
        count32 = UInt32(count)
        split32 = UInt32(split)
    }

    /// True while the bytes are in memory (a spill moves them to a run).
    var inMemory: Bool {
        if case .memory = place { return true }
        return false
    }

    /// True when the bytes are in one of the store's chunks: there they stay, unchanged, after the row is taken,
    /// until the store's next `store` (a chunk is only written when a row is stored).
    var inChunk: Bool {
        if case .memory(_, let chunk) = place { return chunk >= 0 }
        return false
    }
}

/// Where held timeline rows keep their bytes: in memory up to a budget, then in temporary files.
///
/// Rows wait for the watermark, and one long session can hold it back (its cleartext-credentials finding is dated
/// at its login and settles when it ends), so every other session's rows wait behind it: 27 325 rows at once on
/// the full-size control-heavy benchmark capture, 12 MB as JSON Lines and 30 MB as ECS documents, beyond the
/// 64 MiB the whole process is allowed.
///
/// When the rows in memory pass `memoryBudget` bytes, the timeline sink hands all of them over in the order they
/// will be written (time, then arrival) and they go, in that order, to a new unlinked temporary file: a run.
/// Rows are taken in time order, so each run is read from its start to its end, through a 64 KiB read-ahead
/// buffer, whatever the interleaving of the runs (an earlier design appended rows in arrival order and read them
/// back at random: 122 278 reads of 64 KiB for 311 393 rows). A run's file is closed, and its disk space freed,
/// when its last row is taken; the runs hold only rows held at once, never the capture. If no temporary file can
/// be made or written, rows stay in memory (the budget is then exceeded, not the output damaged).
final class HeldRowStore {
    let memoryBudget: Int
    /// Bytes of held rows in memory now.
    private(set) var memoryBytes = 0
    /// Rows that went to a temporary file, over the whole run.
    private(set) var spilledRows: UInt64 = 0
    /// The first failure to read a run back (a row not read back is missing from the output).
    private(set) var failure: OutputError?

    // Rows in memory are packed into 64 KiB chunks, not allocated one by one: a spill empties every chunk at once
    // and they are refilled, so memory is the budget and no more (a malloc per row left the heap fragmented
    // by about 70 % of the budget on top, and cost a malloc and a free per row).
    private static let chunkSize = 64 * 1024
    private var chunks: [UnsafeMutableRawPointer] = []
    private var chunkRows: [Int] = []
    private var freeChunks: [Int] = []
    private var currentChunk = -1
    private var currentUsed = 0

    /// Makes the temporary file of a run (tests stand in one that fails).
    private let makeRun: () -> SpilledRun?

    // The runs rows refer to by number, and how many of each run's rows are still to be taken: a run is let go
    // (its file closed, its disk space freed) when its last row is taken, and its number used again.
    // Held unmanaged (the store owns one reference to each, taken when the run is made and given back when it is
    // let go): a run copied out of the array to read a row retained and released it once a row.
    private var runs: [Unmanaged<SpilledRun>?] = []
    private var runRows: [Int] = []
    private var freeRuns: [Int] = []

    /// Runs still holding rows not yet taken.
    var openRuns: Int { runs.count - freeRuns.count }

    init(memoryBudget: Int, makeRun: @escaping () -> SpilledRun? = { SpilledRun() }) {
        self.memoryBudget = memoryBudget
        self.makeRun = makeRun
    }

    deinit {
        for chunk in chunks { chunk.deallocate() }
        for case let run? in runs { run.release() }
    }

    /// True when the rows in memory are over the budget: time to `spill` (never after a spill failed). Asked for
    /// every row: inlined.
    var overBudget: Bool {
        @inline(__always) get {
            guard !cannotSpill else { return false }
            return memoryBytes > memoryBudget
                || (chunks.count - freeChunks.count) * Self.chunkSize > memoryBudget + Self.chunkSize
        }
    }
    /// Set when a temporary file could not be made or written.
    private var cannotSpill = false

    /// Keeps a copy of `bytes` in memory.
    func store(_ bytes: UnsafeRawBufferPointer, split: Int) -> EncodedRow {
        memoryBytes += bytes.count
        guard bytes.count <= Self.chunkSize / 4 else {
            let copy = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            if let base = bytes.baseAddress { copy.copyMemory(from: base, byteCount: bytes.count) }
            return EncodedRow(place: .memory(copy, chunk: -1), count: bytes.count, split: split)
        }
        if currentChunk < 0 || currentUsed + bytes.count > Self.chunkSize {
            if let free = freeChunks.popLast() {
                currentChunk = free
            } else {
                currentChunk = chunks.count
                chunks.append(.allocate(byteCount: Self.chunkSize, alignment: 16))
                chunkRows.append(0)
            }
            currentUsed = 0
        }
        let position = chunks[currentChunk] + currentUsed
        if let base = bytes.baseAddress { position.copyMemory(from: base, byteCount: bytes.count) }
        currentUsed += bytes.count
        // The lines the next row goes to, asked for now, while the next event is encoded: a chunk is reused cold
        // (its rows went out by `writev`, unread, seconds ago), and the copy above waited for its lines.
        let next = position + bytes.count
        ftpscope_prefetch_for_write(next + 64)
        ftpscope_prefetch_for_write(next + 128)
        ftpscope_prefetch_for_write(next + 192)
        chunkRows[currentChunk] += 1
        return EncodedRow(place: .memory(position, chunk: Int32(currentChunk)), count: bytes.count, split: split)
    }

    /// Lets go of a row's bytes in memory.
    private func release(_ pointer: UnsafeMutableRawPointer, chunk: Int, count: Int) {
        memoryBytes -= count
        guard chunk >= 0 else {
            pointer.deallocate()
            return
        }
        chunkRows[chunk] -= 1
        guard chunkRows[chunk] == 0 else { return }
        if chunk == currentChunk {
            currentUsed = 0
        } else {
            freeChunks.append(chunk)
        }
    }

    /// Moves rows from memory to a new run. `rows` calls its argument with each row in memory, in the order they
    /// will be taken, and keeps what it leaves there; called twice, it must visit the same rows in the same order.
    /// If the run can't be written, every row stays in memory.
    func spill(_ rows: ((inout EncodedRow) -> Void) -> Void) {
        // No temporary file, or a disk that refuses it: the rows stay in memory (nothing is lost, the budget is
        // exceeded) and the store stops trying, rather than failing the run or retrying at every row.
        guard let run = makeRun() else {
            cannotSpill = true
            return
        }
        // First the bytes, in order; the rows change only once the whole run is on disk.
        var offsets: [Int] = []
        var written = true
        rows { row in
            guard written, case .memory(let pointer, _) = row.place else { return }
            guard let offset = run.append(UnsafeRawBufferPointer(start: pointer, count: row.count)) else {
                written = false
                return
            }
            offsets.append(offset)
        }
        guard written, run.finishWriting() else {
            cannotSpill = true
            return
        }
        let number: Int
        if let free = freeRuns.popLast() {
            number = free
            runs[number] = Unmanaged.passRetained(run)
        } else {
            number = runs.count
            runs.append(Unmanaged.passRetained(run))
            runRows.append(0)
        }
        var index = 0
        rows { row in
            guard case .memory(let pointer, let chunk) = row.place else { return }
            release(pointer, chunk: Int(chunk), count: row.count)
            row.place = .run(offset: offsets[index], number: Int32(number))
            index += 1
        }
        runRows[number] = index
        if index == 0 {
            runs[number]?.release()
            runs[number] = nil
            freeRuns.append(number)
        }
        spilledRows += UInt64(index)
    }

    /// Lends the row's bytes to `body` (empty if a spilled row could not be read back), then lets the row go.
    func take(_ row: EncodedRow, _ body: (UnsafeRawBufferPointer) -> Void) {
        switch row.place {
        case .memory(let pointer, let chunk):
            body(UnsafeRawBufferPointer(start: pointer, count: row.count))
            release(pointer, chunk: Int(chunk), count: row.count)
        case .run(let offset, let run32):
            let number = Int(run32)
            let run = runs[number]!
            // The bytes stay valid until the run's next read; the store's reference keeps the run meanwhile.
            let (bytes, readFailure) = run._withUnsafeGuaranteedRef { run in
                let bytes = run.read(at: offset, count: row.count)
                return (bytes, bytes.count < row.count ? run.readFailure ?? "short read" : nil)
            }
            if let readFailure, failure == nil {
                failure = OutputError(path: "timeline spool (temporary file)", reason: readFailure)
            }
            body(bytes)
            runRows[number] -= 1
            if runRows[number] == 0 {
                run.release()
                runs[number] = nil
                freeRuns.append(number)
            }
        }
    }
}

/// Rows written to an unlinked temporary file in the order they will be read, and read back through a read-ahead
/// buffer. The file is closed (and its space freed) when the store lets the run go, once its last row is taken.
final class SpilledRun {
    static let blockSize = 64 * 1024

    /// Rows gathered for one `pwritev` at most (Linux's IOV_MAX).
    static let vectorsPerWrite = 1024

    private let file: UnsafeMutablePointer<FILE>
    /// Rows appended and not yet written, as pointers to their bytes in the store's memory: the system gathers
    /// them into the file, where copying each row into a buffer first was half of a spill's cost.
    private var vectors: [iovec] = []
    private var end = 0
    private var written = 0
    private let block = RowBytes(capacity: SpilledRun.blockSize)
    private var blockStart = 0
    /// Why reading failed, if it did.
    private(set) var readFailure: String?

    init?() {
        guard let file = tmpfile() else { return nil }
        self.file = file
    }

    deinit { fclose(file) }

    /// Appends a row; its offset, or nil when the disk refused the bytes. The bytes are borrowed until
    /// `finishWriting` returns: they must stay where they are until then.
    func append(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let offset = end
        guard let base = bytes.baseAddress, bytes.count > 0 else { return offset }
        end += bytes.count
        vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: base), iov_len: bytes.count))
        if vectors.count >= Self.vectorsPerWrite { guard writeVectors() else { return nil } }
        return offset
    }

    /// Writes the rows still gathered; false when the disk refused them.
    func finishWriting() -> Bool { writeVectors() }

    /// Writes the gathered rows at the end of what is written, retrying an interrupted call and carrying on after
    /// a short one (as `PositionedIO.write` does for one buffer).
    private func writeVectors() -> Bool {
        var first = 0
        while first < vectors.count {
            let result = vectors.withUnsafeMutableBufferPointer { vectors in
                pwritev(fileno(file), vectors.baseAddress! + first, Int32(vectors.count - first), off_t(written))
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { return false }
            written += result
            // Skip the rows written whole; a row written in part goes on from where the write stopped.
            var left = result
            while left > 0 {
                let length = vectors[first].iov_len
                if left >= length {
                    left -= length
                    first += 1
                } else {
                    vectors[first].iov_base += left
                    vectors[first].iov_len = length - left
                    left = 0
                }
            }
        }
        vectors.removeAll(keepingCapacity: true)
        return true
    }

    /// The `count` bytes at `offset` (fewer if the file could not give them), valid until the next read. Rows are
    /// read in the order they were written, so a block read ahead serves the next ones.
    func read(at offset: Int, count: Int) -> UnsafeRawBufferPointer {
        if offset < blockStart || offset + count > blockStart + block.count {
            block.removeAll()
            blockStart = offset
            let length = max(count, Self.blockSize)
            block.write(atMost: length) { destination in
                let (done, error) = PositionedIO.read(fileno(file), into: destination, count: length, at: offset)
                if let error { readFailure = BufferedOutput.errorText(error) }
                return done
            }
        }
        let start = offset - blockStart
        guard start < block.count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: block.bytes[start..<min(start + count, block.count)])
    }
}
