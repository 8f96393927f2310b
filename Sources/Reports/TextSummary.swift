import FTPAnalysis
import NetworkTypes

/// The human summary printed by default: per session its endpoints, user, login, commands and transfers, then
/// the findings and the totals. All wire text is escaped for the terminal.
public struct TextSummary {
    /// Colour with ANSI sequences (only on a terminal, never with NO_COLOR; the caller decides).
    public var useColor: Bool
    /// Print each session's commands and transfers; without, one line per session (`--summary`).
    public var listCommands: Bool
    /// The terminal's width, to wrap to; nil when the output is not a terminal (never wrapped).
    public var width: Int?
    /// What the outputs were narrowed to; under a status filter a session block shows only the kept transfers.
    public var narrowing: Narrowing?

    /// Creates a renderer.
    public init(useColor: Bool = false, listCommands: Bool = true, width: Int? = nil) {
        self.useColor = useColor
        self.listCommands = listCommands
        self.width = width
    }

    /// `text` wrapped to the terminal's width, when there is one.
    public func fit(_ text: String) -> String {
        guard let width else { return text }
        return TerminalFit.wrap(text, width: width)
    }

    /// `fit` for text written as bytes: piped output (no width) is left as it is, without a string.
    func fit(_ bytes: inout [UInt8]) {
        guard let width else { return }
        bytes = Array(TerminalFit.wrap(String(decoding: bytes, as: UTF8.self), width: width).utf8)
    }

    /// Renders the whole report: the headline (captures, sessions, transfers by outcome), the findings most
    /// severe first, each session's block, and the totals. The streaming output (`TextStreamSink`) prints the
    /// same text.
    public func render(_ input: ReportInput) -> String {
        if let narrowing = input.narrowing, self.narrowing == nil {
            var narrowed = self
            narrowed.narrowing = narrowing
            return narrowed.render(input)
        }
        var out = renderHead(input, SummaryCounts(input.sessions))
        if !input.sessions.isEmpty { out += bold("Sessions") + "\n" }
        let said = SaidBefore()
        for session in input.sessions {
            out += renderSession(session, input.passwords, said: said) + (listCommands ? "\n" : "")
        }
        if !listCommands && !input.sessions.isEmpty { out += "\n" }
        out += renderTotals(input.stats)
        return fit(out)
    }

    /// What comes before the session blocks: the headline and the findings.
    public func renderHead(_ input: ReportInput, _ counts: SummaryCounts) -> String {
        renderHeadline(input, counts) + renderFindings(input.findings)
    }

    /// One session's block: endpoints, banner, user and login, how it ended, its commands (aligned) and its
    /// transfers (failures first), ending with a newline.
    /// `said` remembers what earlier blocks said (a banner), so that a repeat refers to the first instead.
    public func renderSession(_ session: FTPSession, _ passwords: PasswordPolicy, said: SaidBefore? = nil) -> String {
        var out = TextBytes(useColor: useColor)
        writeSession(session, passwords, said: said, into: &out)
        return out.string
    }

