/// Escaping of wire text for the HTML report (element content, attribute values, and SVG `<text>`/`<title>`).
///
/// `&`, `<`, `>`, `"` and `'` become character references, so the result is safe both as text and inside a
/// quoted attribute. Control characters (C0 except tab and line feed, DEL, C1) and the bidirectional overrides
/// that can disguise text are shown as visible `\xNN` / `\u{NNNN}` escapes instead of being passed to the
/// browser; a line feed becomes `<br>` when `lineBreaks` is true and a visible `↵` otherwise, a tab a space.
func html(_ text: some StringProtocol, lineBreaks: Bool = false) -> String {
    var text = String(text)
    return text.withUTF8 { utf8 in
        // Most wire text needs no escape at all: then the string is returned as it is, without a copy.
        guard utf8.contains(where: { htmlByteNeedsLook($0) }) else { return String(decoding: utf8, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + 16)
        appendHTML(utf8, lineBreaks: lineBreaks, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// True for a byte `appendHTML` may have to rewrite: markup characters, controls, and every non-ASCII byte (a
/// C1 control, a bidirectional override or U+FEFF is only known from its whole sequence).
@inline(__always)
private func htmlByteNeedsLook(_ byte: UInt8) -> Bool {
    byte < 0x20 || byte >= 0x7F || byte == 0x26 || byte == 0x3C || byte == 0x3E || byte == 0x22 || byte == 0x27
}

/// `html`'s escaping on UTF-8 (valid, as a Swift string's always is), appending to `out`: runs of plain bytes
/// are copied whole; only the bytes `htmlByteNeedsLook` names are looked at.
func appendHTML(_ utf8: UnsafeBufferPointer<UInt8>, lineBreaks: Bool, to out: inout [UInt8]) {
    func put(_ piece: StaticString) { piece.withUTF8Buffer { out.append(contentsOf: $0) } }
    func putHex2(_ value: UInt8) {
        out.append(contentsOf: [0x5C, 0x78, hexDigit(value >> 4), hexDigit(value & 0xF)])
    }
    func putScalarEscape(_ value: UInt32) {
        put("\\u{")
        var digits = String(value, radix: 16)
        digits.withUTF8 { out.append(contentsOf: $0) }
        out.append(0x7D)
    }
    let count = utf8.count
    var runStart = 0
    var index = 0
    while index < count {
        let byte = utf8[index]
        guard htmlByteNeedsLook(byte) else {
            index += 1
            continue
        }
        // How many bytes the sequence at `index` has, and whether it is replaced (else kept as it is).
        var length = 1
        var replaced = true
        out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
        switch byte {
        case 0x26: put("&amp;")
        case 0x3C: put("&lt;")
        case 0x3E: put("&gt;")
        case 0x22: put("&quot;")
        case 0x27: put("&#39;")
        case 0x0A: if lineBreaks { put("<br>") } else { put(" \u{21B5} ") }
        case 0x09: out.append(0x20)
        case 0x00..<0x20, 0x7F: putHex2(byte)
        case 0xC2 where index + 1 < count && utf8[index + 1] < 0xA0:
            // U+0080–U+009F, the C1 controls: C2 80 – C2 9F.
            length = 2
            putHex2(utf8[index + 1])
        case 0xE2 where index + 2 < count:
            let second = utf8[index + 1]
            let third = utf8[index + 2]
            length = 3
            if second == 0x80 && (0xA8...0xAE).contains(third) {
                // U+2028, U+2029 (line and paragraph separators), U+202A–U+202E (embeddings and overrides).
                putScalarEscape(0x2000 + UInt32(third & 0x3F))
            } else if second == 0x81 && (0xA6...0xA9).contains(third) {
                // U+2066–U+2069, the isolates.
                putScalarEscape(0x2040 + UInt32(third & 0x3F))
            } else {
                replaced = false
            }
        case 0xEF where index + 2 < count && utf8[index + 1] == 0xBB && utf8[index + 2] == 0xBF:
            length = 3
            putScalarEscape(0xFEFF)
        default:
            replaced = false
        }
        if replaced {
            index += length
            runStart = index
        } else {
            // Kept: it stays in the run being copied.
            runStart = index
            index += length
        }
    }
    out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<count]))
}

@inline(__always)
private func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x57 + value }

/// At most `limit` characters of `text` (its first line only), with `…` when cut. Cut before escaping so an
/// entity is never split.
func clipped(_ text: some StringProtocol, _ limit: Int) -> String {
    // No line feed and no more bytes than the limit: no more characters either, so nothing to cut or count.
    if text.utf8.count <= limit && !text.utf8.contains(0x0A) { return String(text) }
    let whole = String(text)
    let firstLine = whole.firstIndex(of: "\n").map { String(whole[..<$0]) } ?? whole
    let more = firstLine.count < whole.count
    if firstLine.count <= limit { return more ? firstLine + " …" : firstLine }
    return String(firstLine.prefix(Swift.max(1, limit - 1))) + "…"
}
