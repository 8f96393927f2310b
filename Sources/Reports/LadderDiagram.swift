import FTPAnalysis
import FTPProtocol
import NetworkTypes

/// The SVG ladder (sequence) diagram of one session: client and server as columns, with a column for the
/// client's data ports when active mode was used and one for the server's data ports when passive mode was;
/// time flows down on an ordinal axis (one row per event, long pauses drawn as a break labelled with their
/// length), commands and replies are arrows between client and server, and every data connection is an arrow in
/// the direction it was opened, coloured by outcome. Runs of routine commands collapse into one row, and past
/// `maxRows` the quieter middle of the session is elided (data connections and errors are kept).
struct LadderDiagram {
    let session: FTPSession
    let passwords: PasswordPolicy

    /// Commands that only navigate or query state; long runs of them become one row.
    static let routineVerbs: Set<FTPVerb> = [
        .cwd, .xcwd, .cdup, .xcup, .pwd, .xpwd, .type, .noop, .mode, .stru, .syst, .feat, .opts,
        .size, .mdtm, .mlst, .clnt, .allo, .help, .stat,
    ]
    /// Runs of more than this many routine commands collapse.
    static let routineRunLimit = 4
    /// Rows drawn at most per diagram (collapsed runs count as one).
    static let maxRows = 160
    /// Rows always kept at the start and at the end when eliding.
    static let headRows = 70
    static let tailRows = 30
    /// Pauses at least this long are drawn as a break in the lifelines.
    static let gapNanoseconds: Int64 = 1_000_000_000

    enum Lane: Int, CaseIterable {
        case clientData, client, server, serverData
    }

    /// Visual class of a row; maps to a CSS class in the page's stylesheet.
    enum Tone: String {
        case command = "cmd"
        case reply = "rep"
        case error = "err"
        case tcp = "tcp"
        case completed = "ok"
        case failed = "bad"
        case warning = "warn"
        case neutral = "grey"
    }

    enum Kind {
        /// An arrow between two lanes.
        case arrow(from: Lane, to: Lane, dashed: Bool, cross: Bool)
        /// A box spanning client and server (collapsed routine commands, elided rows, session events).
        case box
        /// A pause in the lifelines.
        case gap(Int64)
    }

    struct Row {
        var time: Timestamp
        var kind: Kind
        var tone: Tone
        /// Visible label (plain text; escaped when drawn).
        var label: String
        /// Tooltip (plain text).
        var title: String
        /// Number of the note under the diagram that explains it.
        var note: Int?
        /// Kept when the middle of a long diagram is elided.
        var important = false
        /// The command this row belongs to (command and reply rows).
        var command: Int?
        /// Order among rows with the same time.
        var order = 0
        /// The last event a summary row stands for (pauses are measured from it).
        var endTime: Timestamp?
    }

    /// A failed data connection's explanation, printed under the diagram.
    struct Note {
        var number: Int
        var text: String
        var tone: Tone
    }

    /// What the diagram drew and what it left out.
    struct Output {
        var svg: String
        var notes: [Note]
        var collapsedCommands: Int
        var elidedRows: Int
    }

    // MARK: - Rows

    func lanesUsed() -> (clientData: Bool, serverData: Bool) {
        var clientData = false
        var serverData = false
        for transfer in session.transfers {
            if transfer.connections.isEmpty {
                if transfer.mode == nil || transfer.status == .unused { continue }
                if serverConnects(transfer, nil) { clientData = true } else { serverData = true }
            }
            for connection in transfer.connections {
                if serverConnects(transfer, connection) { clientData = true } else { serverData = true }
            }
        }
        return (clientData, serverData)
    }

    /// True when the server opened (or would open) the data connection.
    func serverConnects(_ transfer: Transfer, _ connection: DataConnectionRecord?) -> Bool {
        if let connection {
            if connection.originator.address == session.server.address { return true }
            if connection.originator.address == session.client.address { return false }
        }
        return transfer.mode?.serverConnects ?? false
    }

