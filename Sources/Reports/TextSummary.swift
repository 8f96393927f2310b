import FTPAnalysis
import NetworkTypes

/// The human summary printed by default: per session its endpoints, user, login, commands and transfers, then
/// the findings and the totals. All wire text is escaped for the terminal.
public struct TextSummary {
    /// Colour with ANSI sequences (only on a terminal, never with NO_COLOR; the caller decides).
    public var useColor: Bool
    /// Print every command, not just a count.
    public var listCommands: Bool

    /// Creates a renderer.
    public init(useColor: Bool = false, listCommands: Bool = true) {
        self.useColor = useColor
        self.listCommands = listCommands
    }

    /// Renders the whole report.
    public func render(_ input: ReportInput) -> String {
        var out = ""
        for file in input.inputs {
            out += "capture \(Escaping.terminal(file.path)): \(file.format), \(file.linkType), \(file.packets) packets, \(HumanUnits.bytes(file.bytes))"
            if let first = file.firstTime, let last = file.lastTime {
                out += ", \(first.iso8601) – \(last.iso8601)"
            }
            out += "\n"
            if let warning = file.warning { out += paint("  warning: \(Escaping.terminal(warning))", .yellow) + "\n" }
        }
        out += "\n"
        if input.sessions.isEmpty { out += "No FTP sessions found.\n\n" }
        for session in input.sessions { out += renderSession(session, input.passwords) + "\n" }
        if !input.findings.isEmpty {
            out += bold("Findings") + "\n"
            for finding in input.findings {
                let tag = "[\(finding.severity.rawValue)]".padding(8)
                out += "  " + paint(tag, color(for: finding.severity)) + " " + (finding.session.map { "\($0) " } ?? "")
                    + finding.kind.rawValue + ": " + Escaping.terminal(finding.summary) + "\n"
                out += "           " + Escaping.terminal(finding.detail) + "\n"
            }
            out += "\n"
        }
        out += bold("Totals") + ": "
        out += input.stats.map { "\($0.0.replacingUnderscores) \($0.1)" }.joined(separator: ", ")
        out += "\n"
        var statusCounts: [DataStatus: Int] = [:]
        for session in input.sessions { for transfer in session.transfers { statusCounts[transfer.status, default: 0] += 1 } }
        if !statusCounts.isEmpty {
            out += "Transfers: "
            out += DataStatus.allCases.compactMap { status in statusCounts[status].map { "\(status.rawValue) \($0)" } }
                .joined(separator: ", ")
            out += "\n"
        }
        return out
    }

    func renderSession(_ session: FTPSession, _ passwords: PasswordPolicy) -> String {
        var out = bold("\(session.id)  \(session.client) -> \(session.server)")
        out += "  \(session.start.iso8601)  (\(HumanUnits.duration(milliseconds: session.start.milliseconds(to: session.end))))\n"
        if let banner = session.banner {
            out += "  banner:  \(Escaping.terminal(banner.split(separator: "\n").first ?? ""))\n"
        }
        let login = session.login
        let loginText = paint(login.rawValue, login == .failed ? .red : (login == .succeeded || login == .anonymous ? .green : .plain))
        out += "  user:    \(Escaping.terminal(session.user ?? "-"))  login \(loginText)"
        if session.loginAttempts.count > 1 { out += " (\(session.loginAttempts.count) attempts)" }
        if session.tls { out += "  " + paint(session.implicitTLS ? "TLS (implicit)" : "TLS", .green) }
        out += "\n"
        out += "  ended:   \(session.endState.rawValue) (\(session.connectionState.rawValue))"
        if session.startedMidstream { out += ", capture began mid-session" }
        if session.detectedByContent { out += ", FTP found by content on port \(session.server.port)" }
        out += "\n"
        out += "  commands: \(session.commands.count)\n"
        if listCommands {
            for command in session.commands.prefix(TextSummary.maxListedCommands) {
                let argument = Escaping.terminal(passwords.displayArgument(of: command))
                var line = "    \(TextSummary.clock(command.time))  \(Escaping.terminal(command.verb))"
                if !argument.isEmpty { line += " " + argument.prefix(120) }
                line = line.padding(56)
                if let reply = command.reply {
                    let text = Escaping.terminal(reply.text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
                    line += " → " + paint("\(reply.code)", reply.code >= 400 ? .red : .plain) + " " + text.prefix(70)
                } else {
                    line += " → (no reply)"
                }
                out += line + "\n"
            }
            if session.commands.count > TextSummary.maxListedCommands {
                out += "    … \(session.commands.count - TextSummary.maxListedCommands) more (see --format json or --csv)\n"
            }
        }
        if !session.transfers.isEmpty {
            out += "  transfers: \(session.transfers.count)\n"
            for transfer in session.transfers {
                var line = "    " + paint(transfer.status.rawValue.padding(13), color(for: transfer.status))
                line += (transfer.mode?.rawValue ?? "-").padding(17)
                let what = [transfer.command, transfer.argument.map { Escaping.terminal($0) }].compactMap { $0 }
                    .joined(separator: " ")
                line += (what.isEmpty ? "(no command)" : String(what.prefix(40))).padding(30)
                line += "announced " + (transfer.announced?.description ?? "-")
                if let observed = transfer.observed, observed != transfer.announced { line += ", observed \(observed)" }
                if transfer.bytes > 0 { line += ", \(HumanUnits.bytes(transfer.bytes))" }
                if transfer.synAttempts > 1 || transfer.status == .unanswered { line += ", \(transfer.synAttempts) SYN" }
                if let reply = transfer.reply { line += ", reply \(reply.code)" }
                out += line + "\n"
                if let diagnosis = transfer.diagnosis { out += "        " + Escaping.terminal(diagnosis) + "\n" }
            }
        }
        return out
    }

    /// Beyond this, the text output lists a count; the JSON and CSV have everything.
    static let maxListedCommands = 200

    static func clock(_ time: Timestamp) -> String {
        let iso = time.iso8601
        // "2024-05-01T10:00:02.123456Z" → "10:00:02.123"
        let start = iso.index(iso.startIndex, offsetBy: 11)
        let end = iso.index(start, offsetBy: 12)
        return String(iso[start..<end])
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
        switch status {
        case .completed: return .green
        case .refused, .unanswered, .notSeen, .reset, .aborted: return .red
        case .commandFailed, .incomplete, .notCaptured: return .yellow
        case .unused: return .plain
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

    static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }

    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
