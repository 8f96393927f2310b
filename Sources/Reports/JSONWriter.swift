import NetworkTypes

/// JSON written straight into a reused byte buffer, member by member, pretty (two spaces a level) or compact.
///
/// The `--format json` document has a member per command and per transfer: building a `JSONValue` tree for each
/// first (an array of key/value pairs, a string per endpoint and time) cost more than all of the analysis on
/// control-heavy captures. The writer produces the same bytes as `JSONValue.serialized` for the same members, so
/// either may write any part of a document.
public struct JSONWriter {
    /// What has been written since the last `take`/`removeAll`.
    public private(set) var bytes: [UInt8] = []
    private let pretty: Bool
    /// Nesting depth of the container being written, counted from `baseIndent`.
    private var depth: Int
    /// True until the open container has a member (so that an empty one is written `{}` / `[]`).
    private var empty = false

    /// A writer whose first value sits at nesting level `indent` (for a value inside a document written by hand).
    public init(pretty: Bool, indent: Int = 0, capacity: Int = 4096) {
        self.pretty = pretty
        depth = indent
        bytes.reserveCapacity(capacity)
    }

    /// What was written, in storage of its own exact size (the buffer's is much larger, and a share of it would
    /// make the next `removeAll` allocate a whole new one).
    public func exactCopy() -> [UInt8] {
        bytes.withUnsafeBufferPointer { source in
            [UInt8](unsafeUninitializedCapacity: source.count) { target, count in
                _ = target.initialize(from: source)
                count = source.count
            }
        }
    }

    /// Empties the buffer, keeping its storage.
    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    // MARK: - Containers

    public mutating func beginObject() { open(0x7B) }
    public mutating func endObject() { close(0x7D) }
    public mutating func beginArray() { open(0x5B) }
    public mutating func endArray() { close(0x5D) }

    /// Starts a member of the open object: separator, line break and indentation, the quoted key and colon.
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(0x22)
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(0x22)
        bytes.append(0x3A)
        if pretty { bytes.append(0x20) }
    }

    /// Starts an element of the open array.
    public mutating func element() { separate() }

    /// A line break after the document.
    public mutating func endLine() { bytes.append(0x0A) }

    // MARK: - Values

    public mutating func null() { append("null") }
    public mutating func bool(_ value: Bool) { append(value ? "true" : "false") }
    public mutating func int(_ value: Int) { appendDecimal(Int64(value), to: &bytes) }
    public mutating func int(_ value: Int64) { appendDecimal(value, to: &bytes) }
    public mutating func uint(_ value: UInt64) { appendDecimal(value, to: &bytes) }
    public mutating func string(_ value: String) { Escaping.appendJSON(value, to: &bytes) }
    public mutating func string(_ value: StaticString) {
        bytes.append(0x22)
        value.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(0x22)
    }
    public mutating func optional(_ value: String?) {
        if let value { string(value) } else { null() }
    }
    /// A number as `JSONValue.double` writes it (three decimals at most).
    public mutating func double(_ value: Double) { JSONWriter.appendNumber(value, to: &bytes) }

    /// Appends a number as `JSONValue.double` writes it: three decimals at most, a whole number without a point,
    /// `null` when not finite. The timeline's CSV writes its numbers this way too, so both files agree.
    public static func appendNumber(_ value: Double, to bytes: inout [UInt8]) {
        guard value.isFinite else {
            bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])  // null
            return
        }
        let scaled = (value * 1000).rounded() / 1000
        if scaled == scaled.rounded() && abs(scaled) < 1e15 {
            appendDecimal(Int64(scaled), to: &bytes)
        } else {
            var text = String(scaled)
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }
    }
    /// A time as SPEC.md writes it (ISO 8601, microseconds), or null.
    public mutating func time(_ value: Timestamp?) {
        guard let value else { return null() }
        bytes.append(0x22)
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: Timestamp.iso8601MaximumLength))
        let length = bytes.withUnsafeMutableBufferPointer { value.writeISO8601(into: $0.baseAddress! + start) }
        bytes.removeLast(Timestamp.iso8601MaximumLength - length)
        bytes.append(0x22)
    }
    /// An endpoint as its `description` (`192.0.2.10:51234`, `[2001:db8::1]:21`), quoted; nothing to escape.
    public mutating func endpoint(_ value: Endpoint) {
        bytes.append(0x22)
        value.appendDescription(to: &bytes)
        bytes.append(0x22)
    }
    /// A value built as a tree (rare members: evidence, listings) at the current position.
    public mutating func value(_ value: JSONValue) {
        var text = value.serialized(pretty: pretty, indent: depth)
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    // MARK: - Layout

    private mutating func append(_ piece: StaticString) {
        piece.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func open(_ bracket: UInt8) {
        bytes.append(bracket)
        depth += 1
        empty = true
    }

    private mutating func close(_ bracket: UInt8) {
        depth -= 1
        if !empty && pretty { newline() }
        empty = false
        bytes.append(bracket)
    }

    private mutating func separate() {
        if !empty { bytes.append(0x2C) }
        empty = false
        if pretty { newline() }
    }

    private mutating func newline() {
        bytes.append(0x0A)
        var spaces = 2 * depth
        while spaces > 0 {
            let piece = Swift.min(spaces, JSONWriter.blanks.utf8CodeUnitCount)
            JSONWriter.blanks.withUTF8Buffer { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<piece])) }
            spaces -= piece
        }
    }

    private static let blanks: StaticString = "                                                                "
}