    /// `renderSession` appended to `out` as bytes (the streaming summary writes every block into one buffer).
    func writeSession(_ session: FTPSession, _ passwords: PasswordPolicy, said: SaidBefore?, into out: inout TextBytes) {
        guard listCommands else { return out.append(renderOneLiner(session)) }
        out.beginBold()
        out.append(session.id)
        out.append("  ")
        out.append(session.client)
        out.append(" -> ")
        out.append(session.server)
        out.endBold()
        out.append("  ")
        out.appendTime(session.start)
        out.append("  (")
        out.append(HumanUnits.duration(milliseconds: session.start.milliseconds(to: session.end)))
        out.append(")\n")
        if let banner = session.banner {
            let first = String(banner.firstLine)
            if let earlier = said?.banner(first, session: session.id) {
                out.append("  banner:  same as ")
                out.append(earlier)
            } else {
                out.append("  banner:  ")
                out.appendTerminal(first[...], clippedTo: .max)
            }
            out.append("\n")
        }
        let login = session.login
        out.append("  user:    ")
        if let user = session.user {
            out.appendTerminal(user[...], clippedTo: .max)
            out.append(", ")
        }
        out.append(
            SessionWording.login(session),
            painted: login == .failed ? .red : (login == .succeeded || login == .anonymous ? .green : .plain))
        if session.tls {
            out.append(", ")
            out.append(session.implicitTLS ? "TLS from the first byte" : "TLS after AUTH", painted: .green)
        }
        out.append("\n  ended:   ")
        out.append(SessionWording.ended(session))
        if session.startedMidstream { out.append(", capture began mid-session") }
        if session.detectedByContent {
            out.append(", FTP found by content on port ")
            out.append(decimal: Int(session.server.port))
        }
        out.append("\n  commands: ")
        out.append(decimal: session.commands.count)
        // Under a status filter, the transfers with a kept outcome and the commands that announced or ran them.
        var transfers = session.transfers
        var shown: [CommandRecord]?
        // Asked through `self`, not bound: a bound `Narrowing` is a copy of all its sets.
        if self.narrowing?.statuses != nil {
            transfers = self.narrowing?.transfers(of: session) ?? transfers
            let kept = Set(transfers.map(ObjectIdentifier.init))
            let about = session.commands.filter { command in
                command.transferIndex.map { $0 < session.transfers.count && kept.contains(ObjectIdentifier(session.transfers[$0])) } ?? false
            }
            out.append(", ")
            out.append(decimal: about.count)
            out.append(" of them about the transfers shown")
            shown = about
        }
        out.append("\n")
        if let shown {
            writeCommands(shown[...], total: shown.count, passwords, into: &out)
        } else {
            writeCommands(session.commands[...], total: session.commands.count, passwords, into: &out)
        }
        if !transfers.isEmpty { writeTransfers(transfers, session: session, into: &out) }
    }

    private func writeCommands<Commands: RandomAccessCollection<CommandRecord>>(
        _ commands: Commands, total: Int, _ passwords: PasswordPolicy, into out: inout TextBytes
    ) {
        let listed = commands.prefix(TextSummary.maxListedCommands)
        // The verb and argument as shown, with their widths: measured once, for the columns and the padding.
        var cells: [(verb: String, verbWidth: Int, argument: String, argumentWidth: Int)] = []
        cells.reserveCapacity(listed.count)
        // Columns as wide as this session needs, so replies line up without a sea of spaces.
        var verbWidth = 0
        var argumentWidth = 0
        for index in listed.indices {
            let verb = Escaping.terminal(listed[index].verbText)
            let argument = TextSummary.clip(Escaping.terminal(passwords.displayArgument(of: listed[index])), argumentLimit)
            cells.append((verb, verb.columnWidth, argument, argument.columnWidth))
            verbWidth = max(verbWidth, cells[cells.count - 1].verbWidth)
            argumentWidth = max(argumentWidth, cells[cells.count - 1].argumentWidth)
        }
        for (index, cell) in zip(listed.indices, cells) {
            // Read in place: a `CommandRecord` is too large to copy for each line.
            out.append("    ")
            out.appendClock(listed[index].time)
            out.append("  ")
            out.appendPadded(cell.verb, columns: cell.verbWidth, width: verbWidth + 1)
            if argumentWidth > 0 { out.appendPadded(cell.argument, columns: cell.argumentWidth, width: argumentWidth + 1) }
            if let reply = listed[index].reply {
                out.append("→ ")
                let color: Color = reply.code >= 400 ? .red : .plain
                out.beginPaint(color)
                out.append(decimal: reply.code)
                out.endPaint(color)
                out.append(" ")
                // On a terminal the reply is shortened to the room left on the line rather than wrapped: a
                // command list reads down, one command a line (the full text is in the JSON and the CSV).
                let slow = listed[index].replyTimeMilliseconds.flatMap { $0 >= 1000 ? HumanUnits.duration(milliseconds: $0) : nil }
                var room = 70
                if let width {
                    room = max(12, width - (4 + 12 + 2 + verbWidth + 1 + (argumentWidth > 0 ? argumentWidth + 1 : 0) + 6))
                    if let slow { room = max(12, room - slow.count - 4) }
                }
                out.appendTerminalFirstLine(reply.text, clippedTo: min(70, room))
                if let slow {
                    out.append("  (")
                    out.append(slow)
                    out.append(")")
                }
            } else {
                out.append("→ (no reply)")
            }
            out.append("\n")
        }
        if total > TextSummary.maxListedCommands {
            out.append("    … ")
            out.append(decimal: total - TextSummary.maxListedCommands)
            out.append(" more (see --format json or --csv)\n")
        }
    }

