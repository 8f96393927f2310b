/// Escaping of wire text for each output. Everything from the capture is attacker-controlled.
public enum Escaping {
    /// Text safe for a terminal: control characters (C0, DEL, C1) — and so ANSI escape sequences — shown as
    /// `\xNN`, backslash doubled, newlines as `\n`. Printable Unicode passes through.
    public static func terminal(_ text: some StringProtocol) -> String {
        // Most wire text is plain printable ASCII: return it as it is without walking scalars.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x5C }) { return String(text) }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        // Runs of characters that need nothing are copied whole; appending scalar by scalar cost tens of
        // thousands of instructions for one diagnosis sentence with a dash in it.
        let string = String(text)
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
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) { return "\"" + text + "\"" }
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00..<0x20, 0x7F, 0x2028, 0x2029:
                // Line and paragraph separators are valid JSON but break JavaScript consumers; escape them too.
                out += "\\u" + String(format4: scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }

    static func hex2(_ byte: UInt8) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}

extension String {
    /// Four lower-case hex digits.
    fileprivate init(format4 value: UInt32) {
        let hex = String(value, radix: 16)
        let padding = String(repeating: "0", count: Swift.max(0, 4 - hex.count))
        self = padding + hex
    }
}
