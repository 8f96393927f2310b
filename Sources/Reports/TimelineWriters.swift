import FTPAnalysis
import NetworkTypes

/// Writes timeline rows somewhere (CSV, JSON Lines).
public protocol TimelineWriter: AnyObject {
    /// One row; rows arrive in time order (as far as the ordering buffer could keep it).
    func write(_ row: TimelineRow)
    /// Appends the row as this writer writes it (its line end included) to `line`. The row is lent `inout` only so
    /// that it is passed where it lies: passed as a value, the 560-byte row was copied for every call.
    func encode(_ row: inout TimelineRow, into line: RowBytes)
    /// Writes a line made by `encode` (borrowed: valid only during the call).
    func write(encoded line: UnsafeRawBufferPointer)
    /// Writes a line made by `encode` whose bytes stay where they are, unchanged, until `returnLent()`: the
    /// writer may send them from there rather than copy them (`BufferedOutput.write(lent:)`).
    func write(lent line: UnsafeRawBufferPointer)
    /// Done with the lines lent: their bytes may change once this returns.
    func returnLent()
    /// Pushes buffered rows to the file (live mode calls it after each batch).
    func flush()
    /// Flushes and closes; throws the first write error.
    func close() throws(OutputError)
}

extension TimelineWriter {
    /// A writer without a use for lent bytes copies them.
    public func write(lent line: UnsafeRawBufferPointer) { write(encoded: line) }
    public func returnLent() {}
}

/// The timeline as CSV (RFC 4180): a header row of SPEC.md's columns, CRLF line ends, fields quoted when they hold
/// a comma, a double quote, CR or LF (quotes doubled), and spreadsheet formulas neutralised.
public final class CSVTimelineWriter: TimelineWriter {
    private let output: BufferedOutput
    /// The record being encoded, reused so writing a row allocates nothing.
    private let line = RowBytes()
    /// Also lent to `TimelineRowBuilder.encodeCSV`, which writes command and transfer rows without this writer.
    let cache = RowTextCache()

    /// Starts the file with its header row.
    public init(output: BufferedOutput) {
        self.output = output
        output.write(TimelineRow.columns.joined(separator: ",") + "\r\n")
    }

    public func write(_ row: TimelineRow) {
        line.removeAll()
        var row = row
        CSVTimelineWriter.encode(&row, into: line, cache: cache)
        output.write(line.bytes)
    }

    public func encode(_ row: inout TimelineRow, into line: RowBytes) {
        CSVTimelineWriter.encode(&row, into: line, cache: cache)
    }

    public func write(encoded line: UnsafeRawBufferPointer) { output.write(line) }

    public func write(lent line: UnsafeRawBufferPointer) { output.write(lent: line) }

    public func returnLent() { output.returnLent() }

    public func flush() { output.flush() }

    public func close() throws(OutputError) { try output.close() }

    /// One record, with its CRLF.
    public static func record(_ row: TimelineRow) -> String {
        let bytes = RowBytes()
        var row = row
        encode(&row, into: bytes, cache: RowTextCache())
        return String(decoding: bytes.bytes, as: UTF8.self)
    }