    private func writeTransfers(_ transfers: [Transfer], session: FTPSession, into out: inout TextBytes) {
        // Failures first (what the reader came for), each group in time order. The keys are made once: a
        // transfer's start is computed from its connections.
        let keys = transfers.enumerated().map { offset, transfer in
            (transfer.status.isFailure ? 0 : 1, transfer.start ?? session.start, offset)
        }
        let ordered = transfers.indices.sorted { keys[$0] < keys[$1] }.map { transfers[$0] }
        let failures = ordered.filter { $0.status.isFailure }.count
        out.append("  transfers: ")
        out.append(decimal: transfers.count)
        if failures > 0 {
            out.append(", ")
            out.beginPaint(.red)
            out.append(decimal: failures)
            out.append(" failed")
            out.endPaint(.red)
        }
        out.append("\n")
        // A failed connection's cause is explained once under Findings; any other cause and its fix once here,
        // and a transfer that failed for the same reason as one above says what happened to it and refers to it.
        var explained: Set<String> = []
        var explanations: [String?] = []
        let rows = ordered.map { transfer -> [String] in
            var notes = TransferRow.notes(transfer)
            var explanation: String?
            // The typed cause in SPEC.md's words, so the text says what the JSON and the timeline say.
            if let cause = transfer.cause { notes.append("cause " + cause.rawValue) }
            if let wording = CauseWording.wording(of: transfer.verdict) {
                if transfer.status.raisesDataConnectionFinding {
                    // The cause and fix are under Findings; what the row cannot show (an ICMP error, a stall's
                    // counters) stays with the transfer.
                    notes.append("explained under Findings")
                    if !wording.facts.isEmpty && explained.insert(wording.facts).inserted { explanation = wording.facts }
                } else if wording.why.isEmpty || explained.insert(wording.why).inserted {
                    explanation = wording.sentence
                } else {
                    notes.append("same cause as above")
                    if !wording.what.isEmpty { explanation = wording.what }
                }
            }
            explanations.append(explanation)
            return TransferRow.cells(transfer, notes: notes)
        }
        let layout = TransferRow.Layout(rows)
        out.append("    ")
        layout.append(TransferRow.headings, color: .plain, to: &out)
        out.append("\n")
        for ((transfer, row), explanation) in zip(zip(ordered, rows), explanations) {
            out.append("    ")
            layout.append(row, color: color(for: transfer.status), to: &out)
            out.append("\n")
            if let explanation {
                out.append("        ")
                out.appendTerminal(explanation[...], clippedTo: .max)
                out.append("\n")
            }
        }
    }

    /// Text cut to `width` characters with an ellipsis.
    static func clip(_ text: String, _ width: Int) -> String {
        text.columnWidth <= width ? text : String(text.prefix(width - 1)) + "…"
    }

    static let maxArgumentWidth = 48

    /// Arguments are cut at 48 characters, and on a narrow terminal to leave the reply half the line.
    var argumentLimit: Int {
        guard let width else { return TextSummary.maxArgumentWidth }
        return max(12, min(TextSummary.maxArgumentWidth, (width - 30) / 2))
    }
    static let maxFileWidth = 40

