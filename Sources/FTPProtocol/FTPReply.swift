/// A server reply (RFC 959 section 4.2): `ddd<SP>text`, or a multi-line reply from `ddd-text` to `ddd<SP>text`.
public struct FTPReply: Sendable, Equatable {
    /// The three digits sent, as a number (100...699 for a conforming server; anything 000...999 is kept).
    public var code: Int
    /// The text of each line kept.
    ///
    /// The first and last lines lose their `ddd-` / `ddd ` prefix. Interior lines are kept exactly as sent,
    /// including a leading `ddd-` that many servers repeat on every line: RFC 959 lets interior lines be
    /// anything, so a prefix there is text, not syntax, and stripping it would make `230-` and `230-230-`
    /// indistinguishable. `displayLines` strips it for presentation.
    ///
    /// Stored as the first line and the others apart, so a single-line reply (nearly all of them) holds no array
    /// and its `text` is that line, not a join: the reply path allocates nothing beyond the text itself.
    public var lines: [String] {
        get { otherLines.isEmpty ? [firstLine] : [firstLine] + otherLines }
        set {
            firstLine = newValue.first ?? ""
            otherLines = Array(newValue.dropFirst())
        }
    }
    /// The first line's text (`""` for a bare code).
    public private(set) var firstLine: String
    /// The lines after the first; empty for a single-line reply.
    public private(set) var otherLines: [String]
    /// Number of lines kept.
    public var lineCount: Int { 1 + otherLines.count }
    /// True for a reply that began with `ddd-`.
    public var isMultiline: Bool
    /// Interior lines dropped beyond `FTPLimits.maxReplyLines`.
    public var truncatedLines: Int
    /// False when the stream ended inside a multi-line reply (no final `ddd ` line was seen).
    public var isComplete: Bool
    /// True when any line of the reply was longer than `FTPLimits.maxLineLength` and cut.
    public var hasTruncatedLine: Bool

    /// Creates a reply.
    public init(
        code: Int, lines: [String], isMultiline: Bool = false, truncatedLines: Int = 0, isComplete: Bool = true,
        hasTruncatedLine: Bool = false
    ) {
        self.code = code
        firstLine = lines.first ?? ""
        otherLines = Array(lines.dropFirst())
        self.isMultiline = isMultiline
        self.truncatedLines = truncatedLines
        self.isComplete = isComplete
        self.hasTruncatedLine = hasTruncatedLine
    }

    /// A single-line reply, without building a one-element array.
    public init(code: Int, text: String, hasTruncatedLine: Bool = false) {
        self.code = code
        firstLine = text
        otherLines = []
        isMultiline = false
        truncatedLines = 0
        isComplete = true
        self.hasTruncatedLine = hasTruncatedLine
    }

    /// The lines joined with `"\n"`.
    public var text: String { otherLines.isEmpty ? firstLine : lines.joined(separator: "\n") }

    /// `text`, moved out of a single-line reply (leaving its line empty) rather than copied: the analysis keeps
    /// it in the reply's record, and the reply is dropped right after.
    public mutating func takeText() -> String {
        guard otherLines.isEmpty else { return text }
        var taken = ""
        swap(&taken, &firstLine)
        return taken
    }

    /// The lines with a leading `ddd-` or `ddd ` of this reply's code also removed from interior lines, for display.
    public var displayLines: [String] {
        guard lines.count > 2 else { return lines }
        let dash = codeString + "-"
        let space = codeString + " "
        var result = lines
        for index in 1..<(lines.count - 1) {
            let line = lines[index]
            if line.hasPrefix(dash) || line.hasPrefix(space) { result[index] = String(line.dropFirst(4)) }
        }
        return result
    }

    /// The code as three digits (`"230"`, `"050"`).
    public var codeString: String {
        let digits = String(code)
        return digits.count >= 3 ? digits : String(repeating: "0", count: 3 - digits.count) + digits
    }

    /// 1yz: positive preliminary; another reply follows (RFC 959 section 4.2.1).
    public var isPreliminary: Bool { code / 100 == 1 }
    /// 2yz: positive completion.
    public var isCompletion: Bool { code / 100 == 2 }
    /// 3yz: positive intermediate; the server waits for another command (PASS after USER, RNTO after RNFR).
    public var isIntermediate: Bool { code / 100 == 3 }
    /// 4yz: transient negative completion; the same command may succeed later.
    public var isTransientFailure: Bool { code / 100 == 4 }
    /// 5yz: permanent negative completion.
    public var isPermanentFailure: Bool { code / 100 == 5 }
    /// 6yz: protected reply (RFC 2228 section 4: 631 integrity, 632 confidentiality and integrity, 633
    /// confidentiality); its text is a base64 security-mechanism token wrapping the real reply.
    public var isProtected: Bool { code / 100 == 6 }
    /// True for any reply that ends its command (2yz, 4yz, 5yz; 3yz ends the command but not the exchange).
    public var isFinal: Bool { !isPreliminary }
}

/// What the reply assembler produced from a line.
public enum ReplyEvent: Sendable, Equatable {
    /// A complete reply (or, from `ReplyAssembler.finish()`, a multi-line reply cut off by the end of the stream).
    case reply(FTPReply)
    /// A line outside a multi-line reply that does not start with three digits followed by a space, a hyphen or
    /// the end of the line: `SYST not supported`, `230_no_space`, `99 PASV invalid`, `SSH-2.0-mod_sftp`.
    case invalid(FTPLine)
}

