import FTPAnalysis

/// The transfer lines of a session block: one row per transfer under column headings, in plain words (an empty
/// cell rather than `-`; an encrypted session's inferred transfers say so).
enum TransferRow {
    /// Column headings, in the order of `cells`.
    static let headings = ["started", "command", "file", "mode", "endpoint", "outcome", "size", "rate", "notes"]
    /// The outcome column, coloured by the caller.
    static let statusColumn = 5

    /// The cells of one transfer.
    static func cells(_ transfer: Transfer, notes: [String]) -> [String] {
        let file = transfer.path ?? transfer.argument ?? ""
        let announced = transfer.announced
        let observed = transfer.observed
        var endpoint = announced?.description ?? observed?.description ?? ""
        if let observed, let announced, observed != announced {
            endpoint = announced.description + " (observed " + observed.description + ")"
        }
        var size = ""
        var rate = ""
        // Computed from the transfer's connections: asked once, not once per use.
        if let connection = transfer.observedConnection {
            let bytes = transfer.bytes
            if bytes > 0 || transfer.status == .completed { size = HumanUnits.bytes(bytes) }
            if bytes > 0 {
                rate = HumanUnits.rate(bytes: bytes, milliseconds: connection.firstTime.milliseconds(to: connection.lastTime))
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

    /// Columns aligned right, like numbers in a table (size and rate).
    static func isRightAligned(_ column: Int) -> Bool { column == 6 || column == 7 }

    /// The columns of one session's transfer rows: each as wide as its widest cell or heading; columns empty in
    /// every row are left out.
    struct Layout {
        private var widths: [Int]
        private var shown: [Int]

        init(_ rows: [[String]]) {
            var widths = [Int](repeating: 0, count: headings.count)
            for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.columnWidth) } }
            let shown = widths.indices.filter { widths[$0] > 0 || $0 == statusColumn }
            for index in shown { widths[index] = max(widths[index], headings[index].columnWidth) }
            self.widths = widths
            self.shown = shown
        }

        /// Appends `row` laid out under the headings, its outcome in `color`; blanks at the end of the line are
        /// left out (an empty last column's padding).
        func append(_ row: [String], color: TextSummary.Color, to out: inout TextBytes) {
            let last = shown.last ?? 0
            var statusStart = out.bytes.count
            var statusEnd = statusStart
            for index in shown {
                if index == statusColumn { statusStart = out.bytes.count }
                let cell = row[index]
                let columns = cell.columnWidth
                if isRightAligned(index) {
                    out.appendSpaces(widths[index] - columns)
                    out.append(cell)
                    if index != last { out.append(" ") }
                } else {
                    out.append(cell)
                    if index != last { out.appendSpaces(max(1, widths[index] + 1 - columns)) }
                }
                if index == statusColumn { statusEnd = out.bytes.count }
            }
            // The blanks ending what follows the outcome go; when nothing else does, so do the outcome's own.
            while out.bytes.count > statusEnd, out.bytes.last == UInt8(ascii: " ") { out.bytes.removeLast() }
            if out.bytes.count == statusEnd {
                while out.bytes.count > statusStart, out.bytes.last == UInt8(ascii: " ") { out.bytes.removeLast() }
                statusEnd = out.bytes.count
            }
            guard out.useColor, color != .plain else { return }
            // The colour goes around the outcome, laid out first so that its padding could be measured.
            var end = TextBytes(useColor: true, capacity: 8)
            end.endPaint(color)
            out.bytes.insert(contentsOf: end.bytes, at: statusEnd)
            var start = TextBytes(useColor: true, capacity: 8)
            start.beginPaint(color)
            out.bytes.insert(contentsOf: start.bytes, at: statusStart)
        }
    }
}