    func buildRows() -> (rows: [Row], notes: [Note]) {
        var rows: [Row] = []
        var notes: [Note] = []
        func add(_ row: Row) {
            var row = row
            row.order = rows.count
            rows.append(row)
        }
        if session.startedMidstream {
            add(Row(time: session.start, kind: .box, tone: .neutral, label: "capture begins in the middle of this session",
                    title: "The control connection's opening handshake is not in the capture."))
        } else {
            add(Row(time: session.start, kind: .arrow(from: .client, to: .server, dashed: false, cross: false), tone: .tcp,
                    label: "TCP connect (SYN) to port \(session.server.port)", title: "control connection opened"))
        }
        if let code = session.bannerCode, let time = session.bannerTime {
            let text = "\(code) \(session.banner ?? "")"
            add(Row(time: time, kind: .arrow(from: .server, to: .client, dashed: false, cross: false),
                    tone: code >= 400 ? .error : .reply, label: text, title: text, important: code >= 400))
        }
        for (index, command) in session.commands.enumerated() {
            let argument = passwords.displayArgument(of: command)
            var label = command.verbText + (argument.isEmpty ? "" : " " + argument)
            if command.reconstructed { label += "  (inferred: lost in a capture gap)" }
            let failed = (command.reply?.code ?? 0) >= 400
            add(Row(time: command.time, kind: .arrow(from: .client, to: .server, dashed: command.reconstructed, cross: false),
                    tone: .command, label: label, title: label, important: failed || command.transferIndex != nil,
                    command: index))
            for reply in command.preliminary {
                let text = "\(reply.code) \(reply.text)"
                add(Row(time: reply.time, kind: .arrow(from: .server, to: .client, dashed: false, cross: false),
                        tone: .reply, label: text, title: text, important: command.transferIndex != nil, command: index))
            }
            if let reply = command.reply {
                let text = "\(reply.code) \(reply.text)"
                add(Row(time: reply.time, kind: .arrow(from: .server, to: .client, dashed: false, cross: false),
                        tone: failed ? .error : .reply, label: text, title: text,
                        important: failed || command.transferIndex != nil, command: index))
            } else if command.replyLost {
                add(Row(time: command.time, kind: .box, tone: .neutral, label: "reply lost in a capture gap",
                        title: "The server's reply to \(command.verbText) is missing from the capture.", command: index))
            }
        }
        for reply in session.unsolicitedReplies {
            let text = "\(reply.code) \(reply.text)"
            add(Row(time: reply.time, kind: .arrow(from: .server, to: .client, dashed: false, cross: false),
                    tone: reply.code >= 400 ? .error : .reply, label: text, title: "unsolicited reply: " + text,
                    important: reply.code >= 400))
        }
        for transfer in session.transfers {
            var note: Int?
            let failedOutcome = transfer.status.isFailure
            if failedOutcome, let diagnosis = transfer.diagnosis {
                note = notes.count + 1
                notes.append(Note(number: notes.count + 1, text: diagnosis, tone: LadderDiagram.tone(for: transfer.status)))
            }
            let what = [transfer.command?.name, transfer.path ?? transfer.argument].compactMap { $0 }.joined(separator: " ")
            if transfer.connections.isEmpty {
                guard transfer.status != .unused, transfer.mode != nil || transfer.command != nil else { continue }
                let toward = serverConnects(transfer, nil)
                let time = transfer.commandTime ?? transfer.reply?.time ?? transfer.announcedAt ?? session.start
                var label = transfer.status == .notCaptured ? "data connection not in the capture" : "no data connection"
                if let announced = transfer.announced { label += " to \(announced)" }
                label += " · \(transfer.status.rawValue)"
                if !what.isEmpty { label = what + " · " + label }
                add(Row(time: time.adding(nanoseconds: 1), kind: .arrow(from: toward ? .server : .client,
                                                                       to: toward ? .clientData : .serverData,
                                                                       dashed: true, cross: transfer.status != .notCaptured),
                        tone: LadderDiagram.tone(for: transfer.status), label: label,
                        title: label + (transfer.diagnosis.map { "\n" + $0 } ?? ""), note: note, important: true))
                continue
            }
            let primary = transfer.observedConnection
            for (position, connection) in transfer.connections.enumerated() {
                let isPrimary = primary.map { $0.firstTime == connection.firstTime && $0.originator == connection.originator } ?? false
                let status = transfer.outcome(of: connection)
                let fromServer = serverConnects(transfer, connection)
                let failed = status.gravity == .failure
                var label = what.isEmpty ? "data" : what
                label += " · \(connection.originator) → \(connection.responder)"
                switch status {
                case .completed, .incomplete, .aborted, .reset, .notCaptured, .commandFailed, .stalled, .unused:
                    if transfer.bytes > 0 && isPrimary { label += " · " + HumanUnits.bytes(transfer.bytes) }
                    else if !isPrimary { label += " · " + HumanUnits.bytes(connection.originatorBytes + connection.responderBytes) }
                    let milliseconds = connection.firstTime.milliseconds(to: connection.lastTime)
                    if milliseconds >= 1 { label += " · " + HumanUnits.duration(milliseconds: milliseconds) }
                case .refused:
                    label += " · refused (RST)"
                case .unanswered, .notSeen:
                    label += " · SYN ×\(connection.synAttempts), no answer"
                }
                label += " · " + status.rawValue
                let title = "data connection \(position + 1) of \(what.isEmpty ? "an announcement" : what): "
                    + "\(connection.originator) → \(connection.responder), state \(connection.state.rawValue), "
                    + "\(connection.synAttempts) SYN, \(connection.originatorBytes + connection.responderBytes) bytes"
                    + (transfer.diagnosis.map { "\n" + $0 } ?? "")
                add(Row(time: connection.firstTime, kind: .arrow(from: fromServer ? .server : .client,
                                                                to: fromServer ? .clientData : .serverData,
                                                                dashed: status == .unanswered, cross: failed),
                        tone: LadderDiagram.tone(for: status), label: label, title: title,
                        note: position == transfer.connections.count - 1 ? note : nil, important: true))
            }
        }
        let ending: String
        switch session.endState {
        case .quit: ending = "control connection closed after QUIT"
        case .closed: ending = "control connection closed (FIN) without QUIT"
        case .reset: ending = "control connection reset (RST)"
        case .captureEnd: ending = "still open when the capture ended"
        case .timeout: ending = "control connection went idle (timeout)"
        }
        add(Row(time: session.end, kind: .box, tone: session.endState == .reset ? .error : .neutral, label: ending,
                title: ending, important: true))
        rows.sort { ($0.time, $0.order) < ($1.time, $1.order) }
        return (rows, notes)
    }

