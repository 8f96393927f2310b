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
///
/// Kept as a chain of `let`s (the first sink, then a fan-out over the rest) rather than walked as an array: a
/// sink read from the array was retained and released around every call, once per sink per event, and on the
/// output thread each of those is an atomic operation on a count another thread touched.
public final class FanOutSink: StreamingEventSink {
    /// The sinks.
    public let sinks: [AnalysisEventSink]
    private let first: AnalysisEventSink?
    /// `first` when it streams, found once rather than cast at every `advance`.
    private let firstStreaming: StreamingEventSink?
    private let rest: FanOutSink?

    /// Creates a fan-out over `sinks`.
    public init(_ sinks: [AnalysisEventSink]) {
        self.sinks = sinks
        first = sinks.first
        firstStreaming = sinks.first as? StreamingEventSink
        rest = sinks.count > 1 ? FanOutSink(Array(sinks.dropFirst())) : nil
    }

    public func analysis(_ event: AnalysisEvent) {
        first?.analysis(event)
        rest?.analysis(event)
    }

    /// Every sink but the last is lent the event; the last one is given it (a sink that queues it, an output
    /// thread's hand-over, then keeps it without a copy).
    public func take(_ event: consuming AnalysisEvent) {
        guard let first else { return }
        if let rest {
            first.analysis(event)
            rest.take(consume event)
        } else {
            first.take(consume event)
        }
    }

    public func advance(watermark: Timestamp?) {
        firstStreaming?.advance(watermark: watermark)
        rest?.advance(watermark: watermark)
    }

    public func flush() {
        firstStreaming?.flush()
        rest?.flush()
    }
}

/// The session timeline as it streams: one row per event, written in time order across sessions.
///
/// Events arrive in the order they settle (a command when its reply comes, findings when their session ends), so
/// rows are held in order by (time, arrival) (`RowOrder`) and written once the watermark has passed them. They are
/// bounded (`maximumHeldRows`): beyond it the earliest rows are written anyway, so memory stays flat whatever the
/// capture; a row that then arrives earlier than one already written is written at once and counted in
/// `rowsOutOfOrder`.
public final class TimelineSink: StreamingEventSink {
    /// Rows held at most while waiting for the watermark.
    public static let defaultMaximumHeldRows = 100_000

    /// Bytes of held rows kept in memory; more go to a temporary file (`HeldRowStore`). The CSV rows waiting for
    /// the watermark peak between 5 and 6 MiB on the full-size control-heavy benchmark capture: at 2 MiB it wrote
    /// and read back 115 MB of rows; at 6 MiB none, for ≈ 2 MiB more peak memory (JSON Lines rows, larger, still
    /// spill there).
    public static let defaultHeldBytesInMemory = 6 * 1024 * 1024

    /// The budget when a JSON Lines or ECS writer is among the writers: its rows are larger and already go to the
    /// file at 6 MiB on that capture, and those modes keep the most besides (the text summary's findings), so they
    /// spill a little sooner: the doubled capture's ECS run was at the 64 MiB bound with 6 MiB.
    public static let jsonLinesHeldBytesInMemory = 5 * 1024 * 1024

    /// The budget for `writers` when none is given.
    static func heldBytesInMemory(for writers: [TimelineWriter]) -> Int {
        writers.contains { $0 is JSONLinesTimelineWriter || $0 is ECSTimelineWriter }
            ? jsonLinesHeldBytesInMemory : defaultHeldBytesInMemory
    }

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
    public var heldRows: Int { order.count }
    /// Rows that waited in the temporary file because the held rows' bytes were over their memory budget.
    public var rowsSpilled: UInt64 { held.spilledRows }

