import FTPAnalysis

/// Findings as the text summary lists them: most severe first, and each explanation once. Findings that say the
/// same thing (thirty `cleartext_credentials` of a password-guessing run, two failed data connections with the same
/// cause) become one group with a count, the sessions and the endpoints concerned.
///
/// The JSON document and the timelines keep every finding on its own; only the text merges them.
struct FindingGroup {
    /// The first finding of the group (kind, severity, wording).
    var first: Finding
    /// What the group's findings have in common, as the line says it.
    var summary: String
    /// The explanation shared by the group, said once.
    var detail: String
    /// How many findings it stands for.
    var count = 0
    /// Their sessions, in order of appearance, without repeats.
    var sessions: [String] = []
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
                groups.append(FindingGroup(first: finding, summary: key.summary, detail: key.detail))
            }
            groups[position].add(finding)
        }
        return groups.enumerated().sorted { lhs, rhs in
            if lhs.element.first.severity != rhs.element.first.severity {
                return lhs.element.first.severity > rhs.element.first.severity
            }
            if lhs.element.first.time != rhs.element.first.time { return lhs.element.first.time < rhs.element.first.time }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }

    private mutating func add(_ finding: Finding) {
        count += 1
        if let session = finding.session, !sessions.contains(session) { sessions.append(session) }
        if Key.endpointKinds.contains(finding.kind), let endpoint = finding.announcedEndpoint,
            !endpoints.contains(endpoint)
        {
            endpoints.append(endpoint)
        }
    }

    /// What makes two findings the same for a reader: kind, severity, and the same sentences once what differs
    /// between them (the endpoint a failed data connection went to) is set apart.
    struct Key: Hashable {
        var kind: FindingKind
        var severity: Severity
        var summary: String
        var detail: String

        /// Kinds whose findings name one data endpoint each, which a group lists instead of repeating.
        static let endpointKinds: Set<FindingKind> = [.failedDataConnection]

        init(_ finding: Finding) {
            kind = finding.kind
            severity = finding.severity
            summary = finding.summary
            detail = CauseWording.detail(of: finding)
            if Key.endpointKinds.contains(finding.kind) {
                // "data connection for LIST unanswered (10.0.0.2:54445)": the endpoint is listed by the group.
                if let endpoint = finding.announcedEndpoint, summary.hasSuffix(" (\(endpoint))") {
                    summary = String(summary.dropLast(endpoint.count + 3))
                }
                // The diagnosis opens with a sentence about this one connection ("The server's data connection
                // to 10.0.0.2:54445 got no answer (5 SYNs unanswered).") that the transfer line says already;
                // what follows is the cause and the fix, the same for every connection that failed alike.
                let bytes = Array(detail.utf8)
                if let cut = bytes.indices.dropLast().first(where: { bytes[$0] == 0x2E && bytes[$0 + 1] == 0x20 }),
                    cut + 2 < bytes.count
                {
                    detail = String(decoding: bytes[(cut + 2)...], as: UTF8.self)
                }
            }
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
        for group in FindingGroup.make(findings) {
            // "[medium]" is the longest tag: every tag gets its width plus one space.
            let tag = "[\(group.first.severity.rawValue)]".padding(9)
            var line = group.first.kind.rawValue
            if group.count > 1 { line += " ×\(group.count)" }
            if !group.sessions.isEmpty { line += " (" + TextSummary.sessionList(group.sessions) + ")" }
            line += ": " + Escaping.terminal(group.summary)
            if !group.endpoints.isEmpty { line += " (" + TextSummary.list(group.endpoints, limit: 4) + ")" }
            out += "  " + paint(tag, color(for: group.first.severity)) + line + "\n"
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
        var out: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index] == ".", next < text.endIndex, text[next] == " " {
                out.append(text[start..<next])
                start = text.index(after: next)
                index = start
                continue
            }
            index = next
        }
        if start < text.endIndex { out.append(text[start...]) }
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
