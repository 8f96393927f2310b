import FTPAnalysis

/// Findings as the text summary lists them: most severe first, and each explanation once. Findings that say the
/// same thing (thirty `cleartext_credentials` of a password-guessing run) become one group with a count and the
/// sessions concerned; failed data connections with the same typed cause and the same explanation become one group
/// with the endpoints concerned, and the cause and its fix are said once.
///
/// The JSON document and the timelines keep every finding on its own; only the text merges them.
struct FindingGroup {
    /// The first finding of the group (kind, severity, wording).
    var first: Finding
    /// What the group's findings have in common, as the line says it.
    var summary: String
    /// The explanation shared by the group, said once.
    var detail: String
    /// The typed cause shared by the group's failed data connections.
    var cause: DataCause?
    /// What each failed data connection was ("LIST unanswered"), in order, without repeats.
    var subjects: [String] = []
    /// How many findings it stands for.
    var count = 0
    /// Their sessions, in order of appearance, without repeats.
    var sessions: [String] = []
    /// The same ids as a set: a capture with one finding per session (cleartext logins on 16,000 sessions) made
    /// the `contains` on the list quadratic.
    private var sessionSet: Set<String> = []
    private var endpointSet: Set<String> = []
    /// Endpoints named by the findings (the announced data endpoint), in order, without repeats.
    var endpoints: [String] = []

    /// Groups `findings` and orders the groups from high to info, then by the time of their first finding.
    static func make(_ findings: [Finding]) -> [FindingGroup] {
        var groups: [FindingGroup] = []
        var index: [Key: Int] = [:]
        for finding in findings {
            let key = Key(finding)
            let position: Int
            if let existing = index[key] {
                position = existing
            } else {
                position = groups.count
                index[key] = position
                groups.append(FindingGroup(first: finding, summary: key.summary, detail: key.detail, cause: key.cause))
            }
            groups[position].add(finding)
        }
        // A group that lists its subjects is summarised once it has them all, not again at each finding.
        for position in groups.indices where !groups[position].subjects.isEmpty { groups[position].summarise() }
        // Sorted by small keys, then gathered: sorting the groups themselves moved their strings and sets around.
        let keys = groups.map { (severity: $0.first.severity, time: $0.first.time) }
        let order = groups.indices.sorted { lhs, rhs in
            if keys[lhs].severity != keys[rhs].severity { return keys[lhs].severity > keys[rhs].severity }
            if keys[lhs].time != keys[rhs].time { return keys[lhs].time < keys[rhs].time }
            return lhs < rhs
        }
        return order.map { groups[$0] }
    }

    private mutating func add(_ finding: Finding) {
        count += 1
        if let session = finding.session, sessionSet.insert(session).inserted { sessions.append(session) }
        guard Key.endpointKinds.contains(finding.kind) else { return }
        let endpoint = finding.announcedEndpoint
        if let endpoint, endpointSet.insert(endpoint).inserted { endpoints.append(endpoint) }
        // "data connection for LIST unanswered (10.0.0.2:54445)": the endpoint is listed by the group. Compared
        // as bytes: the summary is our own wording around an endpoint (ASCII), and comparing `Character`s ran
        // grapheme breaking over every summary.
        var subject = Substring(finding.summary)
        if let endpoint {
            let tail = " (" + endpoint + ")"
            if subject.utf8.count >= tail.utf8.count, subject.utf8.suffix(tail.utf8.count).elementsEqual(tail.utf8) {
                subject = subject.dropLast(endpoint.count + 3)
            }
        }
        if subject.utf8.starts(with: Self.subjectPrefix.utf8) { subject = subject.dropFirst(Self.subjectPrefix.count) }
        if !subjects.contains(where: { $0 == subject }) { subjects.append(String(subject)) }
    }

    /// The summary of a group of failed data connections: what they were, listed.
    private mutating func summarise() {
        summary = subjects.count == 1
            ? Self.subjectPrefix + subjects[0]
            : "data connections for " + TextSummary.list(subjects, limit: 4)
    }

    /// How a `failed_data_connection` summary begins.
    private static let subjectPrefix = "data connection for "

    /// What makes two findings the same for a reader: kind, severity and the same sentences; for failed data
    /// connections, the same typed cause and the same cause-and-fix wording (what differs between them, the
    /// command, the endpoint and the SYNs, is listed by the group and said on the transfer lines).
    struct Key: Hashable {
        var kind: FindingKind
        var severity: Severity
        var summary: String
        var detail: String
        var cause: DataCause?

