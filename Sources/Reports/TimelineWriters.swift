import NetworkTypes

/// Writes timeline rows somewhere (CSV, JSON Lines).
public protocol TimelineWriter: AnyObject {
    /// One row; rows arrive in time order (as far as the ordering buffer could keep it).
    func write(_ row: TimelineRow)
    /// Appends the row as this writer writes it (its line end included) to `line`.
    func encode(_ row: TimelineRow, into line: inout [UInt8])
    /// Writes a line made by `encode` (borrowed: valid only during the call).
    func write(encoded line: UnsafeRawBufferPointer)
    /// Pushes buffered rows to the file (live mode calls it after each batch).
    func flush()
    /// Flushes and closes; throws the first write error.
    func close() throws(OutputError)
}

/// The timeline as CSV (RFC 4180): a header row of SPEC.md's columns, CRLF line ends, fields quoted when they hold
/// a comma, a double quote, CR or LF (quotes doubled), and spreadsheet formulas neutralised.
public final class CSVTimelineWriter: TimelineWriter {
    private let output: BufferedOutput
    /// The record being encoded, reused so writing a row allocates nothing.
    private var line: [UInt8] = []

    /// Starts the file with its header row.
    public init(output: BufferedOutput) {
        self.output = output
        output.write(TimelineRow.columns.joined(separator: ",") + "\r\n")
        line.reserveCapacity(1024)
    }

    public func write(_ row: TimelineRow) {
        line.removeAll(keepingCapacity: true)
        CSVTimelineWriter.encode(row, into: &line)
        output.write(bytes: line)
    }

    public func encode(_ row: TimelineRow, into line: inout [UInt8]) { CSVTimelineWriter.encode(row, into: &line) }

    public func write(encoded line: UnsafeRawBufferPointer) { output.write(line) }

    public func flush() { output.flush() }

    public func close() throws(OutputError) { try output.close() }

    /// One record, with its CRLF.
    public static func record(_ row: TimelineRow) -> String {
        var bytes: [UInt8] = []
        encode(row, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends one record (with its CRLF) to `out`, in SPEC.md's column order (`TimelineRow.columns`).
    static func encode(_ row: TimelineRow, into out: inout [UInt8]) {
        // Each cell after the first is a comma and the value; an absent one is the comma alone.
        func text(_ value: String?) {
            out.append(UInt8(ascii: ","))
            appendText(value, to: &out)
        }
        func integer(_ value: Int64?) {
            out.append(UInt8(ascii: ","))
            if let value { appendDecimal(value, to: &out) }
        }
        func number(_ value: Double?) {
            out.append(UInt8(ascii: ","))
            if let value { out.append(contentsOf: TimelineValue.number(value).utf8) }
        }
        appendTime(row.time, to: &out)
        text(row.session)
        text(row.event.rawValue)
        text(row.client)
        text(row.server)
        text(row.user)
        text(row.command)
        text(row.argument)
        integer(row.replyCode.map(Int64.init))
        text(row.replyText)
        number(row.replyTimeMilliseconds)
        text(row.dataMode)
        text(row.dataAnnounced)
        text(row.dataObserved)
        text(row.dataStatus)
        integer(row.bytes.map { Int64(clamping: $0) })
        number(row.durationMilliseconds)
        text(row.severity)
        text(row.finding)
        text(row.detail)
        text(row.cause)
        text(row.communityID)
        integer(row.bytesPerSecond.map(TransferMetricsFields.integerRate))
        number(row.firstByteMilliseconds)
        integer(row.retransmissions.map(Int64.init))
        integer(row.zeroWindows.map(Int64.init))
        text(row.closedBy)
        text(row.close)
        out.append(0x0D)
        out.append(0x0A)
    }

    private static func appendTime(_ time: Timestamp, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Timestamp.iso8601MaximumLength) { buffer in
            let length = time.writeISO8601(into: buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<length]))
        }
    }

    /// A text cell: copied as it is when nothing in it needs care (the usual case), else through `field`.
    private static func appendText(_ text: String?, to out: inout [UInt8]) {
        guard let text, !text.isEmpty else { return }
        var utf8 = text.utf8
        let plain = utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            if let first = bytes.first, CSVField.startsFormula(first) { return false }
            var quote = false
            for byte in bytes where needsCare(byte) {
                guard CSVField.needsQuoting(byte) else { return false }
                quote = true
            }
            guard quote else {
                out.append(contentsOf: bytes)
                return true
            }
            // Only RFC 4180 quoting needed (a 227 reply's commas, a 257's quotes): done on the bytes.
            out.append(0x22)
            for byte in bytes {
                out.append(byte)
                if byte == 0x22 { out.append(0x22) }
            }
            out.append(0x22)
            return true
        }
        if plain == true { return }
        if plain == nil {
            // A bridged or otherwise non-contiguous string: make it native and try again.
            var native = text
            native.makeContiguousUTF8()
            utf8 = native.utf8
            if !utf8.contains(where: needsCare), let first = utf8.first, !CSVField.startsFormula(first) {
                out.append(contentsOf: utf8)
                return
            }
        }
        out.append(contentsOf: field(text).utf8)
    }

    /// Bytes that make a cell need quoting (`,` `"` CR LF) or escaping (C0 controls, DEL, and 0xC2, the lead
    /// byte of the C1 controls U+0080...U+009F; a false alarm on other U+008x-U+00BF characters costs only
    /// the slow path).
    private static func needsCare(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x2C || byte == 0x22 || byte == 0x7F || byte == 0xC2
    }

    /// One text field, safe for spreadsheets and terminals, quoted as RFC 4180 requires.
    public static func field(_ text: String) -> String {
        CSVField.quoted(withoutControls(CSVField.neutralised(text)))
    }

    /// Control characters other than tab, CR and LF (which RFC 4180 quoting carries) shown as `\xNN`, like the
    /// invalid bytes the wire text already shows that way: `cat timeline.csv` must not run escape sequences.
    static func withoutControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                out += "\\x" + Escaping.hex2(UInt8(scalar.value))
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        case 0x00..<0x20, 0x7F..<0xA0: return true
        default: return false
        }
    }
}

/// The timeline as JSON Lines: one compact object per line with SPEC.md's members in column order, numbers as
/// numbers, absent fields left out. Always valid JSON whatever the wire carried (`Escaping.json`).
public final class JSONLinesTimelineWriter: TimelineWriter {
    private let output: BufferedOutput

    /// Writes to `output`.
    public init(output: BufferedOutput) { self.output = output }

    public func write(_ row: TimelineRow) {
        output.write(JSONLinesTimelineWriter.line(row))
    }

    public func encode(_ row: TimelineRow, into line: inout [UInt8]) {
        line.append(contentsOf: JSONLinesTimelineWriter.line(row).utf8)
    }

    public func write(encoded line: UnsafeRawBufferPointer) { output.write(line) }

    public func flush() { output.flush() }

    public func close() throws(OutputError) { try output.close() }

    /// One line, with its LF.
    public static func line(_ row: TimelineRow) -> String {
        var members: [(String, JSONValue)] = []
        for (name, value) in zip(TimelineRow.columns, row.values) {
            if let value { members.append((name, value.json)) }
        }
        return JSONValue.object(members).serialized(pretty: false) + "\n"
    }
}