    /// Appends one record (with its CRLF) to `out`, in SPEC.md's column order (`TimelineRow.columns`).
    /// Endpoints and vocabulary words go in as they are: nothing in them needs quoting or escaping.
    ///
    /// The cells are written by static functions handed `out` (and the endpoint cache) as arguments: local
    /// functions capturing them, and the cache's closures, retained and released the buffer and the cache a few
    /// times a row; so did binding an optional cache. The row is lent `inout` to be read where it lies (see
    /// `TimelineWriter.encode`).
    static func encode(_ row: inout TimelineRow, into out: RowBytes, cache: RowTextCache) {
        cache.write(row.time, into: out)
        textCell(row.session, out)
        out.append(UInt8(ascii: ","))
        out.append(row.event.word)
        if let client = row.client, let server = row.server {
            // Both cells of the control connection at once, remembered as a pair (most rows have them).
            cache.writePair(client, server, into: out)
        } else {
            endpointCell(row.client, out, cache)
            endpointCell(row.server, out, cache)
        }
        textCell(row.user, out)
        if row.command == nil && row.argument == nil && row.replyCode == nil && row.replyText == nil
            && row.replyTimeMilliseconds == nil
        {
            out.append(",,,,," as StaticString)
        } else {
            textCell(row.command, out)
            textCell(row.argument, out)
            integerCell(row.replyCode.map(Int64.init), out)
            textCell(row.replyText, out)
            numberCell(row.replyTimeMilliseconds, out)
        }
        // Runs of cells that only some rows have (data connections, findings, transfer metrics) are, on every
        // other row, their commas alone: written at once rather than cell by cell.
        if row.dataMode == nil && row.dataAnnounced == nil && row.dataObserved == nil && row.dataStatus == nil
            && row.bytes == nil && row.durationMilliseconds == nil
        {
            out.append(",,,,,," as StaticString)
        } else {
            wordCell(row.dataMode?.word, out)
            endpointCell(row.dataAnnounced, out, cache)
            endpointCell(row.dataObserved, out, cache)
            wordCell(row.dataStatus?.word, out)
            integerCell(row.bytes.map { Int64(clamping: $0) }, out)
            numberCell(row.durationMilliseconds, out)
        }
        if row.severity == nil && row.finding == nil {
            out.append(",," as StaticString)
        } else {
            wordCell(row.severity, out)
            wordCell(row.finding, out)
        }
        textCell(row.detail, out)
        wordCell(row.cause?.word, out)
        textCell(row.communityID, out)
        if row.bytesPerSecond == nil && row.firstByteMilliseconds == nil && row.retransmissions == nil
            && row.zeroWindows == nil && row.closedBy == nil && row.close == nil
        {
            out.append(",,,,,," as StaticString)
        } else {
            integerCell(row.bytesPerSecond.map(TransferMetricsFields.integerRate), out)
            numberCell(row.firstByteMilliseconds, out)
            integerCell(row.retransmissions.map(Int64.init), out)
            integerCell(row.zeroWindows.map(Int64.init), out)
            textCell(row.closedBy, out)
            textCell(row.close, out)
        }
        out.append(0x0D, 0x0A)
    }

    // Each cell after the first is a comma and the value; an absent one is the comma alone.

    static func textCell(_ value: String?, _ out: RowBytes) {
        // An absent or empty cell is the comma alone; `appendText` writes a cell's comma with its text.
        guard let value, !value.isEmpty else {
            out.append(UInt8(ascii: ","))
            return
        }
        appendText(value, to: out)
    }

    /// `textCell` of the text these UTF-8 bytes spell (a diagnosis read where the wording memo keeps it),
    /// without making it a `String` unless it needs `field`.
    static func textCell(utf8 bytes: UnsafeBufferPointer<UInt8>, _ out: RowBytes) {
        guard !bytes.isEmpty else {
            out.append(UInt8(ascii: ","))
            return
        }
        if !appendPlain(bytes, to: out) {
            out.append(UInt8(ascii: ","))
            out.append(field(String(decoding: bytes, as: UTF8.self)))
        }
    }

    static func wordCell<Word: RawRepresentable>(_ value: Word?, _ out: RowBytes)
    where Word.RawValue == String {
        out.append(UInt8(ascii: ","))
        if let value { out.append(value.rawValue) }
    }

    /// A vocabulary word as its literal (`JSONWords`).
    static func wordCell(_ value: StaticString?, _ out: RowBytes) {
        out.append(UInt8(ascii: ","))
        if let value { out.append(value) }
    }

    static func endpointCell(_ value: Endpoint?, _ out: RowBytes, _ cache: RowTextCache) {
        out.append(UInt8(ascii: ","))
        guard let value else { return }
        cache.write(value, into: out)
    }

    static func integerCell(_ value: Int64?, _ out: RowBytes) {
        out.append(UInt8(ascii: ","))
        guard let value else { return }
        out.appendDecimal(value)
    }

    static func numberCell(_ value: Double?, _ out: RowBytes) {
        out.append(UInt8(ascii: ","))
        if let value { out.appendNumber(value) }
    }

    /// A comma and a text cell that is not empty: copied as it is when nothing in it needs care (the usual case),
    /// else through `field`.
    @inline(__always)
    private static func appendText(_ text: String, to out: RowBytes) {
        // Borrowed bytes (no copy of the string); a string without contiguous UTF-8 takes `field`. The closure
        // writes nothing when it returns false.
        let plain = text.utf8.withContiguousStorageIfAvailable { appendPlain($0, to: out) }
        if plain != true {
            out.append(UInt8(ascii: ","))
            out.append(field(text))
        }
    }