    static func tone(for status: DataStatus) -> Tone {
        switch status.gravity {
        case .ok: return .completed
        case .failure: return .failed
        case .warning: return .warning
        case .none: return .neutral
        }
    }

    /// Collapses runs of more than `routineRunLimit` routine commands (with their replies) into one row.
    func collapseRoutine(_ rows: [Row]) -> (rows: [Row], collapsed: Int) {
        var out: [Row] = []
        var collapsed = 0
        var index = 0
        func isRoutine(_ row: Row) -> Bool {
            guard let command = row.command else { return false }
            let record = session.commands[command]
            return LadderDiagram.routineVerbs.contains(record.verb) && record.transferIndex == nil
        }
        while index < rows.count {
            guard isRoutine(rows[index]) else {
                out.append(rows[index])
                index += 1
                continue
            }
            var end = index
            while end < rows.count && isRoutine(rows[end]) { end += 1 }
            let run = rows[index..<end]
            var seen = Set<Int>()
            var verbs: [(String, Int)] = []
            var errors = 0
            for row in run {
                guard let command = row.command, seen.insert(command).inserted else { continue }
                let record = session.commands[command]
                if let position = verbs.firstIndex(where: { $0.0 == record.verbText }) { verbs[position].1 += 1 } else { verbs.append((record.verbText, 1)) }
                if (record.reply?.code ?? 0) >= 400 { errors += 1 }
            }
            if seen.count > LadderDiagram.routineRunLimit {
                let counts = verbs.sorted { $0.1 > $1.1 }.prefix(6).map { "\($0.0) ×\($0.1)" }.joined(separator: ", ")
                var label = "… \(seen.count) routine commands (\(counts)\(verbs.count > 6 ? ", …" : ""))"
                if errors > 0 { label += " · \(errors) error repl\(errors == 1 ? "y" : "ies")" }
                let span = "from " + LadderDiagram.relative(session.start, run.first!.time) + " to "
                    + LadderDiagram.relative(session.start, run.last!.time)
                out.append(Row(time: run.first!.time, kind: .box, tone: errors > 0 ? .warning : .neutral, label: label,
                               title: label + ", " + span + "; every command is in --format json and --csv",
                               endTime: run.last!.time))
                collapsed += seen.count
            } else {
                out.append(contentsOf: run)
            }
            index = end
        }
        return (out, collapsed)
    }

