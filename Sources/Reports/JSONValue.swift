/// A JSON value with ordered object members, so documents keep SPEC.md's field order.
public indirect enum JSONValue: Sendable {
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
    public func serialized(pretty: Bool) -> String {
        var out = JSONOutput(sink: nil, chunkBytes: .max)
        write(into: &out, pretty: pretty, indent: 0)
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
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .uint(let value): out += String(value)
        case .double(let value):
            if value.isFinite {
                // Three decimals are plenty for milliseconds and rates, and keep output stable across runs.
                let scaled = (value * 1000).rounded() / 1000
                out += scaled == scaled.rounded() && abs(scaled) < 1e15 ? String(Int64(scaled)) : String(scaled)
            } else {
                out += "null"
            }
        case .string(let value): out += Escaping.json(value)
        case .array(let values):
            writeArray(count: values.count, { values[$0] }, into: &out, pretty: pretty, indent: indent)
        case .deferredArray(let deferred):
            writeArray(count: deferred.count, deferred.element, into: &out, pretty: pretty, indent: indent)
        case .object(let members):
            if members.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out += "," }
                if pretty { newline(&out, indent + 1) }
                out += Escaping.json(key)
                out += pretty ? ": " : ":"
                value.write(into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { newline(&out, indent) }
            out += "}"
        }
    }

    private func writeArray(
        count: Int, _ element: (Int) -> JSONValue, into out: inout JSONOutput, pretty: Bool, indent: Int
    ) {
        if count == 0 {
            out += "[]"
            return
        }
        out += "["
        for index in 0..<count {
            if index > 0 { out += "," }
            if pretty { newline(&out, indent + 1) }
            element(index).write(into: &out, pretty: pretty, indent: indent + 1)
            out.flushIfFull()
        }
        if pretty { newline(&out, indent) }
        out += "]"
    }

    private func newline(_ out: inout JSONOutput, _ indent: Int) {
        out += "\n"
        out += String(repeating: "  ", count: indent)
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

/// Text being serialised, handed to a sink whenever it passes `chunkBytes`.
private struct JSONOutput {
    var text = ""
    let sink: ((String) -> Void)?
    let chunkBytes: Int

    init(sink: ((String) -> Void)?, chunkBytes: Int) {
        self.sink = sink
        self.chunkBytes = chunkBytes
    }

    static func += (out: inout JSONOutput, piece: String) { out.text += piece }

    mutating func flushIfFull() {
        if sink != nil && text.utf8.count >= chunkBytes { flush() }
    }

    mutating func flush() {
        guard let sink, !text.isEmpty else { return }
        sink(text)
        text.removeAll(keepingCapacity: true)
    }
}
