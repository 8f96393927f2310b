@testable import Reports
import TestSupport
import Testing

/// The HTML escaping works on UTF-8 bytes for speed; its meaning is defined per Unicode scalar. These tests hold
/// the byte version to a scalar-by-scalar statement of the rule (written here, independently) on every scalar
/// class the rule names and on random and hostile mixes.
@Suite struct HTMLEscapingTests {
    /// The rule, one scalar at a time: markup characters to references, C0 (but tab and line feed), DEL and C1
    /// controls to `\xNN`, the line and paragraph separators, bidirectional embeddings, overrides and isolates and
    /// the byte-order mark to `\u{N}`; a line feed to `<br>` or ` ↵ `, a tab to a space.
    static func reference(_ text: String, lineBreaks: Bool) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            let value = scalar.value
            switch value {
            case 0x26: out += "&amp;"
            case 0x3C: out += "&lt;"
            case 0x3E: out += "&gt;"
            case 0x22: out += "&quot;"
            case 0x27: out += "&#39;"
            case 0x0A: out += lineBreaks ? "<br>" : " \u{21B5} "
            case 0x09: out += " "
            case 0x00..<0x20, 0x7F..<0xA0:
                let digits = Array("0123456789abcdef")
                out += "\\x" + String(digits[Int(value >> 4)]) + String(digits[Int(value & 0xF)])
            case 0x2028...0x202E, 0x2066...0x2069, 0xFEFF:
                out += "\\u{" + String(value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Scalars at and around every boundary of the rule, with plain and multi-byte neighbours.
    static let interesting: [Unicode.Scalar] = [
        0x00, 0x01, 0x08, 0x09, 0x0A, 0x0D, 0x1B, 0x1F, 0x20, 0x21, 0x22, 0x26, 0x27, 0x3C, 0x3E, 0x41, 0x7E, 0x7F,
        0x80, 0x85, 0x9F, 0xA0, 0xA9, 0xE9, 0xFF, 0x100, 0x7FF, 0x800, 0x2000, 0x2005, 0x2027, 0x2028, 0x2029, 0x202A,
        0x202E, 0x202F, 0x2065, 0x2066, 0x2069, 0x206A, 0x21B5, 0x2713, 0xFEFE, 0xFEFF, 0xFFFD, 0x1F600, 0x10FFFF,
    ].compactMap(Unicode.Scalar.init(_:))

    @Test func everyScalarClassAloneAndInContext() {
        for scalar in Self.interesting {
            for text in [String(scalar), "a\(scalar)b", "\(scalar)\(scalar)", "é\(scalar)✓"] {
                for lineBreaks in [false, true] {
                    #expect(html(text, lineBreaks: lineBreaks) == Self.reference(text, lineBreaks: lineBreaks), "\(text.unicodeScalars.map(\.value))")
                }
            }
        }
    }

    @Test func randomMixesAgreeWithTheRule() {
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<2_000 {
            let length = Int(generator.next() % 40)
            var text = ""
            for _ in 0..<length {
                let pick = generator.next()
                if pick % 3 == 0 {
                    text.unicodeScalars.append(Self.interesting[Int(pick / 3 % UInt64(Self.interesting.count))])
                } else {
                    text.unicodeScalars.append(Unicode.Scalar(UInt8(truncatingIfNeeded: 0x20 + pick % 0x5F)))
                }
            }
            let lineBreaks = generator.next() % 2 == 0
            #expect(html(text, lineBreaks: lineBreaks) == Self.reference(text, lineBreaks: lineBreaks))
            // A substring goes through the same path as a string.
            let tail = text.dropFirst(min(2, text.count))
            #expect(html(tail) == Self.reference(String(tail), lineBreaks: false))
        }
    }

    @Test func clippingKeepsCharactersWhole() {
        #expect(clipped("abc", 3) == "abc")
        #expect(clipped("abcd", 3) == "ab…")
        #expect(clipped("ab\r\ncd", 10) == "ab\r\ncd")  // CR LF is one character, not a line feed of its own
        #expect(clipped("é✓😀", 3) == "é✓😀")
        #expect(clipped("é✓😀x", 3) == "é✓…")
        #expect(clipped("one\ntwo", 3) == "one …")
    }
}