    /// Beyond this, the text output lists a count; the JSON and CSV have everything.
    static let maxListedCommands = 200

    static func clock(_ time: Timestamp) -> String {
        // "2024-05-01T10:00:02.123456Z" → "10:00:02.123": the 12 bytes before the last 4 (the year may be wider).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Timestamp.iso8601MaximumLength) { buffer in
            let length = time.writeISO8601(into: buffer.baseAddress!)
            return String(decoding: buffer[(length - 16)..<(length - 4)], as: UTF8.self)
        }
    }

    enum Color: String {
        case red = "31"
        case green = "32"
        case yellow = "33"
        case blue = "34"
        case plain = ""
    }

    func color(for severity: Severity) -> Color {
        switch severity {
        case .high: return .red
        case .medium: return .yellow
        case .low: return .blue
        case .info: return .plain
        }
    }

    func color(for status: DataStatus) -> Color {
        switch status.gravity {
        case .ok: return .green
        case .failure: return .red
        case .warning: return .yellow
        case .none: return .plain
        }
    }

    func paint(_ text: String, _ color: Color) -> String {
        guard useColor, color != .plain else { return text }
        return "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m"
    }

    func bold(_ text: String) -> String { useColor ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
}

/// Sizes, rates and durations for people.
public enum HumanUnits {
    /// `512 B`, `1.5 KiB`, `3.2 MiB`, …
    public static func bytes(_ count: UInt64) -> String {
        if count < 1024 { return "\(count) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return oneDecimal(value) + " " + units[unit]
    }

    /// `850 ms`, `12.3 s`, `4 min 2 s`.
    public static func duration(milliseconds: Double) -> String {
        if milliseconds < 1000 { return "\(Int(milliseconds.rounded())) ms" }
        let seconds = milliseconds / 1000
        if seconds < 120 { return oneDecimal(seconds) + " s" }
        let whole = Int(seconds)
        if whole < 7200 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
    }

    /// `850 B/s`, `12.3 MiB/s`: bytes over a duration, in the units of `bytes(_:)`. Below a millisecond the
    /// duration is too coarse to mean anything, so none is given.
    public static func rate(bytes count: UInt64, milliseconds: Double) -> String {
        guard milliseconds >= 1 else { return "" }
        let perSecond = Double(count) / (milliseconds / 1000)
        guard perSecond.isFinite, perSecond < Double(UInt64.max) else { return "" }
        return Self.bytes(UInt64(perSecond.rounded())) + "/s"
    }

    static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

extension String {
    /// Pads to `width` characters; a text already that long gets one space so that columns never touch.
    func padding(_ width: Int) -> String { self + spaces(paddingCount(width)) }

    /// Spaces that bring the text to `width` columns, and at least one so columns never touch.
    func paddingCount(_ width: Int) -> Int { max(1, width - columnWidth) }

    /// Characters, for lining up columns. ASCII text (nearly all of it) is counted by its bytes: counting
    /// `Character`s runs grapheme breaking, which was a tenth of the text report's cost.
    var columnWidth: Int {
        utf8.allSatisfy { $0 < 0x80 } ? utf8.count : count
    }

    /// Underscores as spaces (`not_seen` → `not seen`), on the bytes: mapping `Character`s ran grapheme breaking
    /// for a vocabulary word, about 6,000 instructions a cell in the control-heavy profile.
    var replacingUnderscores: String {
        guard utf8.contains(UInt8(ascii: "_")) else { return self }
        return String(decoding: utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }
}

private let blanks = String(repeating: " ", count: 256)

/// `count` spaces, cut from a ready string: `String(repeating:count:)` appends them one by one, thousands of
/// instructions for a column's padding.
func spaces(_ count: Int) -> Substring {
    count <= blanks.utf8.count ? Substring(blanks.utf8.prefix(max(0, count))) : Substring(String(repeating: " ", count: count))
}
