import FTPAnalysis

/// The transfer lines of a session block: one row per transfer under column headings, in plain words (an empty
/// cell rather than `-`; an encrypted session's inferred transfers say so).
enum TransferRow {
    /// Column headings, in the order of `cells`.
    static let headings = ["started", "command", "file", "mode", "endpoint", "outcome", "size", "rate", "notes"]
    /// Columns aligned right, like numbers in a table.
    static let rightAligned: Set<Int> = [6, 7]
    /// The outcome column, coloured by the caller.
    static let statusColumn = 5

    /// The cells of one transfer.
    static func cells(_ transfer: Transfer, notes: [String]) -> [String] {
        let file = transfer.path ?? transfer.argument ?? ""
        var endpoint = transfer.announced?.description ?? transfer.observed?.description ?? ""
        if let observed = transfer.observed, let announced = transfer.announced, observed != announced {
            endpoint = "\(announced) (observed \(observed))"
        }
        var size = ""
        var rate = ""
        if transfer.observedConnection != nil && (transfer.bytes > 0 || transfer.status == .completed) {
            size = HumanUnits.bytes(transfer.bytes)
            if let connection = transfer.observedConnection, transfer.bytes > 0 {
                rate = HumanUnits.rate(
                    bytes: transfer.bytes, milliseconds: connection.firstTime.milliseconds(to: connection.lastTime))
            }
        }
        // A transfer inferred in an encrypted session: its command was sent inside TLS.
        let command = transfer.command?.name ?? (transfer.inferred ? "(encrypted)" : transfer.announcementVerb?.name ?? "")
        return [
            transfer.start.map(TextSummary.clock) ?? "",
            command,
            TextSummary.clip(Escaping.terminal(file), TextSummary.maxFileWidth),
            transfer.mode?.rawValue.replacingUnderscores ?? "",
            endpoint,
            transfer.status.rawValue.replacingUnderscores,
            size,
            rate,
            notes.joined(separator: ", "),
        ]
    }

    /// SYN count and reply code, when they tell something (a 2xx reply to a transfer that completed does not).
    static func notes(_ transfer: Transfer) -> [String] {
        var notes: [String] = []
        let syns = transfer.synAttempts
        if syns > 1 || transfer.status == .unanswered { notes.append("\(syns) SYN\(syns == 1 ? "" : "s")") }
        if let reply = transfer.reply, !(transfer.status == .completed && (200..<300).contains(reply.code)) {
            notes.append("reply \(reply.code)")
        }
        return notes
    }

    /// One laid-out line: the text before the outcome, the outcome, and the text after it.
    struct Line {
        var before: String
        var status: String
        var after: String
    }

    /// Lays the rows out under the headings; columns empty in every row are left out.
    static func table(_ rows: [[String]]) -> (heading: String, lines: [Line]) {
        var widths = [Int](repeating: 0, count: headings.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.columnWidth) } }
        let shown = widths.indices.filter { widths[$0] > 0 || $0 == statusColumn }
        for index in shown { widths[index] = max(widths[index], headings[index].columnWidth) }
        let last = shown.last ?? 0
        func lay(_ row: [String]) -> Line {
            var line = Line(before: "", status: "", after: "")
            for index in shown {
                let cell = row[index]
                let text: String
                if rightAligned.contains(index) {
                    text = cell.leftPadding(widths[index]) + (index == last ? "" : " ")
                } else {
                    text = index == last ? cell : cell.padding(widths[index] + 1)
                }
                if index < statusColumn {
                    line.before += text
                } else if index == statusColumn {
                    line.status = text
                } else {
                    line.after += text
                }
            }
            // Trailing spaces of empty last columns go.
            while line.after.hasSuffix(" ") { line.after.removeLast() }
            if line.after.isEmpty {
                while line.status.hasSuffix(" ") { line.status.removeLast() }
            }
            return line
        }
        let heading = lay(headings)
        let lines = rows.map(lay)
        return (heading.before + heading.status + heading.after, lines)
    }
}
