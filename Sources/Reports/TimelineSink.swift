import FTPAnalysis
import NetworkTypes

/// An event sink that writes as the analysis settles and needs to hear how far that is: the pipeline calls
/// `advance(watermark:)` periodically (offline: every second of capture time; live: after each batch) with
/// `FTPAnalyzer.pendingWatermark`, and `flush()` when output should reach its files now (live mode).
public protocol StreamingEventSink: AnalysisEventSink {
    /// No event with a time before `watermark` is still to come (nil: nothing is pending at all).
    func advance(watermark: Timestamp?)
    /// Writes out what is buffered.
    func flush()
}

/// Dispatches every event to several sinks, in the order given (text, CSV, JSON Lines, …).
public final class FanOutSink: StreamingEventSink {
    /// The sinks.
    public let sinks: [AnalysisEventSink]

    /// Creates a fan-out over `sinks`.
    public init(_ sinks: [AnalysisEventSink]) { self.sinks = sinks }

    public func analysis(_ event: AnalysisEvent) {
        for sink in sinks { sink.analysis(event) }
    }

    /// Every sink but the last is lent the event; the last one is given it (a sink that queues it, an output
    /// thread's hand-over, then keeps it without a copy).
    public func take(_ event: consuming AnalysisEvent) {
        guard let last = sinks.last else { return }
        for sink in sinks.dropLast() { sink.analysis(event) }
        last.take(consume event)
    }

    public func advance(watermark: Timestamp?) {
        for case let sink as StreamingEventSink in sinks { sink.advance(watermark: watermark) }
    }

    public func flush() {
        for case let sink as StreamingEventSink in sinks { sink.flush() }
    }
}

/// The session timeline as it streams: one row per event, written in time order across sessions.
///
/// Events arrive in the order they settle (a command when its reply comes, findings when their session ends), so
/// rows are held in a min-heap by (time, arrival) and written once the watermark has passed them. The heap is
/// bounded (`maximumHeldRows`): beyond it the earliest rows are written anyway, so memory stays flat whatever the
/// capture; a row that then arrives earlier than one already written is written at once and counted in
/// `rowsOutOfOrder`.
public final class TimelineSink: StreamingEventSink {
    /// Rows held at most while waiting for the watermark.
    public static let defaultMaximumHeldRows = 100_000

    /// Bytes of held rows kept in memory; more go to a temporary file (`HeldRowStore`).
    public static let defaultHeldBytesInMemory = 2 * 1024 * 1024

    /// The bound in force.
    public let maximumHeldRows: Int
    /// Rows written with a time earlier than a row written before them.
    public private(set) var rowsOutOfOrder: UInt64 = 0
    /// Rows written because the buffer was full rather than because the watermark passed them.
    public private(set) var rowsForcedOut: UInt64 = 0
    /// Rows written so far.
    public private(set) var rowsWritten: UInt64 = 0
    /// The most rows held at once.
    public private(set) var peakHeldRows = 0
    /// Rows held now.
    public var heldRows: Int { heap.count }
    /// Rows that waited in the temporary file because the held rows' bytes were over their memory budget.
    public var rowsSpilled: UInt64 { held.spilledRows }

    private var builder: TimelineRowBuilder
    private let writers: [TimelineWriter]
    private var heap = RowHeap()
    /// The held rows' bytes: memory up to a budget, then a temporary file.
    private let held: HeldRowStore
    private var sequence: UInt64 = 0
    private var lastWritten: Timestamp?
    private let scratch = RowBytes()
    /// The row being built, filled in place for every event (see `TimelineRowBuilder.fill`) and lent to the
    /// writers `inout`, which no one else can reach meanwhile. Handing them a stored property of the sink, or the
    /// pointee as a value, copied the row (retaining its dozen strings) and destroyed the copy, once per row, in
    /// case a writer changed the sink meanwhile; so did making a fresh local row (`init` built it and copied it).
    private let row: UnsafeMutablePointer<TimelineRow> = {
        let row = UnsafeMutablePointer<TimelineRow>.allocate(capacity: 1)
        row.initialize(to: TimelineRow(time: .zero, session: nil, event: .sessionStart))
        return row
    }()

    /// Creates a sink writing to `writers` (usually a CSV and/or a JSON Lines writer).
    public init(
        writers: [TimelineWriter], passwords: PasswordPolicy, maximumHeldRows: Int = TimelineSink.defaultMaximumHeldRows,
        heldBytesInMemory: Int = TimelineSink.defaultHeldBytesInMemory
    ) {
        // Two writers at most (CSV and JSON Lines): an `EncodedRow` splits its bytes once.
        precondition(writers.count <= 2, "a timeline sink writes to at most two writers")
        self.writers = writers
        self.builder = TimelineRowBuilder(passwords: passwords)
        self.maximumHeldRows = max(1, maximumHeldRows)
        held = HeldRowStore(memoryBudget: heldBytesInMemory)
    }

    public func analysis(_ event: AnalysisEvent) {
        builder.fill(&row.pointee, for: event)
        let time = row.pointee.time
        let encoded = encode(&row.pointee)
        if let lastWritten, time < lastWritten {
            // Its moment has passed (it settled late, or the bound forced later rows out): holding it back would
            // only delay it further.
            emit(encoded, at: time)
            return
        }
        heap.push(encoded, at: time, sequence: sequence)
        sequence &+= 1
        if held.overBudget {
            let order = heap.slotsInOrder()
            held.spill { visit in heap.update(order, visit) }
        }
        if heap.count > maximumHeldRows {
            rowsForcedOut += 1
            let (time, line) = heap.pop()!
            emit(line, at: time)
        }
        if heap.count > peakHeldRows { peakHeldRows = heap.count }
    }

