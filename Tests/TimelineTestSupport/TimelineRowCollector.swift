import Reports

/// A timeline writer that keeps the rows themselves, for tests that look at rows rather than at CSV or JSON Lines.
///
/// `TimelineSink` holds rows as the lines its writers encode and hands those lines back in time order; here the
/// "line" is the row's index in `encoded`, so what comes back is the row itself.
public final class TimelineRowCollector: TimelineWriter {
    /// The rows written, in the order the sink wrote them.
    public private(set) var rows: [TimelineRow] = []
    private var encoded: [TimelineRow] = []

    /// An empty collector.
    public init() {}

    public func write(_ row: TimelineRow) { rows.append(row) }

    public func encode(_ row: inout TimelineRow, into line: RowBytes) {
        withUnsafeBytes(of: encoded.count) { line.append($0) }
        encoded.append(row)
    }

    public func write(encoded line: UnsafeRawBufferPointer) { rows.append(encoded[line.loadUnaligned(as: Int.self)]) }

    public func flush() {}

    public func close() throws(OutputError) {}
}
