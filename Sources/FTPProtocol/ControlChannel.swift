/// The client's side of an FTP control connection as text: TELNET/line framing and the one gap policy, turning
/// bytes into commands. The analyzer and the control fuzz target both drive this, so the fuzzed path is the
/// production one.
///
/// The gap policy (the same on both sides): what was cut off by a gap is unrecoverable, and half a line must not be
/// glued onto the next one, so the partial line before the gap is dropped. What follows a gap often starts a whole
/// line (the lost bytes were whole segments of whole lines), so the first line after it is kept when it parses as
/// what that side sends (a known, well-formed command here; a line starting like a reply on the server's side) and
/// dropped otherwise.
public struct ClientControlChannel {
    private let limits: FTPLimits
    private var framer: LineFramer
    private var afterGap = false

    /// A channel at the start of a stream.
    public init(limits: FTPLimits = FTPLimits()) {
        self.limits = limits
        framer = LineFramer(limits: limits)
    }

    /// Feeds bytes; `onCommand` is called for every command line they complete (empty lines are not commands).
    ///
    /// The command is lent `inout`: the analysis moves its strings into the command's record (swapping in empty
    /// ones) instead of copying them. (Handed over `consuming`, it was still copied into the call.)
    ///
    /// `texts`, when given, lends arguments seen before (`ControlTextCache`). Passed with each call rather than
    /// kept, and on to the lines unmanaged: a reference kept in the channel was retained and released around every
    /// line, and one captured by the framer's closure around every segment.
    ///
    /// `lines`, when given, is the line buffer the framer works in while no line is pending
    /// (`LineFramer.append(_:shared:_:)`).
    public mutating func append(
        _ bytes: UnsafeRawBufferPointer, texts: ControlTextCache = .disabled, lines: SharedLineBuffer? = nil,
        _ onCommand: (FTPLine, inout FTPCommand) -> Void
    ) {
        // The framer is moved out while it runs, so delivering a line may update the channel's own state.
        var running = LineFramer.placeholder
        swap(&running, &framer)
        defer { swap(&running, &framer) }
        let lent = Unmanaged.passUnretained(texts)
        running.append(bytes, shared: lines) { line in deliver(line, lent, onCommand) }
    }

    /// Bytes of this direction are missing from the capture.
    public mutating func gap() {
        framer = LineFramer(limits: limits)
        afterGap = true
    }

    /// The stream starts again as clear text (it left TLS after CCC, RFC 4217 section 12): from a clean line start.
    public mutating func restart() {
        framer = LineFramer(limits: limits)
        afterGap = false
    }

    /// End of stream: the unfinished last line, if any, is delivered flagged `unterminated`.
    public mutating func finish(
        texts: ControlTextCache = .disabled, _ onCommand: (FTPLine, inout FTPCommand) -> Void
    ) {
        var running = LineFramer.placeholder
        swap(&running, &framer)
        defer { swap(&running, &framer) }
        let lent = Unmanaged.passUnretained(texts)
        running.finish { line in deliver(line, lent, onCommand) }
    }

    private mutating func deliver(
        _ line: FTPLine, _ texts: Unmanaged<ControlTextCache>, _ onCommand: (FTPLine, inout FTPCommand) -> Void
    ) {
        if line.bytes.isEmpty && !line.truncated { return }
        // The caller's `texts` is alive for the whole call: used without a retain.
        var command = texts._withUnsafeGuaranteedRef { FTPCommand.parse(line, texts: $0) }
        if afterGap {
            afterGap = false
            if !(command.isWellFormed && command.isKnown) { return }
        }
        onCommand(line, &command)
    }
}

/// The server's side of an FTP control connection as text: line framing, reply assembly (single and multi-line,
/// RFC 959 section 4.2) and the one gap policy (see `ClientControlChannel`). A multi-line reply still open at a gap
/// is delivered, flagged incomplete, rather than dropped: its end may have been in the lost bytes, but its code and
/// first lines were seen and answer a command.
public struct ServerControlChannel {
    private let limits: FTPLimits
    private var framer: LineFramer
    private var replies: ReplyAssembler
    private var afterGap = false

    /// A channel at the start of a stream.
    public init(limits: FTPLimits = FTPLimits()) {
        self.limits = limits
        framer = LineFramer(limits: limits)
        replies = ReplyAssembler(limits: limits)
    }

    /// Feeds bytes; `onEvent` is called for every reply (or invalid line) they complete, handed over
    /// (`consuming`): the analysis moves the reply's text into its record instead of copying it.
    /// `texts`, when given, lends reply texts seen before (`ControlTextCache`), and `lines` is the shared line
    /// buffer (see the client's side).
    public mutating func append(
        _ bytes: UnsafeRawBufferPointer, texts: ControlTextCache = .disabled, lines: SharedLineBuffer? = nil,
        _ onEvent: (consuming ReplyEvent) -> Void
    ) {
        var running = LineFramer.placeholder
        swap(&running, &framer)
        defer { swap(&running, &framer) }
        let lent = Unmanaged.passUnretained(texts)
        running.append(bytes, shared: lines) { line in deliver(line, lent, onEvent) }
    }

    /// Bytes of this direction are missing from the capture; an open multi-line reply is delivered first.
    public mutating func gap(_ onEvent: (consuming ReplyEvent) -> Void) {
        if let open = replies.resynchronize() { onEvent(open) }
        framer = LineFramer(limits: limits)
        afterGap = true
    }

    /// The stream starts again as clear text (after CCC): from a clean line start, no reply open.
    public mutating func restart() {
        framer = LineFramer(limits: limits)
        replies = ReplyAssembler(limits: limits)
        afterGap = false
    }

    /// End of stream: the unfinished last line and an open multi-line reply (flagged incomplete) are delivered.
    public mutating func finish(texts: ControlTextCache = .disabled, _ onEvent: (consuming ReplyEvent) -> Void) {
        var running = LineFramer.placeholder
        swap(&running, &framer)
        let lent = Unmanaged.passUnretained(texts)
        running.finish { line in deliver(line, lent, onEvent) }
        swap(&running, &framer)
        if let open = replies.finish() { onEvent(open) }
    }

    private mutating func deliver(
        _ line: FTPLine, _ texts: Unmanaged<ControlTextCache>, _ onEvent: (consuming ReplyEvent) -> Void
    ) {
        if afterGap {
            afterGap = false
            if !Self.startsReply(line.bytes) { return }
        }
        // The caller's `texts` is alive for the whole call: used without a retain.
        texts._withUnsafeGuaranteedRef { replies.push(line, texts: $0, onEvent) }
    }

    /// True when a line starts like a reply: three digits then a space, a hyphen or the end of the line.
    public static func startsReply(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        return bytes.count == 3 || bytes[3] == 0x20 || bytes[3] == 0x2D
    }
}

extension LineFramer {
    /// A framer that holds no buffer, swapped in while the real one runs (see the channels' `append`).
    static var placeholder: LineFramer { LineFramer(limits: FTPLimits()) }
}
