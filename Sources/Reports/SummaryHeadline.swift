import FTPAnalysis
import NetworkTypes

/// What the headline counts: sessions by login outcome and transfers by outcome. The streaming summary adds
/// them up as sessions and transfers settle; the whole report from its sessions.
public struct SummaryCounts: Sendable {
    /// Sessions seen.
    public var sessions = 0
    /// Sessions encrypted before any login was seen: their login is out of sight, not missing.
    public var hiddenLogins = 0
    /// Sessions by login outcome.
    public var logins: [LoginOutcome: Int] = [:]
    /// Transfers by outcome.
    public var transfers: [DataStatus: Int] = [:]

    /// No sessions, no transfers.
    public init() {}

    /// Counts a settled session (its transfers are counted apart, as they settle).
    public mutating func add(session: FTPSession) {
        sessions += 1
        if session.tls && session.login == .none {
            hiddenLogins += 1
        } else {
            logins[session.login, default: 0] += 1
        }
    }

    /// The counts of a whole report.
    init(_ sessions: [FTPSession]) {
        for session in sessions {
            add(session: session)
            for transfer in session.transfers { transfers[transfer.status, default: 0] += 1 }
        }
    }
}

extension TextSummary {
    /// The first lines: the captures read, the sessions with their logins, the transfers by outcome.
    func renderHeadline(_ input: ReportInput, _ counts: SummaryCounts) -> String {
        var out = renderCaptures(input.inputs)
        if let narrowing = input.narrowing ?? narrowing, !narrowing.isEmpty {
            out += paint("narrowed to " + Escaping.terminal(narrowing.description), .yellow) + "\n"
        }
        if counts.sessions == 0 {
            out += "No FTP sessions found.\n"
        } else {
            out += bold(SessionWording.count(counts.sessions, "FTP session")) + ": "
            let logins: [(LoginOutcome, String)] = [
                (.succeeded, "logged in"), (.anonymous, "anonymous"), (.failed, "login failed"),
                (.unknown, "login not answered"), (.none, "no login seen"),
            ]
            var parts = logins.compactMap { outcome, words in counts.logins[outcome].map { "\($0) \(words)" } }
            if counts.hiddenLogins > 0 { parts.append("\(counts.hiddenLogins) encrypted (login not visible)") }
            out += parts.joined(separator: ", ") + "\n"
        }
        let total = counts.transfers.values.reduce(0, +)
        if total > 0 {
            // Failures first, the worst kinds of failure before the rest, as the reader looks for them.
            let order = DataStatus.allCases.filter(\.isFailure) + [.completed, .unused]
            out += bold(SessionWording.count(total, "transfer")) + ": "
            out += order.compactMap { status in
                counts.transfers[status].map { count in
                    paint("\(count) \(status.rawValue.replacingUnderscores)", color(for: status))
                }
            }.joined(separator: ", ")
            out += "\n"
        }
        return out + "\n"
    }

    /// One line per capture, or one line for a set of many, then any warning.
    func renderCaptures(_ inputs: [InputDescription]) -> String {
        var out = ""
        if inputs.count <= 3 {
            for file in inputs {
                // Format and link type are in the JSON document; a reader needs the size and the time span.
                out += "capture \(Escaping.terminal(file.path)): \(file.packets) packets, \(HumanUnits.bytes(file.bytes))"
                if let first = file.firstTime, let last = file.lastTime { out += ", " + TextSummary.span(first, last) }
                out += "\n"
            }
        } else {
            let packets = inputs.reduce(0) { $0 + $1.packets }
            let bytes = inputs.reduce(0) { $0 + $1.bytes }
            out += "\(inputs.count) captures: \(packets) packets, \(HumanUnits.bytes(bytes))"
            let firsts = inputs.compactMap(\.firstTime)
            let lasts = inputs.compactMap(\.lastTime)
            if let first = firsts.min(), let last = lasts.max() { out += ", " + TextSummary.span(first, last) }
            out += "\n"
        }
        let warnings = inputs.compactMap { file in file.warning.map { (file.path, $0) } }
        for (path, warning) in warnings.prefix(3) {
            let prefix = inputs.count > 1 ? Escaping.terminal(path) + ": " : ""
            out += paint("  warning: " + prefix + Escaping.terminal(warning), .yellow) + "\n"
        }
        if warnings.count > 3 { out += paint("  … and \(warnings.count - 3) more warnings", .yellow) + "\n" }
        return out
    }

