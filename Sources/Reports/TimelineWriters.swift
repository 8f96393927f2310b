/// Writes timeline rows somewhere (CSV, JSON Lines).
public protocol TimelineWriter: AnyObject {
    /// One row; rows arrive in time order (as far as the ordering buffer could keep it).
    func write(_ row: TimelineRow)
    /// Pushes buffered rows to the file (live mode calls it after each batch).
    func flush()
    /// Flushes and closes; throws the first write error.
    func close() throws(OutputError)
}

/// The timeline as CSV (RFC 4180): a header row of SPEC.md's columns, CRLF line ends, fields quoted when they hold
/// a comma, a double quote, CR or LF (quotes doubled), and spreadsheet formulas neutralised.
public final class CSVTimelineWriter: TimelineWriter {
    private let output: BufferedOutput

    /// Starts the file with its header row.
    public init(output: BufferedOutput) {
        self.output = output
        output.write(TimelineRow.columns.joined(separator: ",") + "\r\n")
    }

    public func write(_ row: TimelineRow) {
        output.write(CSVTimelineWriter.record(row))
    }

    public func flush() { output.flush() }

    public func close() throws(OutputError) { try output.close() }

    /// One record, with its CRLF.
    public static func record(_ row: TimelineRow) -> String {
        var line = ""
        for (index, value) in row.values.enumerated() {
            if index > 0 { line += "," }
            guard let value else { continue }
            switch value {
            case .text(let text): line += field(text)
            case .integer, .milliseconds: line += value.plain
            }
        }
        return line + "\r\n"
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
