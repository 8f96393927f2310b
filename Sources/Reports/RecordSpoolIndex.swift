#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The bounds of a `SortingSpool` (docs/limits.md).
enum SortingSpoolLimits {
    /// Bytes of entries a spool keeps in memory before it sorts them and writes them out as a run (the sort
    /// borrows up to half as much again while it runs). 16 384 entries of 32 bytes: the 31 603 findings of the
    /// full-size control-heavy benchmark capture make two runs, so the mechanism is exercised by every benchmark.
    static let memoryBudget = 512 * 1024
    /// The smallest read-ahead block of a run while runs are merged: with more runs than the budget has blocks of
    /// this size (128 with the default budget, 2 million entries), runs are first merged into longer runs.
    static let minimumBlockBytes = 4 * 1024
}

/// Fixed-size entries taken in any order and handed back in order, holding a bounded number of them in memory:
/// the index of what a document or report writes at its end in another order than it was made (findings by
/// time, sections by health), which otherwise grows with the capture.
///
/// Entries are kept in memory up to `SortingSpoolLimits.memoryBudget` bytes; then they are sorted and written to
/// an unlinked temporary file as a run (the runs share one file, made at the first spill). At the end the runs
/// are merged, each read through a block of its own, the blocks together no larger than the budget; beyond
/// `budget / minimumBlockBytes` runs, runs are merged into longer runs first (each pass rewrites the entries
/// into the same file: the file holds at most a few times the entries, 32 bytes each).
///
/// Without a temporary file, or once the disk refuses a run, entries stay in memory: nothing is lost, the budget
/// is exceeded. A run that cannot be read back sets `failure` (the entries not read back are missing from the
/// output, and the run's caller reports it). Entries that compare equal come back in no particular order: give
/// them a unique tie-break (the spool offset of their record, which rises with arrival).
final class SortingSpool<Entry: Comparable & BitwiseCopyable> {
    /// Entries kept in memory before a spill.
    let capacity: Int
    /// Runs merged at once.
    let fanIn: Int
    /// Entries taken, in memory and in runs.
    private(set) var count = 0
    /// Runs written so far (merges included): for tests and for saying what the spool cost.
    private(set) var runsWritten = 0
    /// The first failure to read a run back.
    private(set) var failure: OutputError?

    private var memory: [Entry] = []
    private let makeFile: () -> UnsafeMutablePointer<FILE>?
    private var file: UnsafeMutablePointer<FILE>?
    /// Runs in the file, by first entry and count, in the order their entries arrived.
    private var runs: [(start: Int, count: Int)] = []
    /// Entries written to the file (where the next run begins).
    private var fileEntries = 0
    /// Set when no temporary file could be made or written: entries stay in memory from then on.
    private var cannotSpill = false

    private static var entryBytes: Int { MemoryLayout<Entry>.stride }

    /// A spool keeping at most `memoryBudget` bytes of entries in memory (`makeFile` stands in for `tmpfile(3)`
    /// in tests).
    init(
        memoryBudget: Int = SortingSpoolLimits.memoryBudget,
        makeFile: @escaping () -> UnsafeMutablePointer<FILE>? = { tmpfile() }
    ) {
        capacity = max(1, memoryBudget / Self.entryBytes)
        fanIn = max(2, memoryBudget / SortingSpoolLimits.minimumBlockBytes)
        self.makeFile = makeFile
    }

    deinit {
        if let file { fclose(file) }
    }

    /// Takes an entry.
    func append(_ entry: Entry) {
        if memory.count >= capacity && !cannotSpill { spillMemory() }
        memory.append(entry)
        count += 1
    }

    /// Hands every entry to `body` in order (entries stay: it may be called again).
    func forEachSorted(_ body: (Entry) -> Void) {
        if runs.isEmpty {
            memory.sort()
            for entry in memory { body(entry) }
            return
        }
        // The entries in memory become a run of their own and their storage goes, so the merge's blocks take
        // the memory they used.
        if !memory.isEmpty && !cannotSpill { spillMemory() }
        if memory.isEmpty { memory = [] }
        memory.sort()
        while runs.count > fanIn && !cannotSpill { mergePass() }
        merge(runs, memory: memory, body)
    }

    /// Sorts the entries in memory and writes them as a run; if the file can't be made or written they stay.
    private func spillMemory() {
        if file == nil { file = makeFile() }
        guard let file else {
            cannotSpill = true
            return
        }
        memory.sort()
        let written = memory.withUnsafeBytes { PositionedIO.write(fileno(file), $0, at: fileEntries * Self.entryBytes) }
        guard written else {
            cannotSpill = true
            return
        }
        runs.append((fileEntries, memory.count))
        fileEntries += memory.count
        runsWritten += 1
        memory.removeAll(keepingCapacity: true)
    }

