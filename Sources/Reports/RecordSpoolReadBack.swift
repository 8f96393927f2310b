#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bounds of `RecordSpool.readBack` (docs/limits.md).
enum SpoolReadBackLimits {
    /// Record bytes gathered before they are read: the chunk takes records until they reach this much, then reads
    /// them and up to this much of gaps between them, so its buffer holds at most twice it plus the record that
    /// filled the chunk.
    static let chunkBytes = 1 << 20
    /// Two records closer than this in the file are read with one `pread`, the bytes between them included.
    static let largestGapRead = 16 * 1024
}

extension RecordSpool {
    /// Hands `deliver` the bytes of the records that `wanted` names, in the order it names them: a document's
    /// findings at its end, sorted by time, while the spool holds them in the order they came.
    ///
    /// Why not `read(_:)` each: one `pread` per record was 30 000 system calls at the end of the control-heavy
    /// benchmark (about 35 ms with nothing else to do). Here the records are gathered a chunk at a time, sorted by
    /// place, and read as spans of neighbours; the chunk is then delivered in the asked order. The records come
    /// roughly in file order, late ones up to a megabyte behind, so a chunk of 1 MiB took 130 reads there.
    /// A record the file cannot give back is delivered short (maybe empty), and `failure` says why, as `read(_:)`.
    func readBack(
        _ wanted: ((SpooledRecord) -> Void) -> Void, deliver: (UnsafeRawBufferPointer) -> Void
    ) {
        // `want` is done with when `wanted` returns.
        readBack(
            { want in withoutActuallyEscaping(want) { want in wanted { want($0, ()) } } },
            deliver: { _, bytes in deliver(bytes) })
    }

    /// `readBack` with a value given with each record and handed back with its bytes, for a caller that writes
    /// something of its own before each (the report's section opening before each session's body).
    func readBack<Context>(
        _ wanted: ((SpooledRecord, Context) -> Void) -> Void, deliver: (Context, UnsafeRawBufferPointer) -> Void
    ) {
        var chunk = SpoolReadBackChunk()
        var contexts: [Context] = []
        // `wanted` calls back into this function's chunk, which hands records to `deliver`: both closures are
        // done with before this returns.
        withoutActuallyEscaping(deliver) { deliver in
            // The chunk's records and their contexts, delivered in the order asked; the contexts emptied with the
            // chunk.
            func deliverChunk() {
                readChunk(&chunk) { index, bytes in deliver(contexts[index], bytes) }
                contexts.removeAll(keepingCapacity: true)
            }
            wanted { record, context in
                chunk.records.append(record)
                contexts.append(context)
                chunk.bytes += Int(record.length)
                if chunk.bytes >= SpoolReadBackLimits.chunkBytes { deliverChunk() }
            }
            deliverChunk()
        }
        chunk.buffer.deallocate()
    }

    /// Reads the chunk's records from the file (or the block not yet written) and delivers them in order, with
    /// their place in the chunk; empties the chunk.
    private func readChunk(_ chunk: inout SpoolReadBackChunk, _ deliver: (Int, UnsafeRawBufferPointer) -> Void) {
        defer {
            chunk.records.removeAll(keepingCapacity: true)
            chunk.bytes = 0
        }
        guard !chunk.records.isEmpty else { return }
        let (spans, spanOfRecord) = chunk.plan(writtenBytes: writtenBytes)
        let needed = spans.last.map { $0.bufferStart + $0.length } ?? 0
        chunk.reserve(needed)
        var got: [Int] = []
        got.reserveCapacity(spans.count)
        for span in spans {
            got.append(readFile(into: chunk.buffer.baseAddress! + span.bufferStart, count: span.length, at: span.offset))
        }
        for (index, record) in chunk.records.enumerated() {
            let length = Int(record.length)
            if length == 0 {
                deliver(index, UnsafeRawBufferPointer(start: nil, count: 0))
                continue
            }
            if Int(record.offset) >= writtenBytes {
                withPendingBytes(of: record) { deliver(index, $0) }
                continue
            }
            let span = spans[spanOfRecord[index]]
            let start = Int(record.offset) - span.offset
            let available = max(0, min(length, got[spanOfRecord[index]] - start))
            deliver(
                index, UnsafeRawBufferPointer(start: chunk.buffer.baseAddress! + span.bufferStart + start, count: available))
        }
    }
}

/// One span of the file read at once, and where it goes in the chunk's buffer.
struct SpoolReadSpan: Equatable {
    var offset: Int
    var length: Int
    var bufferStart: Int
}

/// The records of `RecordSpool.readBack` waiting to be read, and the buffer they are read into (kept from chunk
/// to chunk).
struct SpoolReadBackChunk {
    var records: [SpooledRecord] = []
    var bytes = 0
    var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 16)

    /// The spans to read for the records in the file (`offset < writtenBytes`), in file order: neighbours closer
    /// than `largestGapRead` share a span while the gaps read come to at most `chunkBytes` in all; and for each
    /// record, the span holding it (-1 for one empty or still in memory).
    func plan(writtenBytes: Int) -> (spans: [SpoolReadSpan], spanOfRecord: [Int]) {
        var spanOfRecord = Array(repeating: -1, count: records.count)
        let inFile = records.indices.filter { records[$0].length > 0 && Int(records[$0].offset) < writtenBytes }
            .sorted { records[$0].offset < records[$1].offset }
        var spans: [SpoolReadSpan] = []
        var gapBytes = 0
        for index in inFile {
            let start = Int(records[index].offset)
            let end = min(start + Int(records[index].length), writtenBytes)
            if var last = spans.last {
                let lastEnd = last.offset + last.length
                let gap = start - lastEnd
                if start < lastEnd || (gap <= SpoolReadBackLimits.largestGapRead
                    && gapBytes + gap <= SpoolReadBackLimits.chunkBytes)
                {
                    gapBytes += max(0, gap)
                    last.length = max(lastEnd, end) - last.offset
                    spans[spans.count - 1] = last
                    spanOfRecord[index] = spans.count - 1
                    continue
                }
            }
            let bufferStart = spans.last.map { $0.bufferStart + $0.length } ?? 0
            spans.append(SpoolReadSpan(offset: start, length: end - start, bufferStart: bufferStart))
            spanOfRecord[index] = spans.count - 1
        }
        return (spans, spanOfRecord)
    }

    /// Makes the buffer hold at least `count` bytes.
    mutating func reserve(_ count: Int) {
        guard count > buffer.count else { return }
        buffer.deallocate()
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
    }
}
