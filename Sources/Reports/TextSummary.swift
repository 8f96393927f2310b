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
        guard listCommands else { return renderOneLiner(session) }
        var out = bold("\(session.id)  \(session.client) -> \(session.server)")
        out += "  \(session.start.iso8601)  (\(HumanUnits.duration(milliseconds: session.start.milliseconds(to: session.end))))\n"
        if let banner = session.banner {
            let first = String(banner.firstLine)
            if let earlier = said?.banner(first, session: session.id) {
                out += "  banner:  same as \(earlier)\n"
            } else {
                out += "  banner:  \(Escaping.terminal(first))\n"
            }
        }
        let login = session.login
        let loginText = paint(
            SessionWording.login(session),
            login == .failed ? .red : (login == .succeeded || login == .anonymous ? .green : .plain))
        out += "  user:    "
        if let user = session.user { out += Escaping.terminal(user) + ", " }
        out += loginText
        if session.tls { out += ", " + paint(session.implicitTLS ? "TLS from the first byte" : "TLS after AUTH", .green) }
        out += "\n"
        out += "  ended:   " + SessionWording.ended(session)
        if session.startedMidstream { out += ", capture began mid-session" }
        if session.detectedByContent { out += ", FTP found by content on port \(session.server.port)" }
        out += "\n"
        // Under a status filter, the transfers with a kept outcome and the commands that announced or ran them.
        let transfers = narrowing?.transfers(of: session) ?? session.transfers
        var commands = session.commands[...]
        if narrowing?.statuses != nil {
            let kept = Set(transfers.map(ObjectIdentifier.init))
            let shown = session.commands.filter { command in
                command.transferIndex.map { $0 < session.transfers.count && kept.contains(ObjectIdentifier(session.transfers[$0])) } ?? false
            }
            out += "  commands: \(session.commands.count), \(shown.count) of them about the transfers shown\n"
            commands = shown[...]
        } else {
            out += "  commands: \(session.commands.count)\n"
        }
        out += renderCommands(commands, total: commands.count, passwords)
        if !transfers.isEmpty { out += renderTransfers(transfers, session: session) }
        return out
    }

    private func renderCommands(_ commands: ArraySlice<CommandRecord>, total: Int, _ passwords: PasswordPolicy) -> String {
        let listed = commands.prefix(TextSummary.maxListedCommands)
        let cells = listed.map { command -> (String, String) in
            let argument = Escaping.terminal(passwords.displayArgument(of: command))
            return (Escaping.terminal(command.verbText), TextSummary.clip(argument, argumentLimit))
        }
        // Columns as wide as this session needs, so replies line up without a sea of spaces.
        let verbWidth = cells.map { $0.0.columnWidth }.max() ?? 0
        let argumentWidth = cells.map { $0.1.columnWidth }.max() ?? 0
        var out = ""
        out.reserveCapacity(listed.count * (verbWidth + argumentWidth + 48))
        for (command, (verb, argument)) in zip(listed, cells) {
            // Appended piece by piece into one string: building each line from `+` made a dozen temporaries.
            out += "    "
            out += TextSummary.clock(command.time)
            out += "  "
            appendPadded(verb, verbWidth + 1, to: &out)
            if argumentWidth > 0 { appendPadded(argument, argumentWidth + 1, to: &out) }
            if let reply = command.reply {
                out += "→ "
                out += paint(String(reply.code), reply.code >= 400 ? .red : .plain)
                out += " "
                // On a terminal the reply is shortened to the room left on the line rather than wrapped: a
                // command list reads down, one command a line (the full text is in the JSON and the CSV).
                var room = 70
                if let width {
                    room = max(12, width - (4 + 12 + 2 + verbWidth + 1 + (argumentWidth > 0 ? argumentWidth + 1 : 0) + 6))
                    if let latency = command.replyTimeMilliseconds, latency >= 1000 {
                        room = max(12, room - HumanUnits.duration(milliseconds: latency).count - 4)
                    }
                }
                out += TextSummary.clip(Escaping.terminal(reply.text.firstLine), min(70, room))
                if let latency = command.replyTimeMilliseconds, latency >= 1000 {
                    out += "  ("
                    out += HumanUnits.duration(milliseconds: latency)
                    out += ")"
                }
            } else {
                out += "→ (no reply)"
            }
            out += "\n"
        }
        if total > TextSummary.maxListedCommands {
            out += "    … \(total - TextSummary.maxListedCommands) more (see --format json or --csv)\n"
        }
        return out
    }

    /// `text` and spaces to `width` (at least one space), as `padding` makes it, without the temporary.
    private func appendPadded(_ text: String, _ width: Int, to out: inout String) {
        out += text
        out += spaces(text.paddingCount(width))
    }

    private func renderTransfers(_ transfers: [Transfer], session: FTPSession) -> String {
        // Failures first (what the reader came for), each group in time order.
        let ordered = transfers.enumerated().sorted { lhs, rhs in
            let left = (lhs.element.status.isFailure ? 0 : 1, lhs.element.start ?? session.start, lhs.offset)
            let right = (rhs.element.status.isFailure ? 0 : 1, rhs.element.start ?? session.start, rhs.offset)
            return left < right
        }.map(\.element)
        let failures = ordered.filter { $0.status.isFailure }.count
        var out = "  transfers: \(transfers.count)"
        if failures > 0 { out += ", " + paint("\(failures) failed", .red) }
        out += "\n"
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
        let table = TransferRow.table(rows)
        out += "    " + table.heading + "\n"
        for ((transfer, line), explanation) in zip(zip(ordered, table.lines), explanations) {
            out += "    " + line.before + paint(line.status, color(for: transfer.status)) + line.after + "\n"
            if let explanation { out += "        " + Escaping.terminal(explanation) + "\n" }
        }
        return out
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

    func leftPadding(_ width: Int) -> String {
        let count = columnWidth
        return count >= width ? self : spaces(width - count) + self
    }

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