    /// Merges each `fanIn` runs in turn into one written at the end of the file, which takes their place (the
    /// runs stay in arrival order): a pass divides the runs by `fanIn` and reads and writes every entry once. If
    /// the disk refuses a merged run, the runs stay as they are and are merged at the end as they are.
    private func mergePass() {
        var merged: [(start: Int, count: Int)] = []
        var next = 0
        while next < runs.count {
            let group = Array(runs[next..<min(next + fanIn, runs.count)])
            next += group.count
            guard group.count > 1, !cannotSpill, let run = mergeIntoRun(group) else {
                merged += group
                continue
            }
            merged.append(run)
        }
        runs = merged
    }

    /// Merges `group` into a new run at the end of the file; nil (and no more spills) if the disk refuses it.
    private func mergeIntoRun(_ group: [(start: Int, count: Int)]) -> (start: Int, count: Int)? {
        guard let file else { return nil }
        let blockEntries = max(1, capacity / (group.count + 1))
        let block = UnsafeMutableBufferPointer<Entry>.allocate(capacity: blockEntries)
        defer { block.deallocate() }
        let start = fileEntries
        var end = start
        var filled = 0
        var written = true
        func writeBlock() {
            guard written, filled > 0 else { return }
            let bytes = UnsafeRawBufferPointer(start: block.baseAddress, count: filled * Self.entryBytes)
            written = PositionedIO.write(fileno(file), bytes, at: end * Self.entryBytes)
            end += filled
            filled = 0
        }
        merge(group, memory: []) { entry in
            block[filled] = entry
            filled += 1
            if filled == blockEntries { writeBlock() }
        }
        writeBlock()
        guard written else {
            cannotSpill = true
            return nil
        }
        fileEntries = end
        runsWritten += 1
        return (start, end - start)
    }

    /// Hands the entries of `group` and of `memory` (sorted) to `body` in order: a heap of the sources by their
    /// next entry.
    private func merge(_ group: [(start: Int, count: Int)], memory: [Entry], _ body: (Entry) -> Void) {
        let blockEntries = max(1, capacity / max(1, group.count))
        var sources = group.map { RunReader<Entry>(start: $0.start, count: $0.count, blockEntries: blockEntries) }
        var memoryPosition = 0
        // Source indices; `sources.count` stands for the entries in memory.
        var heap: [Int] = []
        func current(_ source: Int) -> Entry {
            source == sources.count ? memory[memoryPosition] : sources[source].current
        }
        func before(_ a: Int, _ b: Int) -> Bool {
            let (x, y) = (current(a), current(b))
            return x < y || (!(y < x) && a < b)
        }
        func siftDown(_ from: Int) {
            var parent = from
            while true {
                var smallest = parent
                let left = 2 * parent + 1
                if left < heap.count && before(heap[left], heap[smallest]) { smallest = left }
                if left + 1 < heap.count && before(heap[left + 1], heap[smallest]) { smallest = left + 1 }
                if smallest == parent { return }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        for index in sources.indices where sources[index].load(file, &failure) { heap.append(index) }
        if !memory.isEmpty { heap.append(sources.count) }
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
        while let top = heap.first {
            body(current(top))
            let more: Bool
            if top == sources.count {
                memoryPosition += 1
                more = memoryPosition < memory.count
            } else {
                more = sources[top].advance(file, &failure)
            }
            if !more {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            if !heap.isEmpty { siftDown(0) }
        }
        for index in sources.indices { sources[index].release() }
    }
}

/// One run read back through a block of entries.
private struct RunReader<Entry: BitwiseCopyable> {
    /// The run's next entry not yet read into the block, and the entries after it.
    private var next: Int
    private var remaining: Int
    private let block: UnsafeMutableBufferPointer<Entry>
    private var position = 0
    private var filled = 0

    init(start: Int, count: Int, blockEntries: Int) {
        next = start
        remaining = count
        block = .allocate(capacity: max(1, min(blockEntries, count)))
    }

    var current: Entry { block[position] }

    /// Reads the first block; false when there is nothing to read.
    mutating func load(_ file: UnsafeMutablePointer<FILE>?, _ failure: inout OutputError?) -> Bool {
        position = 0
        filled = 0
        guard remaining > 0, let file else { return false }
        let stride = MemoryLayout<Entry>.stride
        let wanted = min(block.count, remaining)
        let (done, error) = PositionedIO.read(
            fileno(file), into: UnsafeMutableRawPointer(block.baseAddress!), count: wanted * stride, at: next * stride)
        filled = done / stride
        if filled < wanted {
            // The entries not read are lost to the output: say so once, and end the run here.
            if failure == nil {
                failure = OutputError(
                    path: "index spool (temporary file)", reason: error.map(BufferedOutput.errorText) ?? "short read")
            }
            remaining = 0
        } else {
            remaining -= filled
            next += filled
        }
        return filled > 0
    }

    /// Moves to the next entry; false at the end of the run.
    mutating func advance(_ file: UnsafeMutablePointer<FILE>?, _ failure: inout OutputError?) -> Bool {
        position += 1
        return position < filled || load(file, &failure)
    }

    func release() { block.deallocate() }
}