    /// `2024-05-01 10:00:02 – 10:00:14 UTC (12.1 s)`; the date again when the span crosses midnight. The
    /// microseconds are in the JSON document.
    static func span(_ first: Timestamp, _ last: Timestamp) -> String {
        let start = first.iso8601
        let end = last.iso8601
        // "2024-05-01T10:00:02.123456Z": the date is what precedes "T", the time the 8 characters after it.
        func parts(_ text: String) -> (Substring, Substring) {
            guard let t = text.firstIndex(of: "T") else { return (text[...], "") }
            let time = text[text.index(after: t)...].prefix(8)
            return (text[..<t], time)
        }
        let (startDate, startTime) = parts(start)
        let (endDate, endTime) = parts(end)
        let duration = HumanUnits.duration(milliseconds: first.milliseconds(to: last))
        if startDate == endDate { return "\(startDate) \(startTime) – \(endTime) UTC (\(duration))" }
        return "\(startDate) \(startTime) – \(endDate) \(endTime) UTC (\(duration))"
    }

    /// The last line: the totals a reader needs; the internal counters stay in the JSON document's `stats`.
    func renderTotals(_ stats: [(String, UInt64)]) -> String {
        let value = Dictionary(stats, uniquingKeysWith: { first, _ in first })
        var parts: [String] = []
        if let packets = value["packets"] {
            parts.append("\(packets) packets" + (value["bytes"].map { " (\(HumanUnits.bytes($0)))" } ?? ""))
        }
        if let count = value["tcp_connections"] { parts.append(SessionWording.count(Int(count), "TCP connection")) }
        if let count = value["data_connections"] { parts.append(SessionWording.count(Int(count), "data connection")) }
        // Counters that matter to a reader only when they are not zero: something was lost or not understood.
        let notable: [(String, String, String)] = [
            ("decode_errors", "packet not decoded", "packets not decoded"),
            ("ip_fragments", "IP fragment", "IP fragments"),
            ("ip_datagrams_reassembled", "datagram reassembled from fragments", "datagrams reassembled from fragments"),
            ("ip_fragments_conflicting", "conflicting IP fragment", "conflicting IP fragments"),
            ("ip_fragments_tiny", "tiny IP fragment", "tiny IP fragments"),
            ("ip_fragments_dropped_overlap", "IP fragment dropped (overlap)", "IP fragments dropped (overlap)"),
            ("ip_fragments_dropped_timeout", "IP fragment timed out", "IP fragments timed out"),
            ("ip_fragments_dropped_capacity", "IP fragment dropped at the cap", "IP fragments dropped at the cap"),
            ("ip_fragments_dropped_malformed", "impossible IP fragment", "impossible IP fragments"),
            ("tcp_inconsistent_retransmissions", "conflicting TCP retransmission", "conflicting TCP retransmissions"),
            ("tcp_data_after_fin", "segment with data after FIN", "segments with data after FIN"),
            ("icmp_unreachable", "ICMP unreachable message", "ICMP unreachable messages"),
            ("dropped_expectations", "announcement dropped at the cap", "announcements dropped at the cap"),
            ("dropped_pending_commands", "command dropped at the cap", "commands dropped at the cap"),
            ("timeline_rows_out_of_order", "timeline row out of order", "timeline rows out of order"),
        ]
        for (name, singular, plural) in notable {
            if let count = value[name], count > 0 { parts.append(SessionWording.count(Int(count), singular, plural)) }
        }
        return bold("Totals") + ": " + parts.joined(separator: ", ") + "\n"
    }
}