    /// Writes every held row at or before `watermark`; with nil (nothing pending), every held row.
    public func advance(watermark: Timestamp?) {
        while let time = heap.topTime, watermark.map({ time <= $0 }) ?? true {
            let (time, line) = heap.pop()!
            emit(line, at: time)
        }
    }

    /// The row as each writer will write it, end to end in one array. A held row is kept this way, not as a
    /// `TimelineRow`: the encoded lines are a third of the struct and its strings (27,325 rows held at once on
    /// the full-size control-heavy benchmark capture).
    private func encode(_ row: inout TimelineRow) -> EncodedRow {
        scratch.removeAll()
        writers.first?.encode(row, into: scratch)
        let split = scratch.count
        if writers.count > 1 { writers[1].encode(row, into: scratch) }
        return held.store(scratch.bytes, split: split)
    }

    public func flush() {
        for writer in writers { writer.flush() }
    }

    /// Writes what is held and closes the writers; throws the first write error.
    public func finish() throws(OutputError) {
        advance(watermark: nil)
        var first = held.failure
        for writer in writers {
            do throws(OutputError) {
                try writer.close()
            } catch {
                if first == nil { first = error }
            }
        }
        if let first { throw first }
    }

    private func emit(_ row: EncodedRow, at time: Timestamp) {
        if let lastWritten, time < lastWritten {
            rowsOutOfOrder += 1
        } else {
            lastWritten = time
        }
        rowsWritten += 1
        held.take(row) { bytes in
            // Empty only when a spilled row could not be read back (`finish` reports it).
            guard bytes.count == row.count else { return }
            writers.first?.write(encoded: UnsafeRawBufferPointer(rebasing: bytes[..<row.split]))
            if writers.count > 1 { writers[1].write(encoded: UnsafeRawBufferPointer(rebasing: bytes[row.split...])) }
        }
    }

    deinit {
        // Rows still held when the sink goes without `finish` (an error stopped the run).
        while let (_, row) = heap.pop() { held.take(row) { _ in } }
        row.deinitialize(count: 1)
        row.deallocate()
    }
}

/// A binary min-heap of rows by (time, sequence): equal times keep the order the events settled in.
///
/// The heap orders small plain keys; the rows (a dozen strings each) sit still in a slot pool. Sifting whole rows
/// through the heap retained and released every string at each step, which was a sixth of the control-heavy
/// benchmark's time.
struct RowHeap {
    private struct Key {
        var time: Timestamp
        var sequence: UInt64
        var slot: Int

        func precedes(_ other: Key) -> Bool {
            time < other.time || (time == other.time && sequence < other.sequence)
        }
    }

    private var keys: [Key] = []
    private var slots: [EncodedRow?] = []
    private var freeSlots: [Int] = []

    var count: Int { keys.count }
    /// The earliest row's time.
    var topTime: Timestamp? { keys.first?.time }

    mutating func push(_ row: EncodedRow, at time: Timestamp, sequence: UInt64) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = row
        } else {
            slot = slots.count
            slots.append(row)
        }
        let key = Key(time: time, sequence: sequence, slot: slot)
        keys.append(key)
        // Sift up by moving parents down into the hole, the new key written once where it belongs (a swap per
        // level wrote both keys, through checked subscripts: half of the timeline's ordering cost).
        keys.withUnsafeMutableBufferPointer { heap in
            var hole = heap.count - 1
            while hole > 0 {
                let parent = (hole - 1) / 2
                guard key.precedes(heap[parent]) else { break }
                heap[hole] = heap[parent]
                hole = parent
            }
            heap[hole] = key
        }
    }

    /// The slots of the held rows still in memory, in about the order `pop` will give them (`SpillOrder`).
    func slotsInOrder() -> [Int] {
        var times: [Int64] = []
        var order: [Int] = []
        times.reserveCapacity(keys.count)
        order.reserveCapacity(keys.count)
        for key in keys where slots[key.slot]!.inMemory {
            times.append(key.time.nanoseconds)
            order.append(key.slot)
        }
        return SpillOrder.sorted(times: times, slots: order)
    }

    /// Lets `body` change the rows in `slots`, in that order.
    mutating func update(_ slots: [Int], _ body: (inout EncodedRow) -> Void) {
        for slot in slots { body(&self.slots[slot]!) }
    }

    mutating func pop() -> (time: Timestamp, row: EncodedRow)? {
        guard let top = keys.first else { return nil }
        let last = keys.removeLast()
        let slot = top.slot
        if !keys.isEmpty {
            // Sift the last key down from the root's hole, moving the smaller child up at each level.
            keys.withUnsafeMutableBufferPointer { heap in
                let count = heap.count
                var hole = 0
                while true {
                    var child = 2 * hole + 1
                    guard child < count else { break }
                    if child + 1 < count && heap[child + 1].precedes(heap[child]) { child += 1 }
                    guard heap[child].precedes(last) else { break }
                    heap[hole] = heap[child]
                    hole = child
                }
                heap[hole] = last
            }
        }
        let row = slots[slot].take()!
        if keys.isEmpty {
            // Give memory back after a burst (a long session that held many rows has ended).
            if slots.count > 4096 {
                keys = []
                slots = []
                freeSlots = []
            } else {
                slots.removeAll(keepingCapacity: true)
                freeSlots.removeAll(keepingCapacity: true)
            }
        } else {
            freeSlots.append(slot)
        }
        return (top.time, row)
    }
}
