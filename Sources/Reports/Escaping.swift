/// Escaping of wire text for each output. Everything from the capture is attacker-controlled.
public enum Escaping {
    /// Text safe for a terminal: control characters (C0, DEL, C1) — and so ANSI escape sequences — shown as
    /// `\xNN`, backslash doubled, newlines as `\n`. Printable Unicode passes through.
    public static func terminal(_ text: some StringProtocol) -> String { terminal(String(text)) }

    /// `terminal` for a `String`: the check for plain text runs over its contiguous UTF-8 bytes. (The generic
    /// version, called across modules unspecialised, walked the bytes through protocol witnesses and was the
    /// largest cost of `sniff`'s line printer.)
    public static func terminal(_ text: String) -> String {
        var string = text
        // Most wire text is plain printable ASCII: return it as it is without walking scalars.
        let plain = string.withUTF8 { utf8 in
            !utf8.contains { $0 < 0x20 || $0 >= 0x7F || $0 == 0x5C }
        }
        if plain { return string }
        var out = ""
        out.reserveCapacity(string.utf8.count + 8)
        // Runs of characters that need nothing are copied whole; appending scalar by scalar cost tens of
        // thousands of instructions for one diagnosis sentence with a dash in it.
        let scalars = string.unicodeScalars
        var runStart = scalars.startIndex
        var index = runStart
        while index != scalars.endIndex {
            let next = scalars.index(after: index)
            if let replacement = terminalEscape(scalars[index]) {
                out.append(contentsOf: string[runStart..<index])
                out += replacement
                runStart = next
            }
            index = next
        }
        out.append(contentsOf: string[runStart..<index])
        return out
    }

    /// What `terminal` writes for a scalar, or nil when it passes through.
    private static func terminalEscape(_ scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0x5C: return "\\\\"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x00..<0x20, 0x7F..<0xA0, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
            // C0/C1 controls and the bidirectional overrides that can disguise text (CVE-2021-42574 style).
            return scalar.value < 0x100 ? "\\x" + hex2(UInt8(scalar.value)) : "\\u{" + String(scalar.value, radix: 16) + "}"
        default: return nil
        }
    }

    /// A JSON string literal with quotes (RFC 8259 section 7): always valid JSON whatever the input.
    public static func json(_ text: some StringProtocol) -> String {
        var bytes: [UInt8] = []
        appendJSON(String(text), to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `text` as a JSON string literal with quotes (RFC 8259 section 7), working on its UTF-8 bytes:
    /// runs that need nothing are copied whole. Escaped: `"` and `\`, C0 controls and DEL (`\n`, `\r`,
    /// `\t`, else `\u00XX`), and U+2028/U+2029, which are valid JSON but end a line in JavaScript.
    static func appendJSON<Out: ByteAppending>(_ text: String, to out: inout Out) {
        // Read where the string lies (a native string has contiguous UTF-8): `withUTF8` needs a mutable copy,
        // which retained and released the string's storage.
        if text.utf8.withContiguousStorageIfAvailable({ appendJSON(utf8: $0, to: &out) }) != nil { return }
        var text = text
        text.withUTF8 { appendJSON(utf8: $0, to: &out) }
    }

    /// `appendJSON(_:to:)` on UTF-8 bytes.
    static func appendJSON<Out: ByteAppending>(utf8: UnsafeBufferPointer<UInt8>, to out: inout Out) {
        out.appendByte(0x22)
        var runStart = 0
        var index = 0
        let count = utf8.count
        while index < count {
            let byte = utf8[index]
            if byte >= 0x20 && byte != 0x22 && byte != 0x5C && byte != 0x7F {
                // E2 80 A8/A9 is U+2028/U+2029 (the only escaped characters beyond ASCII).
                guard byte == 0xE2, index + 2 < count, utf8[index + 1] == 0x80,
                    utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9
                else {
                    index += 1
                    continue
                }
                out.appendBytes(UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                appendUnicodeEscape(utf8[index + 2] == 0xA8 ? 0x2028 : 0x2029, to: &out)
                index += 3
                runStart = index
                continue
            }
            out.appendBytes(UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            switch byte {
            case 0x22: out.appendByte(0x5C); out.appendByte(0x22)
            case 0x5C: out.appendByte(0x5C); out.appendByte(0x5C)
            case 0x0A: out.appendByte(0x5C); out.appendByte(0x6E)
            case 0x0D: out.appendByte(0x5C); out.appendByte(0x72)
            case 0x09: out.appendByte(0x5C); out.appendByte(0x74)
            default: appendUnicodeEscape(UInt16(byte), to: &out)
            }
            index += 1
            runStart = index
        }
        out.appendBytes(UnsafeBufferPointer(rebasing: utf8[runStart..<count]))
        out.appendByte(0x22)
    }

    /// `\uXXXX` with four lower-case hex digits.
    private static func appendUnicodeEscape<Out: ByteAppending>(_ value: UInt16, to out: inout Out) {
        let digits: StaticString = "0123456789abcdef"
        out.appendByte(0x5C)
        out.appendByte(0x75)
        for shift in stride(from: 12, through: 0, by: -4) {
            out.appendByte(digits.utf8Start[Int((value >> UInt16(shift)) & 0xF)])
        }
    }

    static func hex2(_ byte: UInt8) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