    private var builder: TimelineRowBuilder
    private let writers: [TimelineWriter]
    /// `writers` as `let`s: a writer read from the array was retained and released around each call, twice a row.
    private let firstWriter: TimelineWriter?
    private let secondWriter: TimelineWriter?
    /// The CSV writer's text cache when that writer is the only one: command and transfer rows are then written
    /// straight from their events (`TimelineRowBuilder.encodeCSV(_:into:cache:)`), not through `row`. Unmanaged (the writer keeps
    /// it): read as a reference from the sink, it and the writer were retained and released once a row.
    private let onlyCSVCache: Unmanaged<RowTextCache>?
    private var order = RowOrder()
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
        heldBytesInMemory: Int? = nil
    ) {
        // Two writers at most (CSV and JSON Lines): an `EncodedRow` splits its bytes once.
        precondition(writers.count <= 2, "a timeline sink writes to at most two writers")
        self.writers = writers
        firstWriter = writers.first
        secondWriter = writers.count > 1 ? writers[1] : nil
        onlyCSVCache = writers.count == 1 ? (writers[0] as? CSVTimelineWriter).map { .passUnretained($0.cache) } : nil
        self.builder = TimelineRowBuilder(passwords: passwords)
        self.maximumHeldRows = max(1, maximumHeldRows)
        held = HeldRowStore(memoryBudget: heldBytesInMemory ?? Self.heldBytesInMemory(for: writers))
    }

    public func analysis(_ event: AnalysisEvent) {
        if let onlyCSVCache, encodeCommand(event, onlyCSVCache) { return }
        builder.fill(&row.pointee, for: event)
        let time = row.pointee.time
        hold(encode(&row.pointee), at: time)
    }

    /// Writes and holds the CSV record of a command's or a transfer's row; false (nothing done) for other events.
    @inline(__always)
    private func encodeCommand(_ event: AnalysisEvent, _ cache: Unmanaged<RowTextCache>) -> Bool {
        scratch.removeAll()
        guard let time = cache._withUnsafeGuaranteedRef({ builder.encodeCSV(event, into: scratch, cache: $0) })
        else { return false }
        hold(held.store(scratch.bytes, split: scratch.count), at: time)
        return true
    }

    /// Holds a row until the watermark passes it (or writes it now: see the type's comment).
    private func hold(_ encoded: EncodedRow, at time: Timestamp) {
        if let lastWritten, time < lastWritten {
            // Its moment has passed (it settled late, or the bound forced later rows out): holding it back would
            // only delay it further.
            emit(encoded, at: time)
            return
        }
        order.push(encoded, at: time, sequence: sequence)
        sequence &+= 1
        if held.overBudget {
            held.spill { visit in order.updateInMemory(visit) }
        }
        if order.count > maximumHeldRows {
            rowsForcedOut += 1
            let (time, line) = order.pop()!
            emit(line, at: time)
        }
        if order.count > peakHeldRows { peakHeldRows = order.count }
    }

    /// Writes every held row at or before `watermark`; with nil (nothing pending), every held row.
    ///
    /// Rows whose bytes are in the held-row store's chunks are lent to the writers, which send them from there
    /// (`TimelineWriter.write(lent:)`): nothing is stored meanwhile, so they stay put until `returnLent()` at
    /// the end, rather than being copied, cold, into the writers' buffers.
    public func advance(watermark: Timestamp?) {
        var lent = false
        while let time = order.topTime, watermark.map({ time <= $0 }) ?? true {
            let (time, line) = order.pop()!
            lent = emit(line, at: time, lending: true) || lent
        }
        if lent {
            firstWriter?.returnLent()
            secondWriter?.returnLent()
        }
    }

    /// The row as each writer will write it, end to end in one array. A held row is kept this way, not as a
    /// `TimelineRow`: the encoded lines are a third of the struct and its strings (27,325 rows held at once on
    /// the full-size control-heavy benchmark capture).
    private func encode(_ row: inout TimelineRow) -> EncodedRow {
        scratch.removeAll()
        firstWriter?.encode(&row, into: scratch)
        let split = scratch.count
        secondWriter?.encode(&row, into: scratch)
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

    /// Writes a row; with `lending`, lends the writers its bytes when they stay put after it is taken (see
    /// `advance`), and returns true if it did.
    @discardableResult
    private func emit(_ row: EncodedRow, at time: Timestamp, lending: Bool = false) -> Bool {
        if let lastWritten, time < lastWritten {
            rowsOutOfOrder += 1
        } else {
            lastWritten = time
        }
        rowsWritten += 1
        let lend = lending && row.inChunk
        held.take(row) { bytes in
            // Empty only when a spilled row could not be read back (`finish` reports it).
            guard bytes.count == row.count else { return }
            if lend {
                lendWriters(bytes, split: row.split)
            } else {
                write(bytes, split: row.split)
            }
        }
        return lend
    }

    /// Hands the writers their parts of a row's bytes. A method rather than the closure's body: read there, each
    /// writer was retained and released once a row.
    @inline(never)
    private func write(_ bytes: UnsafeRawBufferPointer, split: Int) {
        firstWriter?.write(encoded: UnsafeRawBufferPointer(rebasing: bytes[..<split]))
        secondWriter?.write(encoded: UnsafeRawBufferPointer(rebasing: bytes[split...]))
    }

    /// As `write`, the bytes lent until `returnLent()`.
    @inline(never)
    private func lendWriters(_ bytes: UnsafeRawBufferPointer, split: Int) {
        firstWriter?.write(lent: UnsafeRawBufferPointer(rebasing: bytes[..<split]))
        secondWriter?.write(lent: UnsafeRawBufferPointer(rebasing: bytes[split...]))
    }

    deinit {
        // Rows still held when the sink goes without `finish` (an error stopped the run).
        while let (_, row) = order.pop() { held.take(row) { _ in } }
        row.deinitialize(count: 1)
        row.deallocate()
    }
}