    /// A comma and the bytes of a cell that is not empty, copied as they are or quoted as RFC 4180 asks; false
    /// (nothing written) when the cell needs `field`.
    @inline(__always)
    private static func appendPlain(_ bytes: UnsafeBufferPointer<UInt8>, to out: RowBytes) -> Bool {
        guard let base = bytes.baseAddress, !CSVField.startsFormula(base[0]) else { return false }
        // The comma and the bytes copied while they are checked (one pass, one room check); kept only when all
        // of them needed no care.
        let count = bytes.count
        let start = out.reserve(count + 1)
        let resume = CSVPlainCopy.copy(UnsafeRawPointer(base), count, to: UnsafeMutableRawPointer(start + 1))
        guard resume < count else {
            start[0] = UInt8(ascii: ",")
            out.advance(by: count + 1)
            return true
        }
        return appendCareful(bytes, from: resume, to: out)
    }

    /// A comma and a cell of which a byte at or after `resume` may need care (every byte before it needs none):
    /// quoted as RFC 4180 asks when that is all it needs; false (nothing written) when it needs `field`.
    private static func appendCareful(_ bytes: UnsafeBufferPointer<UInt8>, from resume: Int, to out: RowBytes) -> Bool {
        let base = bytes.baseAddress!
        var quote = false
        var doubleQuote = false
        var index = resume
        while index < bytes.count {
            // Eight bytes at a time while none of them can need care but commas, which only make the cell quoted
            // (a 227 reply's address, a sentence: a comma in most words, which went byte by byte), then byte by
            // byte. The last few bytes go as the word that ends the cell, overlapping bytes already looked at
            // (which needed no more than quoting).
            if bytes.count >= 8 {
                let start = min(index, bytes.count - 8)
                let word = UnsafeRawPointer(base + start).loadUnaligned(as: UInt64.self)
                if !CSVPlainCopy.mayNeedCareBesidesComma(word) {
                    if CSVPlainCopy.holdsComma(word) { quote = true }
                    index = start + 8
                    continue
                }
            }
            let end = min(index + 8, bytes.count)
            while index < end {
                let byte = base[index]
                index += 1
                guard needsCare(byte) else { continue }
                guard CSVField.needsQuoting(byte) else { return false }
                quote = true
                if byte == 0x22 { doubleQuote = true }
            }
        }
        out.append(UInt8(ascii: ","))
        guard quote else {
            out.append(bytes)
            return true
        }
        guard doubleQuote else {
            // Commas or line ends only (a 227 reply, a diagnosis): the bytes between quotes as they are, without
            // looking for quotes to double byte by byte.
            out.append(0x22)
            out.append(bytes)
            out.append(0x22)
            return true
        }
        // Only RFC 4180 quoting needed (a 257's quotes, a diagnosis): done on the bytes, copying the runs between
        // double quotes whole.
        out.append(0x22)
        var runStart = 0
        for position in 0..<bytes.count where base[position] == 0x22 {
            out.append(UnsafeBufferPointer(rebasing: bytes[runStart...position]))
            out.append(0x22)
            runStart = position + 1
        }
        out.append(UnsafeBufferPointer(rebasing: bytes[runStart...]))
        out.append(0x22)
        return true
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

    /// The line being encoded, reused so writing a row allocates nothing.
    private let line = RowBytes()
    private let cache = RowTextCache()

    public func write(_ row: TimelineRow) {
        line.removeAll()
        var row = row
        JSONLinesTimelineWriter.encode(&row, into: line, cache: cache)
        output.write(line.bytes)
    }

    public func encode(_ row: inout TimelineRow, into line: RowBytes) {
        JSONLinesTimelineWriter.encode(&row, into: line, cache: cache)
    }

    public func write(encoded line: UnsafeRawBufferPointer) { output.write(line) }

    public func write(lent line: UnsafeRawBufferPointer) { output.write(lent: line) }

    public func returnLent() { output.returnLent() }

    public func flush() { output.flush() }

    public func close() throws(OutputError) { try output.close() }

    /// One line, with its LF.
    public static func line(_ row: TimelineRow) -> String {
        let bytes = RowBytes()
        var row = row
        encode(&row, into: bytes, cache: RowTextCache())
        return String(decoding: bytes.bytes, as: UTF8.self)
    }

    /// Appends one line (with its LF): SPEC.md's members in column order, written straight as bytes (the same
    /// bytes `JSONValue.object(...).serialized(pretty: false)` gave; an empty text is absent).
    ///
    /// The members are written by `JSONLineMembers`' static functions (see there). The row is lent `inout` to be
    /// read where it lies (see `TimelineWriter.encode`).
    static func encode(_ row: inout TimelineRow, into out: RowBytes, cache: RowTextCache) {
        typealias Members = JSONLineMembers
        var first = true
        // The one copy of the buffer reference the escaper needs (see `JSONLineMembers.text`).
        var sink = out
        Members.key("\"time\":", out, &first)
        out.append(0x22)
        cache.write(row.time, into: out)
        out.append(0x22)
        Members.text("\"session\":", row.session, &sink, &first)
        Members.key("\"event\":", out, &first)
        out.append(0x22)
        out.append(row.event.word)
        out.append(0x22)
        Members.endpoint("\"client\":", row.client, out, cache, &first)
        Members.endpoint("\"server\":", row.server, out, cache, &first)
        Members.text("\"user\":", row.user, &sink, &first)
        Members.text("\"command\":", row.command, &sink, &first)
        Members.text("\"argument\":", row.argument, &sink, &first)
        Members.integer("\"reply_code\":", row.replyCode.map(Int64.init), out, &first)
        Members.text("\"reply_text\":", row.replyText, &sink, &first)
        Members.number("\"reply_time_ms\":", row.replyTimeMilliseconds, out, &first)
        Members.word("\"data_mode\":", row.dataMode, out, &first)
        Members.endpoint("\"data_announced\":", row.dataAnnounced, out, cache, &first)
        Members.endpoint("\"data_observed\":", row.dataObserved, out, cache, &first)
        Members.word("\"data_status\":", row.dataStatus, out, &first)
        Members.integer("\"bytes\":", row.bytes.map { Int64(clamping: $0) }, out, &first)
        Members.number("\"duration_ms\":", row.durationMilliseconds, out, &first)
        Members.word("\"severity\":", row.severity, out, &first)
        Members.word("\"finding\":", row.finding, out, &first)
        Members.text("\"detail\":", row.detail, &sink, &first)
        Members.word("\"cause\":", row.cause, out, &first)
        Members.text("\"community_id\":", row.communityID, &sink, &first)
        Members.integer("\"bytes_per_second\":", row.bytesPerSecond.map(TransferMetricsFields.integerRate), out, &first)
        Members.number("\"first_byte_ms\":", row.firstByteMilliseconds, out, &first)
        Members.integer("\"retransmissions\":", row.retransmissions.map(Int64.init), out, &first)
        Members.integer("\"zero_windows\":", row.zeroWindows.map(Int64.init), out, &first)
        Members.text("\"closed_by\":", row.closedBy, &sink, &first)
        Members.text("\"close\":", row.close, &sink, &first)
        out.append(UInt8(ascii: "}"), 0x0A)
    }
}

/// The members of one JSON Lines object, written into a row's buffer: `name` is the member name with its quotes
/// and colon (`"time":`); the first opens the object; an absent or empty value is left out.
///
/// Static functions handed the buffer, the cache and the first-member flag: local functions capturing them
/// retained and released the buffer and the cache about ten times a row.
private enum JSONLineMembers {
    static func key(_ name: StaticString, _ out: RowBytes, _ first: inout Bool) {
        out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
        first = false
        out.append(name)
    }

