/// One line of control-channel text, CR/LF removed, TELNET IAC sequences (RFC 854) stripped.
///
/// The bytes are kept as received (after IAC removal) because FTP pathnames are opaque octets (RFC 2640 only
/// recommends UTF-8); `text` is a lossless, printable view for analysis and reports.
public struct FTPLine: Sendable, Equatable {
    /// The line's data bytes, at most `FTPLimits.maxLineLength` of them, without the line end.
    public var bytes: [UInt8]
    /// True when the line was longer than `FTPLimits.maxLineLength` and only its start is in `bytes`.
    public var truncated: Bool
    /// Data bytes of the line before truncation. IAC sequences and the CR/LF line end are not counted, so for
    /// a line that was not truncated this equals `bytes.count`.
    public var originalLength: Int
    /// True for a final line that ended with the stream rather than with a LF (see `LineFramer.finish`).
    public var unterminated: Bool

    /// Creates a line from its bytes; `originalLength` defaults to `bytes.count`.
    public init(bytes: [UInt8], truncated: Bool = false, originalLength: Int? = nil, unterminated: Bool = false) {
        self.bytes = bytes
        self.truncated = truncated
        self.originalLength = originalLength ?? bytes.count
        self.unterminated = unterminated
    }

    /// Creates a line from text (its UTF-8 bytes); convenient for tests and scripted conversations.
    public init(_ text: String) {
        self.init(bytes: Array(text.utf8))
    }

    /// The bytes decoded as UTF-8; each byte of an invalid UTF-8 sequence is written as `\xNN` (upper-case hex).
    ///
    /// Computed on demand so the framer never decodes text it does not need. Valid control characters (NUL,
    /// ESC, ...) are kept as they are: escaping for display is the reports' job. A literal backslash is not
    /// escaped either, so `\xNN` in `text` is ambiguous by design; `bytes` is the source of truth.
    public var text: String { FTPText.decode(bytes[...]) }
}

/// UTF-8 decoding that never fails (bytes outside valid sequences become `\xNN`).
enum FTPText {
    /// Decodes a slice; the fast path is the stdlib validator, the slow path copies valid sequences and escapes
    /// the bytes of invalid ones.
    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        // ASCII (nearly every control line) needs no validation: it is decoded from the contiguous buffer as it
        // is. The generic validator cost two metadata lookups and a scalar-by-scalar parse per line.
        let ascii = bytes.withUnsafeBufferPointer { buffer -> String? in
            isASCII(buffer) ? String(decoding: buffer, as: UTF8.self) : nil
        }
        if let ascii { return ascii }
        if let valid = String(validating: bytes, as: UTF8.self) { return valid }
        // Invalid input is hostile or legacy-encoded text: build the UTF-8 output bytes and make one String of
        // them, rather than appending scalar by scalar (those appends stood out in a profile of the control fuzz
        // target, whose inputs are mostly invalid UTF-8).
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var position = bytes.startIndex
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                output.append(contentsOf: bytes[position..<(position + encoded.count)])
                position += encoded.count
            case .error(let length):
                for byte in bytes[position..<(position + length)] { appendEscaped(byte, to: &output) }
                position += length
            case .emptyInput:
                return String(decoding: output, as: UTF8.self)
            }
        }
    }

    /// True when no byte has the high bit set, tested eight bytes at a time.
    static func isASCII(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = buffer.baseAddress else { return true }
        var index = 0
        var high: UInt64 = 0
        while index + 8 <= buffer.count {
            high |= UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            index += 8
        }
        while index < buffer.count {
            high |= UInt64(buffer[index])
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Appends `\xNN` for `byte`.
    static func appendEscaped(_ byte: UInt8, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\\"))
        output.append(UInt8(ascii: "x"))
        output.append(hexDigits[Int(byte >> 4)])
        output.append(hexDigits[Int(byte & 0x0F)])
    }
}