    /// Keeps at most `maxRows` rows: the first and last ones, and the important ones in between while room
    /// lasts; each run of dropped rows becomes one row saying how many.
    func elide(_ rows: [Row]) -> (rows: [Row], elided: Int) {
        guard rows.count > LadderDiagram.maxRows else { return (rows, 0) }
        var keep = [Bool](repeating: false, count: rows.count)
        for index in 0..<LadderDiagram.headRows { keep[index] = true }
        for index in (rows.count - LadderDiagram.tailRows)..<rows.count { keep[index] = true }
        // Room for important rows in the middle, leaving some for the elision markers themselves.
        var budget = LadderDiagram.maxRows - LadderDiagram.headRows - LadderDiagram.tailRows - 10
        for index in LadderDiagram.headRows..<(rows.count - LadderDiagram.tailRows) where budget > 0 && rows[index].important {
            keep[index] = true
            budget -= 1
        }
        var out: [Row] = []
        var dropped = 0
        var droppedTotal = 0
        var firstDropped: Timestamp?
        var lastDropped: Timestamp?
        for (index, row) in rows.enumerated() {
            if keep[index] {
                if dropped > 0, let first = firstDropped {
                    let label = "⋯ \(dropped) more event\(dropped == 1 ? "" : "s") not drawn (see --format json or --csv)"
                    out.append(Row(time: first, kind: .box, tone: .neutral, label: label, title: label, endTime: lastDropped))
                    dropped = 0
                    firstDropped = nil
                }
                out.append(row)
            } else {
                if dropped == 0 { firstDropped = row.time }
                lastDropped = row.time
                dropped += 1
                droppedTotal += 1
            }
        }
        return (out, droppedTotal)
    }

    /// Inserts a break row before every pause of at least `gapNanoseconds`.
    func insertGaps(_ rows: [Row]) -> [Row] {
        var out: [Row] = []
        var previous: Timestamp?
        for row in rows {
            if let previous, previous.nanoseconds(to: row.time) >= LadderDiagram.gapNanoseconds {
                out.append(Row(time: row.time, kind: .gap(previous.nanoseconds(to: row.time)), tone: .neutral, label: "", title: ""))
            }
            out.append(row)
            previous = row.endTime ?? row.time
        }
        return out
    }

    // MARK: - Drawing

    static let rowHeight = 20
    static let gapHeight = 20
    static let headerHeight = 58
    static let charWidth = 6.62  // 11 px monospace