        /// Kinds whose findings name one data endpoint each, which a group lists instead of repeating.
        static let endpointKinds: Set<FindingKind> = [.failedDataConnection]

        init(_ finding: Finding) {
            kind = finding.kind
            severity = finding.severity
            summary = finding.summary
            detail = finding.detail
            guard Key.endpointKinds.contains(finding.kind), let verdict = finding.verdict else { return }
            // The group's summary is made from its findings' subjects.
            summary = ""
            cause = verdict.cause
            if let wording = CauseWording.wording(of: verdict), !wording.why.isEmpty { detail = wording.why }
        }
    }
}

extension Finding {
    /// The data endpoint a finding is about, from its evidence.
    var announcedEndpoint: String? {
        for (name, value) in evidence where name == "announced" {
            if case .string(let text) = value { return text }
        }
        return nil
    }
}

extension TextSummary {
    /// The findings section: a heading, then per group a line with severity, kind, count, sessions and summary,
    /// and the explanation below it.
    func renderFindings(_ findings: [Finding]) -> String {
        guard !findings.isEmpty else { return "" }
        var out = bold("Findings, most severe first") + "\n"
        var said: Set<Substring> = []
        let groups = FindingGroup.make(findings)
        // A cause that failed data connections show is explained with them, once: another finding about the same
        // cause (the NAT mismatch behind the failures) names it and refers there.
        let failureCauses = Set(groups.filter { $0.first.kind == .failedDataConnection }.compactMap(\.cause))
        for group in groups {
            // "[medium]" is the longest tag: every tag gets its width plus one space.
            let tag = "[\(group.first.severity.rawValue)]".padding(9)
            var line = group.first.kind.rawValue
            if group.count > 1 { line += " ×\(group.count)" }
            if !group.sessions.isEmpty { line += " (" + TextSummary.sessionList(group.sessions) + ")" }
            line += ": " + Escaping.terminal(group.summary)
            if !group.endpoints.isEmpty { line += " (" + TextSummary.list(group.endpoints, limit: 4) + ")" }
            if let cause = group.cause { line += ", cause " + cause.rawValue }
            var referred = false
            if group.first.kind != .failedDataConnection, let cause = group.first.facts.cause,
                failureCauses.contains(cause)
            {
                line += ", cause \(cause.rawValue), explained under failed_data_connection"
                referred = true
            }
            out += "  " + paint(tag, color(for: group.first.severity)) + line + "\n"
            if referred { continue }
            // Each sentence once: what an earlier group explained already is not said again.
            // With --summary, the low and info findings are their line alone: the summary fits one screen.
            if !listCommands && group.first.severity < .medium { continue }
            let new = TextSummary.sentences(group.detail).filter { said.insert($0).inserted }
            if !new.isEmpty { out += "           " + Escaping.terminal(new.joined(separator: " ")) + "\n" }
        }
        return out + "\n"
    }

    /// A text's sentences, cut after each `. ` (an address or a version number has no space after its dots).
    static func sentences(_ text: String) -> [Substring] {
        // Walked on the UTF-8 view: `.` and ` ` are ASCII, so their positions are valid cuts, and stepping by
        // `Character` ran grapheme breaking on every byte of every finding's text.
        var out: [Substring] = []
        let bytes = text.utf8
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let next = bytes.index(after: index)
            if bytes[index] == UInt8(ascii: "."), next < bytes.endIndex, bytes[next] == UInt8(ascii: " ") {
                out.append(text[start..<next])
                start = bytes.index(after: next)
                index = start
                continue
            }
            index = next
        }
        if start < bytes.endIndex { out.append(text[start...]) }
        return out
    }

    /// `S1–S30`, `S2, S5–S7`: session ids in ranges, at most a handful of parts.
    static func sessionList(_ sessions: [String]) -> String {
        let numbers = sessions.compactMap { Int($0.dropFirst()) }.sorted()
        guard numbers.count == sessions.count else { return list(sessions, limit: 6) }
        var parts: [String] = []
        var index = 0
        while index < numbers.count {
            var end = index
            while end + 1 < numbers.count && numbers[end + 1] == numbers[end] + 1 { end += 1 }
            parts.append(end == index ? "S\(numbers[index])" : "S\(numbers[index])–S\(numbers[end])")
            index = end + 1
        }
        return list(parts, limit: 6)
    }

    /// Items joined with commas, the rest counted: `a, b, c and 4 more`.
    static func list(_ items: [String], limit: Int) -> String {
        guard items.count > limit else { return items.joined(separator: ", ") }
        return items.prefix(limit).joined(separator: ", ") + " and \(items.count - limit) more"
    }
}
