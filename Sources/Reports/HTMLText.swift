/// Escaping of wire text for the HTML report (element content, attribute values, and SVG `<text>`/`<title>`).
///
/// `&`, `<`, `>`, `"` and `'` become character references, so the result is safe both as text and inside a
/// quoted attribute. Control characters (C0 except tab and line feed, DEL, C1) and the bidirectional overrides
/// that can disguise text are shown as visible `\xNN` / `\u{NNNN}` escapes instead of being passed to the
/// browser; a line feed becomes `<br>` when `lineBreaks` is true and a visible `↵` otherwise, a tab a space.
func html(_ text: some StringProtocol, lineBreaks: Bool = false) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
        switch scalar.value {
        case 0x26: out += "&amp;"
        case 0x3C: out += "&lt;"
        case 0x3E: out += "&gt;"
        case 0x22: out += "&quot;"
        case 0x27: out += "&#39;"
        case 0x0A: out += lineBreaks ? "<br>" : " ↵ "
        case 0x09: out += " "
        case 0x00..<0x20, 0x7F..<0xA0:
            out += "\\x" + Escaping.hex2(UInt8(scalar.value))
        case 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF:
            out += "\\u{" + String(scalar.value, radix: 16) + "}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// At most `limit` characters of `text` (its first line only), with `…` when cut. Cut before escaping so an
/// entity is never split.
func clipped(_ text: some StringProtocol, _ limit: Int) -> String {
    let whole = String(text)
    let firstLine = whole.firstIndex(of: "\n").map { String(whole[..<$0]) } ?? whole
    let more = firstLine.count < whole.count
    if firstLine.count <= limit { return more ? firstLine + " …" : firstLine }
    return String(firstLine.prefix(Swift.max(1, limit - 1))) + "…"
}
