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

    private var builder: TimelineRowBuilder
    private let writers: [TimelineWriter]
    private var heap = RowHeap()
    private var sequence: UInt64 = 0
    private var lastWritten: Timestamp?

    /// Creates a sink writing to `writers` (usually a CSV and/or a JSON Lines writer).
    public init(
        writers: [TimelineWriter], passwords: PasswordPolicy, maximumHeldRows: Int = TimelineSink.defaultMaximumHeldRows
    ) {
        self.writers = writers
        self.builder = TimelineRowBuilder(passwords: passwords)
        self.maximumHeldRows = max(1, maximumHeldRows)
    }

    public func analysis(_ event: AnalysisEvent) {
        let row = builder.row(for: event)
        if let lastWritten, row.time < lastWritten {
            // Its moment has passed (it settled late, or the bound forced later rows out): holding it back would
            // only delay it further.
            emit(row)
            return
        }
        heap.push(HeldRow(time: row.time, sequence: sequence, row: row))
        sequence &+= 1
        if heap.count > maximumHeldRows {
            rowsForcedOut += 1
            emit(heap.pop()!.row)
        }
        if heap.count > peakHeldRows { peakHeldRows = heap.count }
    }

    /// Writes every held row at or before `watermark`; with nil (nothing pending), every held row.
    public func advance(watermark: Timestamp?) {
        while let top = heap.top, watermark.map({ top.time <= $0 }) ?? true {
            emit(heap.pop()!.row)
        }
    }

    public func flush() {
        for writer in writers { writer.flush() }
    }

    /// Writes what is held and closes the writers; throws the first write error.
    public func finish() throws(OutputError) {
        advance(watermark: nil)
        var first: OutputError?
        for writer in writers {
            do throws(OutputError) {
                try writer.close()
            } catch {
                if first == nil { first = error }
            }
        }
        if let first { throw first }
    }

    private func emit(_ row: TimelineRow) {
        if let lastWritten, row.time < lastWritten {
            rowsOutOfOrder += 1
        } else {
            lastWritten = row.time
        }
        rowsWritten += 1
        for writer in writers { writer.write(row) }
    }
}

struct HeldRow {
    var time: Timestamp
    var sequence: UInt64
    var row: TimelineRow

    func precedes(_ other: HeldRow) -> Bool { (time, sequence) < (other.time, other.sequence) }
}

/// A binary min-heap by (time, sequence): equal times keep the order the events settled in.
struct RowHeap {
    private var items: [HeldRow] = []

    var count: Int { items.count }
    var top: HeldRow? { items.first }

    mutating func push(_ item: HeldRow) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> HeldRow? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let result = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && items[left].precedes(items[smallest]) { smallest = left }
            if right < items.count && items[right].precedes(items[smallest]) { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        // Give memory back after a burst (a long session that held many rows has ended).
        if items.isEmpty && items.capacity > 4096 { items = [] }
        return result
    }
}
