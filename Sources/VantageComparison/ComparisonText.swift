import Reports

/// The comparison for people: one block per session pair, the capture points' views side by side.
public enum ComparisonText {
    /// The whole text, ending with a newline.
    public static func render(_ result: ComparisonReport) -> String {
        let labels = result.captures.map { Escaping.terminal($0.label) }
        var out = ""
        let pairs = result.groups.count
        out +=
            "\(result.captures.count) captures, \(pairs) session \(pairs == 1 ? "pair" : "pairs"), \(result.unpaired.count) unpaired\n"
        let labelWidth = labels.map(\.count).max() ?? 0
        for (index, capture) in result.captures.enumerated() {
            out += "  \(pad(labels[index], labelWidth))  \(Escaping.terminal(capture.path))\n"
        }
        for (number, group) in result.groups.enumerated() {
            out += "\n"
            out += block(group, number: number + 1, labels: labels)
        }
        if !result.unpaired.isEmpty {
            out += "\nUnpaired (seen at one capture point only):\n"
            for session in result.unpaired {
                out += "  \(labels[session.capture]) \(session.session)  \(session.client) → \(session.server)\n"
            }
        }
        return out
    }

    static func block(_ group: SessionGroup, number: Int, labels: [String]) -> String {
        let present = group.sessions.indices.filter { group.sessions[$0] != nil }
        var out = "Pair \(number): "
        out += present.map { "\(labels[$0]) \(group.sessions[$0]!.id)" }.joined(separator: " = ")
        let offsets = present.compactMap { index in group.clockOffsets[index].map { (index, $0) } }
        if offsets.count >= 2 {
            out +=
                ", clock offset \(labels[offsets[1].0]) − \(labels[offsets[0].0]) \(signedMilliseconds(offsets[1].1 - offsets[0].1))"
        }
        out += "\n"
        var rows: [[String]] = [[""] + present.map { labels[$0] }]
        func endpoints(_ name: String, _ value: (SessionSnapshot) -> String) {
            let cells = present.map { value(group.sessions[$0]!) }
            rows.append([name] + cells + (Set(cells).count > 1 ? ["(translated)"] : []))
        }
        endpoints("client end") { $0.client.description }
        endpoints("server end") { $0.server.description }
        var notes: [Int: [String]] = [:]
        for (index, transfer) in group.transfers.enumerated() {
            let title = [transfer.announcementVerb?.name, transfer.command?.name, transfer.argument.map { Escaping.terminal($0) }]
                .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            rows.append(["\(index + 1). \(title)"])
            let rewritten: [String] =
                switch transfer.rewritten {
                case true?: ["(rewritten)"]
                case false?: ["(same text)"]
                case nil: []
                }
            rows.append(
                ["   announced"] + present.map { transfer.views[$0]?.announced?.description ?? "-" } + rewritten)
            rows.append(["   status"] + present.map { status(transfer.views[$0]) })
            var lines: [String] = []
            if let span = transfer.lostBetween {
                lines.append(
                    "lost between \(labels[span.seenAt]) → \(labels[span.missingAt])"
                        + (transfer.cause.map { ", cause \($0.rawValue)" } ?? ""))
            } else if let cause = transfer.cause {
                lines.append("cause \(cause.rawValue)")
            }
            if let detail = transfer.detail { lines.append(Escaping.terminal(detail)) }
            notes[rows.count - 1] = lines
        }
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        // Transfer titles span the whole line: they do not widen the first column.
        for row in rows where row.count > 1 {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        for (index, row) in rows.enumerated() {
            var line = "  "
            for (column, cell) in row.enumerated() {
                line += column == row.count - 1 ? cell : pad(cell, widths[column]) + "  "
            }
            out += line + "\n"
            for note in notes[index] ?? [] {
                for piece in wrap(note, width: lineWidth - 5) { out += "     \(piece)\n" }
            }
        }
        return out
    }

    /// Verdicts in words are wrapped to this many columns (the side-by-side table itself is not).
    static let lineWidth = 116

    /// Splits at spaces into lines of at most `width` characters (a longer word stays whole).
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if !current.isEmpty && current.count + 1 + word.count > width {
                lines.append(current)
                current = String(word)
            } else {
                current += current.isEmpty ? String(word) : " " + word
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    static func status(_ view: TransferSnapshot?) -> String {
        guard let view else { return "-" }
        var text = view.status.rawValue
        if let connection = view.connection, !connection.answered, connection.syns > 0, !view.status.isSuccess {
            let syns = connection.syns
            text += " (\(syns) SYN\(syns == 1 ? "" : "s"))"
        }
        return text
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// `+0.123 ms`, `-7000.004 ms`: microsecond precision, as the captures have.
    static func signedMilliseconds(_ nanoseconds: Int64) -> String {
        let micro = (abs(nanoseconds) + 500) / 1000
        let fraction = String(micro % 1000)
        return
            "\(nanoseconds < 0 && micro > 0 ? "-" : "+")\(micro / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) ms"
    }
}