/// Assembles the server's lines into replies, following RFC 959 section 4.2.
///
/// A multi-line reply starts with `ddd-` and ends at the first line that starts with the *same* `ddd` followed
/// by a space (or by the end of the line). Lines in between can be anything, including `ddd-` lines and lines
/// starting with other codes, which is how banners quote text.
public struct ReplyAssembler: Sendable {
    private struct Pending: Sendable {
        var code: Int
        var codeBytes: (UInt8, UInt8, UInt8)
        var lines: [String]
        var truncatedLines: Int
        var hasTruncatedLine: Bool
    }

    private let limits: FTPLimits
    private var pending: Pending?

    /// Creates an assembler.
    public init(limits: FTPLimits = FTPLimits()) {
        self.limits = limits
    }

    /// True while a multi-line reply has begun and not ended.
    public var isInsideMultiline: Bool { pending != nil }

    /// Takes one line from the server; returns a reply or an invalid line, or nil inside a multi-line reply.
    ///
    /// A `ddd` alone is a valid single-line reply with empty text (RFC 959 requires `<SP>`, but servers omit it
    /// when they have no text). An unterminated line (see `LineFramer.finish`) is assembled like any other.
    public mutating func push(_ line: FTPLine) -> ReplyEvent? {
        var event: ReplyEvent?
        push(line) { event = $0 }
        return event
    }

    /// Takes one line from the server; `onEvent` receives the reply or invalid line it completes, if any.
    ///
    /// The control channel's path: handing the event on in place spares it the optional result, whose destruction
    /// went through the runtime's generic value witnesses for every reply.
    public mutating func push(_ line: FTPLine, _ onEvent: (consuming ReplyEvent) -> Void) {
        push(line, texts: .disabled, onEvent)
    }

    /// `push(_:_:)` with the texts of recent lines to reuse (`ControlTextCache`), as the control channel does.
    mutating func push(_ line: FTPLine, texts: ControlTextCache, _ onEvent: (consuming ReplyEvent) -> Void) {
        let bytes = line.bytes
        if var open = pending {
            if bytes.count >= 3, (bytes[0], bytes[1], bytes[2]) == open.codeBytes,
                bytes.count == 3 || bytes[3] == 0x20
            {
                open.lines.append(Self.text(bytes.dropFirst(min(4, bytes.count)), texts))
                open.hasTruncatedLine = open.hasTruncatedLine || line.truncated
                pending = nil
                onEvent(
                    .reply(
                        FTPReply(
                            code: open.code, lines: open.lines, isMultiline: true, truncatedLines: open.truncatedLines,
                            isComplete: true, hasTruncatedLine: open.hasTruncatedLine)))
                return
            }
            // The final line is always kept, so the interior budget is the limit minus first and last line.
            if open.lines.count < max(1, limits.maxReplyLines - 1) {
                open.lines.append(Self.text(bytes[...], texts))
            } else {
                open.truncatedLines += 1
            }
            open.hasTruncatedLine = open.hasTruncatedLine || line.truncated
            pending = open
            return
        }

        guard bytes.count >= 3, Self.isDigit(bytes[0]), Self.isDigit(bytes[1]), Self.isDigit(bytes[2]) else {
            onEvent(.invalid(line))
            return
        }
        let code = Int(bytes[0] - 0x30) * 100 + Int(bytes[1] - 0x30) * 10 + Int(bytes[2] - 0x30)
        if bytes.count == 3 {
            onEvent(.reply(FTPReply(code: code, text: "", hasTruncatedLine: line.truncated)))
            return
        }
        switch bytes[3] {
        case 0x20:
            // A passive reply names a fresh port each time, so its text is never found again: looked up in the
            // cache, it paid the hash and the store, and pushed out a text that does recur (`226 Transfer
            // complete.`).
            let recurs = code != 227 && code != 229 && code != 228
            onEvent(
                .reply(
                    FTPReply(
                        code: code, text: texts.text(bytes[4...], cached: recurs), hasTruncatedLine: line.truncated)))
        case 0x2D:
            var lines: [String] = []
            lines.reserveCapacity(4)
            lines.append(Self.text(bytes[4...], texts))
            pending = Pending(
                code: code, codeBytes: (bytes[0], bytes[1], bytes[2]), lines: lines, truncatedLines: 0,
                hasTruncatedLine: line.truncated)
        default:
            onEvent(.invalid(line))
        }
    }

    /// End of stream: a multi-line reply still open is returned with `isComplete == false`; otherwise nil.
    public mutating func finish() -> ReplyEvent? {
        guard let open = pending else { return nil }
        pending = nil
        return .reply(
            FTPReply(
                code: open.code, lines: open.lines, isMultiline: true, truncatedLines: open.truncatedLines,
                isComplete: false, hasTruncatedLine: open.hasTruncatedLine))
    }

    /// After a capture gap: forgets a multi-line reply in progress, returning it (flagged incomplete) if there was
    /// one, since its end may have been in the lost bytes.
    public mutating func resynchronize() -> ReplyEvent? {
        finish()
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    @inline(__always)
    private static func text(_ bytes: ArraySlice<UInt8>, _ texts: ControlTextCache) -> String {
        texts.text(bytes)
    }
}