    /// `out` is passed `inout` because the escaper takes its sink so: a copy of the reference per member, to
    /// hand it over, was a retain and a release each.
    static func text(_ name: StaticString, _ value: String?, _ out: inout RowBytes, _ first: inout Bool) {
        guard let value, !value.isEmpty else { return }
        key(name, out, &first)
        Escaping.appendJSON(value, to: &out)
    }

    static func word<Word: RawRepresentable>(
        _ name: StaticString, _ value: Word?, _ out: RowBytes, _ first: inout Bool
    ) where Word.RawValue == String {
        guard let value else { return }
        key(name, out, &first)
        out.append(0x22)
        out.append(value.rawValue)
        out.append(0x22)
    }

    static func endpoint(
        _ name: StaticString, _ value: Endpoint?, _ out: RowBytes, _ cache: RowTextCache, _ first: inout Bool
    ) {
        guard let value else { return }
        key(name, out, &first)
        out.append(0x22)
        cache.write(value, into: out)
        out.append(0x22)
    }

    static func integer(_ name: StaticString, _ value: Int64?, _ out: RowBytes, _ first: inout Bool) {
        guard let value else { return }
        key(name, out, &first)
        out.appendDecimal(value)
    }

    static func number(_ name: StaticString, _ value: Double?, _ out: RowBytes, _ first: inout Bool) {
        guard let value else { return }
        key(name, out, &first)
        out.appendNumber(value)
    }
}
