import FTPAnalysis
import NetworkTypes

/// The text summary as UTF-8 bytes in a buffer that is reused: numbers, times and endpoints are written as
/// digits, wire text is escaped for the terminal on its way in, and colour is two escape sequences around a
/// piece. Building each line from `String` pieces (interpolation, `+`, padding strings) cost more than all of
/// the analysis of a control-heavy capture.
struct TextBytes {
    /// What has been written.
    var bytes: [UInt8] = []
    /// Colour with ANSI sequences.
    let useColor: Bool

    init(useColor: Bool, capacity: Int = 4096) {
        self.useColor = useColor
        bytes.reserveCapacity(capacity)
    }

    /// The bytes as text.
    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ text: Substring) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func append(decimal value: Int) { appendDecimal(Int64(value), to: &bytes) }

    mutating func append(_ endpoint: Endpoint) { endpoint.appendDescription(to: &bytes) }

    mutating func appendSpaces(_ count: Int) {
        guard count > 0 else { return }
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: count))
    }

    /// `text` and spaces to `width` columns, at least one (`String.padding`); `columns` is the text's width.
    mutating func appendPadded(_ text: String, columns: Int, width: Int) {
        append(text)
        appendSpaces(max(1, width - columns))
    }

    /// A time as ISO 8601 with microseconds (`Timestamp.iso8601`).
    mutating func appendTime(_ time: Timestamp) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Timestamp.iso8601MaximumLength) { buffer in
            let length = time.writeISO8601(into: buffer.baseAddress!)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<length]))
        }
    }

    /// The time of day to the millisecond (`10:00:02.123`): the 12 bytes before the last 4 of the ISO 8601 text
    /// (the year may be wider).
    mutating func appendClock(_ time: Timestamp) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Timestamp.iso8601MaximumLength) { buffer in
            let length = time.writeISO8601(into: buffer.baseAddress!)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[(length - 16)..<(length - 4)]))
        }
    }

    /// Wire text escaped for the terminal (`Escaping.terminal`) and cut to `limit` columns with an ellipsis
    /// (`TextSummary.clip`). Printable ASCII, nearly all of it, is copied as it is.
    mutating func appendTerminal(_ text: Substring, clippedTo limit: Int) {
        var text = text
        let done = text.withUTF8 { utf8 -> Bool in
            for byte in utf8 where byte < 0x20 || byte >= 0x7F || byte == 0x5C { return false }
            if utf8.count <= limit {
                bytes.append(contentsOf: utf8)
            } else {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[..<max(0, limit - 1)]))
                append("…")
            }
            return true
        }
        if !done { append(TextSummary.clip(Escaping.terminal(text), limit)) }
    }

    /// The first line of `text` (up to its first LF) as `appendTerminal` writes it: found while the bytes are
    /// checked, without a substring.
    mutating func appendTerminalFirstLine(_ text: String, clippedTo limit: Int) {
        var text = text
        let done = text.withUTF8 { utf8 -> Bool in
            var end = 0
            while end < utf8.count {
                let byte = utf8[end]
                if byte == 0x0A { break }
                if byte < 0x20 || byte >= 0x7F || byte == 0x5C { return false }
                end += 1
            }
            if end <= limit {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[..<end]))
            } else {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[..<max(0, limit - 1)]))
                append("…")
            }
            return true
        }
        if !done { appendTerminal(text.firstLine, clippedTo: limit) }
    }

    /// Starts a coloured piece (nothing without colour, or for `.plain`).
    mutating func beginPaint(_ color: TextSummary.Color) {
        guard useColor, color != .plain else { return }
        append("\u{1B}[")
        append(color.rawValue)
        append("m")
    }

    /// Ends a piece started by `beginPaint` with the same colour.
    mutating func endPaint(_ color: TextSummary.Color) {
        guard useColor, color != .plain else { return }
        append("\u{1B}[0m")
    }

    /// `text` coloured, as `TextSummary.paint` makes it.
    mutating func append(_ text: String, painted color: TextSummary.Color) {
        beginPaint(color)
        append(text)
        endPaint(color)
    }

    /// Starts a bold piece (nothing without colour).
    mutating func beginBold() { if useColor { append("\u{1B}[1m") } }

    /// Ends a bold piece.
    mutating func endBold() { if useColor { append("\u{1B}[0m") } }
}