    func render() -> Output {
        let built = buildRows()
        let collapsed = collapseRoutine(built.rows)
        let elided = elide(collapsed.rows)
        let rows = insertGaps(elided.rows)
        let used = lanesUsed()

        // Lane positions: time axis on the left, then [client data], client, server, [server data].
        var x: [Lane: Double] = [:]
        var cursor = 100.0
        if used.clientData {
            x[.clientData] = cursor + 78
            cursor += 78 + 175
        } else {
            cursor += 90
        }
        x[.client] = cursor
        x[.server] = cursor + 440
        cursor += 440
        if used.serverData {
            x[.serverData] = cursor + 175
            cursor += 175
        }
        let width = Int(cursor + 90)
        var height = LadderDiagram.headerHeight + 14
        for row in rows {
            if case .gap = row.kind { height += LadderDiagram.gapHeight } else { height += LadderDiagram.rowHeight }
        }
        height += 12

        var svg = "<svg class=\"ladder\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" "
        svg += "role=\"img\" aria-label=\"Ladder diagram of session \(html(session.id))\">"
        // Lifelines first, so arrows draw over them.
        let top = LadderDiagram.headerHeight
        for lane in Lane.allCases {
            guard let position = x[lane] else { continue }
            let data = lane == .clientData || lane == .serverData
            svg += "<line class=\"life\(data ? " data" : "")\" x1=\"\(fmt(position))\" y1=\"\(top)\" x2=\"\(fmt(position))\" y2=\"\(height - 8)\"/>"
        }
        svg += header(x: x)

        var y = LadderDiagram.headerHeight + 14
        var lastTimeLabel = ""
        for row in rows {
            switch row.kind {
            case .gap(let nanoseconds):
                let middle = y + LadderDiagram.gapHeight / 2
                svg += "<rect class=\"gapband\" x=\"0\" y=\"\(y + 4)\" width=\"\(width)\" height=\"\(LadderDiagram.gapHeight - 8)\"/>"
                for lane in Lane.allCases {
                    guard let position = x[lane] else { continue }
                    svg += "<path class=\"break\" d=\"M\(fmt(position - 7)) \(middle - 2) l7 -4 l7 4 M\(fmt(position - 7)) \(middle + 4) l7 -4 l7 4\"/>"
                }
                svg += "<text class=\"gaplabel\" x=\"86\" y=\"\(middle + 4)\" text-anchor=\"end\">"
                svg += html(HumanUnits.duration(milliseconds: Double(nanoseconds) / 1_000_000)) + " later</text>"
                y += LadderDiagram.gapHeight
                lastTimeLabel = ""
                continue
            case .box:
                let left = (x[.client] ?? 0) + 14
                let right = (x[.server] ?? 0) - 14
                let maxChars = Int((right - left - 16) / LadderDiagram.charWidth)
                svg += "<g class=\"box \(row.tone.rawValue)\"><title>\(html(row.title))</title>"
                svg += "<rect x=\"\(fmt(left))\" y=\"\(y + 2)\" width=\"\(fmt(right - left))\" height=\"\(LadderDiagram.rowHeight - 4)\" rx=\"4\"/>"
                svg += "<text x=\"\(fmt((left + right) / 2))\" y=\"\(y + 14)\" text-anchor=\"middle\">\(html(clipped(row.label, maxChars)))</text></g>"
            case .arrow(let from, let to, let dashed, let cross):
                guard let x1 = x[from], let x2 = x[to] else { break }
                let lineY = y + 15
                let direction: Double = x2 > x1 ? 1 : -1
                let tip = x2 - direction * 2
                let isData = to == .clientData || to == .serverData
                let span = abs(x2 - x1)
                let maxChars = Int((span - 24) / LadderDiagram.charWidth)
                svg += "<g class=\"arrow \(row.tone.rawValue)\(isData ? " datacon" : "")\"><title>\(html(row.title))</title>"
                svg += "<line x1=\"\(fmt(x1))\" y1=\"\(lineY)\" x2=\"\(fmt(tip - direction * 7))\" y2=\"\(lineY)\"\(dashed ? " stroke-dasharray=\"6 4\"" : "")/>"
                svg += "<path class=\"head\" d=\"M\(fmt(tip)) \(lineY) l\(fmt(-direction * 9)) -4.5 v9 z\"/>"
                if cross {
                    let cx = x2 - direction * 20
                    svg += "<path class=\"cross\" d=\"M\(fmt(cx - 5)) \(lineY - 5) l10 10 M\(fmt(cx + 5)) \(lineY - 5) l-10 10\"/>"
                }
                var label = clipped(row.label, maxChars - (row.note == nil ? 0 : 4))
                if let note = row.note { label = "[\(note)] " + label }
                let anchor: String
                let textX: Double
                if from == .client && to == .server {
                    anchor = "start"
                    textX = x1 + 10
                } else if from == .server && to == .client {
                    anchor = "end"
                    textX = x1 - 10
                } else {
                    anchor = "middle"
                    textX = (x1 + x2) / 2
                }
                svg += "<text x=\"\(fmt(textX))\" y=\"\(lineY - 6)\" text-anchor=\"\(anchor)\">\(html(label))</text></g>"
            }
            let timeLabel = LadderDiagram.relative(session.start, row.time)
            if timeLabel != lastTimeLabel {
                svg += "<text class=\"time\" x=\"86\" y=\"\(y + 11)\" text-anchor=\"end\">\(html(timeLabel))</text>"
                lastTimeLabel = timeLabel
            }
            y += LadderDiagram.rowHeight
        }
        svg += "</svg>"
        return Output(svg: svg, notes: built.notes, collapsedCommands: collapsed.collapsed, elidedRows: elided.elided)
    }

    func header(x: [Lane: Double]) -> String {
        var out = ""
        let dataHosts = dataEndpoints()
        for lane in Lane.allCases {
            guard let position = x[lane] else { continue }
            let title: String
            let detail: String
            let boxWidth: Double
            switch lane {
            case .client:
                title = "Client"
                detail = session.client.description
                boxWidth = 180
            case .server:
                title = "Server"
                detail = session.server.description
                boxWidth = 180
            case .clientData:
                title = "Client data port"
                detail = dataHosts.client
                boxWidth = 150
            case .serverData:
                title = "Server data port"
                detail = dataHosts.server
                boxWidth = 150
            }
            let data = lane == .clientData || lane == .serverData
            let maxChars = Int((boxWidth - 10) / 6.0)
            out += "<g class=\"lane\(data ? " data" : "")\"><title>\(html(title + " " + detail))</title>"
            out += "<rect x=\"\(fmt(position - boxWidth / 2))\" y=\"6\" width=\"\(fmt(boxWidth))\" height=\"\(LadderDiagram.headerHeight - 12)\" rx=\"6\"/>"
            out += "<text class=\"lanetitle\" x=\"\(fmt(position))\" y=\"24\" text-anchor=\"middle\">\(html(title))</text>"
            out += "<text class=\"lanedetail\" x=\"\(fmt(position))\" y=\"41\" text-anchor=\"middle\">\(html(clipped(detail, maxChars)))</text></g>"
        }
        out += "<text class=\"axis\" x=\"86\" y=\"41\" text-anchor=\"end\">time</text>"
        return out
    }

    /// The hosts behind the data columns with their ports, for the column headers.
    func dataEndpoints() -> (client: String, server: String) {
        var client: [Endpoint] = []
        var server: [Endpoint] = []
        for transfer in session.transfers {
            for connection in transfer.connections {
                if serverConnects(transfer, connection) { client.append(connection.responder) } else { server.append(connection.responder) }
            }
            if transfer.connections.isEmpty, let announced = transfer.announced, transfer.status != .unused {
                if serverConnects(transfer, nil) { client.append(announced) } else { server.append(announced) }
            }
        }
        func describe(_ endpoints: [Endpoint]) -> String {
            var hosts: [IPAddress] = []
            for endpoint in endpoints where !hosts.contains(endpoint.address) { hosts.append(endpoint.address) }
            let ports = Set(endpoints.map(\.port))
            if hosts.count == 1 {
                return ports.count == 1 ? endpoints[0].description : "\(hosts[0]) (\(ports.count) ports)"
            }
            return "\(hosts.count) hosts, \(ports.count) ports"
        }
        return (client.isEmpty ? "" : describe(client), server.isEmpty ? "" : describe(server))
    }

    /// `+0.130 s`, `+12:05.300`, `+1:02:03` relative to the session start.
    static func relative(_ start: Timestamp, _ time: Timestamp) -> String {
        let milliseconds = max(0, start.nanoseconds(to: time) / 1_000_000)
        let seconds = milliseconds / 1000
        let fraction = String(milliseconds % 1000)
        let paddedFraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        if seconds < 60 { return "+\(seconds).\(paddedFraction) s" }
        let two = { (value: Int64) in value < 10 ? "0\(value)" : "\(value)" }
        if seconds < 3600 { return "+\(seconds / 60):\(two(seconds % 60)).\(paddedFraction)" }
        return "+\(seconds / 3600):\(two(seconds % 3600 / 60)):\(two(seconds % 60))"
    }

    func fmt(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String((value * 10).rounded() / 10)
    }
}
