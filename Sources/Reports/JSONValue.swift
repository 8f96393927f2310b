import NetworkTypes

/// A JSON value with ordered object members, so documents keep SPEC.md's field order.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])
    /// An array whose elements are made one at a time while it is written, so a document with a million commands
    /// never exists as a tree (or as one string: see `write(pretty:chunkBytes:to:)`).
    case deferredArray(JSONDeferredArray)

    /// A string, or null when absent.
    public static func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }

    /// Serialises compactly (one line, for JSON Lines) or indented by two spaces.
    /// `indent` is the nesting level the value sits at (for a value written inside a larger document).
    public func serialized(pretty: Bool, indent: Int = 0) -> String {
        var out = JSONOutput(sink: nil, chunkBytes: .max)
        write(into: &out, pretty: pretty, indent: indent)
        return out.text
    }

    /// Serialises into `sink` in pieces of about `chunkBytes`, so memory holds one piece (plus the element being
    /// made) however large the document.
    /// `indent` is the nesting level the value sits at (for a value written inside a document streamed by hand).
    public func write(pretty: Bool, indent: Int = 0, chunkBytes: Int = 1 << 16, to sink: (String) -> Void) {
        withoutActuallyEscaping(sink) { sink in
            var out = JSONOutput(sink: sink, chunkBytes: chunkBytes)
            write(into: &out, pretty: pretty, indent: indent)
            out.flush()
        }
    }

    fileprivate func write(into out: inout JSONOutput, pretty: Bool, indent: Int) {
        switch self {
        case .null: out.append("null")
        case .bool(let value): out.append(value ? "true" : "false")
        case .int(let value): appendDecimal(value, to: &out.bytes)
        case .uint(let value): appendDecimal(value, to: &out.bytes)
        case .double(let value):
            // Three decimals are plenty for milliseconds and rates, and keep output stable across runs.
            JSONWriter.appendNumber(value, to: &out.bytes)
        case .string(let value): Escaping.appendJSON(value, to: &out.bytes)
        case .array(let values):
            writeArray(count: values.count, { values[$0] }, into: &out, pretty: pretty, indent: indent)
        case .deferredArray(let deferred):
            writeArray(count: deferred.count, deferred.element, into: &out, pretty: pretty, indent: indent)
        case .object(let members):
            if members.isEmpty {
                out.append("{}")
                return
            }
            out.bytes.append(0x7B)
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out.bytes.append(0x2C) }
                if pretty { out.newline(indent: indent + 1) }
                Escaping.appendJSON(key, to: &out.bytes)
                out.append(pretty ? ": " : ":")
                value.write(into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out.newline(indent: indent) }
            out.bytes.append(0x7D)
        }
    }

    private func writeArray(
        count: Int, _ element: (Int) -> JSONValue, into out: inout JSONOutput, pretty: Bool, indent: Int
    ) {
        if count == 0 {
            out.append("[]")
            return
        }
        out.bytes.append(0x5B)
        for index in 0..<count {
            if index > 0 { out.bytes.append(0x2C) }
            if pretty { out.newline(indent: indent + 1) }
            element(index).write(into: &out, pretty: pretty, indent: indent + 1)
            out.flushIfFull()
        }
        if pretty { out.newline(indent: indent) }
        out.bytes.append(0x5D)
    }
}

/// The elements of a `JSONValue.deferredArray`: how many, and how to make the one at an index.
///
/// `@unchecked Sendable` because the closure usually reads analysis results (classes); a deferred array is made
/// and written within one call on one thread, never shared.
public struct JSONDeferredArray: @unchecked Sendable {
    let count: Int
    let element: (Int) -> JSONValue

    /// An array of `count` elements, `element(i)` being made when element `i` is written.
    public init(count: Int, element: @escaping (Int) -> JSONValue) {
        self.count = count
        self.element = element
    }
}

/// UTF-8 being serialised, handed to a sink (as text) whenever it passes `chunkBytes`. Bytes, not a `String`:
/// appending to a string re-checks and re-grows it piece by piece, and this runs for every field of every session.
private struct JSONOutput {
    var bytes: [UInt8] = []
    let sink: ((String) -> Void)?
    let chunkBytes: Int

    init(sink: ((String) -> Void)?, chunkBytes: Int) {
        self.sink = sink
        self.chunkBytes = chunkBytes
        bytes.reserveCapacity(sink == nil ? 256 : Swift.min(chunkBytes, 1 << 16) + 4096)
    }

    /// Everything written (for `serialized`).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func append(_ piece: StaticString) {
        piece.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ piece: String) {
        var piece = piece
        piece.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// A line break and two spaces per level.
    mutating func newline(indent: Int) {
        bytes.append(0x0A)
        var spaces = 2 * indent
        while spaces > 0 {
            let piece = Swift.min(spaces, JSONOutput.blanks.utf8CodeUnitCount)
            JSONOutput.blanks.withUTF8Buffer { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<piece])) }
            spaces -= piece
        }
    }

    /// Indentation to copy from (appending a repeated element byte by byte cost more than the rest of a line).
    private static let blanks: StaticString = "                                                                "

    mutating func flushIfFull() {
        if sink != nil && bytes.count >= chunkBytes { flush() }
    }

    mutating func flush() {
        guard let sink, !bytes.isEmpty else { return }
        sink(String(decoding: bytes, as: UTF8.self))
        bytes.removeAll(keepingCapacity: true)
    }
}
