#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Fitting the text summary to a terminal: lines wider than the terminal are wrapped at spaces with a hanging
/// indent, so a diagnosis of 300 characters reads as a paragraph instead of breaking mid-word at the edge. Piped
/// output is never wrapped (scripts and baselines see one line per item).
public enum TerminalFit {
    /// The columns of the terminal on `descriptor`, or nil when it is not a terminal (or does not say).
    public static func columns(of descriptor: Int32) -> Int? {
        guard isatty(descriptor) == 1 else { return nil }
        var size = winsize()
        if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = getenv("COLUMNS"), let columns = Int(String(cString: text)), columns > 0 { return columns }
        return nil
    }

    /// `text` with every line wider than `width` columns wrapped. ANSI colour sequences take no columns.
    public static func wrap(_ text: String, width: Int) -> String {
        guard width >= 20 else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // A text ending in a newline splits into a last empty piece that is not a line.
        let endsWithNewline = lines.last?.isEmpty == true
        if endsWithNewline { lines.removeLast() }
        for line in lines {
            if visibleWidth(line) <= width {
                out += line
            } else {
                wrapLine(line, width: width, into: &out)
            }
            out += "\n"
        }
        if !endsWithNewline && !out.isEmpty { out.removeLast() }
        return out
    }

    /// Where continuation lines begin: after the tag of a finding (`  [medium] `), flush with a paragraph
    /// already indented as one (an explanation), or four columns in from the line's own indent.
    static func hangingIndent(_ line: Substring, width: Int) -> Int {
        if line.utf8.contains(0x1B) { return hangingIndent(Substring(plain(line)), width: width) }
        let leading = line.prefix { $0 == " " }.count
        let rest = line.dropFirst(leading)
        var indent = leading + 4
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            let afterTag = rest[rest.index(after: close)...]
            indent = leading + rest.distance(from: rest.startIndex, to: close) + 1 + afterTag.prefix { $0 == " " }.count
        } else if leading >= 8 {
            indent = leading
        }
        return min(indent, width / 2)
    }

    private static func wrapLine(_ line: Substring, width: Int, into out: inout String) {
        let indent = hangingIndent(line, width: width)
        let leading = line.prefix { $0 == " " }
        var current = String(leading)
        var currentWidth = leading.count
        var atLineStart = true
        for word in line.dropFirst(leading.count).split(separator: " ", omittingEmptySubsequences: false) {
            var word = word
            let wordWidth = visibleWidth(word)
            let separator = atLineStart ? 0 : 1
            if currentWidth + separator + wordWidth <= width {
                if !atLineStart { current += " " }
                current += word
                currentWidth += separator + wordWidth
                atLineStart = false
                continue
            }
            if word.isEmpty { continue }  // a run of spaces at the break: dropped
            if !atLineStart || currentWidth > indent {
                out += trimmedTrailing(current) + "\n"
                current = String(repeating: " ", count: indent)
                currentWidth = indent
            }
            // A word wider than the room left on an empty line is cut where the line ends.
            while visibleWidth(word) > width - currentWidth {
                let (head, tail) = split(word, columns: width - currentWidth)
                out += current + head + "\n"
                current = String(repeating: " ", count: indent)
                currentWidth = indent
                word = tail
            }
            current += word
            currentWidth += visibleWidth(word)
            atLineStart = false
        }
        out += trimmedTrailing(current)
    }

    private static func trimmedTrailing(_ text: String) -> Substring {
        var end = text.endIndex
        while end > text.startIndex, text[text.index(before: end)] == " " { end = text.index(before: end) }
        return text[..<end]
    }

    /// The first `columns` visible characters of `word` and the rest; colour sequences go with the characters.
    private static func split(_ word: Substring, columns: Int) -> (Substring, Substring) {
        var count = 0
        var index = word.startIndex
        var inEscape = false
        while index < word.endIndex {
            let character = word[index]
            if inEscape {
                if character.isLetter { inEscape = false }
            } else if character == "\u{1B}" {
                inEscape = true
            } else {
                if count == max(1, columns) { break }
                count += 1
            }
            index = word.index(after: index)
        }
        return (word[..<index], word[index...])
    }

    /// The text without its colour sequences.
    static func plain(_ text: Substring) -> String {
        var out = ""
        forEachVisible(text) { out.append($0) }
        return out
    }

    /// Columns a text takes: characters, less ANSI `ESC [ … letter` sequences.
    static func visibleWidth(_ text: Substring) -> Int {
        if !text.utf8.contains(0x1B) { return text.utf8.allSatisfy { $0 < 0x80 } ? text.utf8.count : text.count }
        var count = 0
        forEachVisible(text) { _ in count += 1 }
        return count
    }

    /// Calls `body` with each character of `text` outside its ANSI `ESC [ … letter` sequences: the one reading
    /// of colour sequences behind `plain` and `visibleWidth`.
    private static func forEachVisible(_ text: Substring, _ body: (Character) -> Void) {
        var inEscape = false
        for character in text {
            if inEscape {
                if character.isLetter { inEscape = false }
            } else if character == "\u{1B}" {
                inEscape = true
            } else {
                body(character)
            }
        }
    }
}
