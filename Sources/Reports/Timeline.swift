import CommunityID
import FTPAnalysis
import NetworkTypes

/// What a timeline row records (SPEC.md, Timeline `event`).
public enum TimelineEventKind: String, Sendable, CaseIterable {
    case sessionStart = "session_start"
    case reply
    case command
    case dataConnection = "data_connection"
    case tlsStart = "tls_start"
    case gap
    case finding
    case sessionEnd = "session_end"

    /// `rawValue` as a literal, for the writers: asking an enum for its `String` raw value, then for that string's
    /// bytes, cost about 140 instructions a row.
    var word: StaticString {
        switch self {
        case .sessionStart: return "session_start"
        case .reply: return "reply"
        case .command: return "command"
        case .dataConnection: return "data_connection"
        case .tlsStart: return "tls_start"
        case .gap: return "gap"
        case .finding: return "finding"
        case .sessionEnd: return "session_end"
        }
    }
}

/// One cell of a timeline row: text, or a number that JSON Lines writes as a number.
public enum TimelineValue: Sendable, Equatable {
    case text(String)
    case integer(Int64)
    case milliseconds(Double)

    /// The value as JSON.
    var json: JSONValue {
        switch self {
        case .text(let text): return .string(text)
        case .integer(let number): return .int(number)
        case .milliseconds(let value): return .double(value)
        }
    }
}

/// One row of the session timeline (SPEC.md, Timeline). Absent fields are nil: an empty CSV cell, a member left
/// out of the JSON Lines object.
public struct TimelineRow: Sendable {
    /// When the event happened (for a command: when it was sent).
    public var time: Timestamp
    /// Session id; nil only for a finding about a connection that is not an FTP session.
    public var session: String?
    /// What happened.
    public var event: TimelineEventKind
    /// Control connection's client endpoint.
    public var client: Endpoint?
    /// Control connection's server endpoint.
    public var server: Endpoint?
    /// User name known at that point.
    public var user: String?
    /// Upper-cased verb.
    public var command: String?
    /// Argument, PASS per the password policy.
    public var argument: String?
    /// Final reply code.
    public var replyCode: Int?
    /// Final reply text, multi-line joined with `\n`.
    public var replyText: String?
    /// Command → final reply latency.
    public var replyTimeMilliseconds: Double?
    /// Data-channel mode.
    public var dataMode: DataMode?
    /// Announced endpoint.
    public var dataAnnounced: Endpoint?
    /// Endpoint actually connected to.
    public var dataObserved: Endpoint?
    /// Data-channel outcome.
    public var dataStatus: DataStatus?
    /// Payload bytes (missing bytes, for a gap).
    public var bytes: UInt64?
    /// Data connection duration.
    public var durationMilliseconds: Double?
    /// Finding severity.
    public var severity: Severity?
    /// Finding kind.
    public var finding: FindingKind?
    /// One-sentence explanation.
    public var detail: String?
    /// The typed cause of a failed data connection (`DataCause`'s SPEC.md word).
    public var cause: DataCause?
    /// Community ID v1 of the connection the row is about: the data connection for data-channel rows, the
    /// control connection otherwise.
    public var communityID: String?
    /// Typed facts behind the row for writers that need more than the columns (not a column itself).
    public var context = TimelineContext()

    /// Community ID of the control connection: the context's when it has one (a data connection's row, a finding
    /// about a connection that is no session), else the row's own `communityID`.
    public var controlCommunityID: String? { context.controlCommunityID ?? communityID }
    /// Data connections: payload bytes per second in the data direction.
    public var bytesPerSecond: Double?
    /// Data connections: transfer command → first data byte, in milliseconds.
    public var firstByteMilliseconds: Double?
    /// Data connections: retransmitted segments of unacknowledged data.
    public var retransmissions: UInt32?
    /// Data connections: zero-window advertisements by the receiver.
    public var zeroWindows: UInt32?
    /// Data connections: who closed first (`client`, `server`).
    public var closedBy: String?
    /// Data connections: how (`fin`, `rst`).
    public var close: String?

    /// Creates a row with only time, session and event set.
    public init(time: Timestamp, session: String?, event: TimelineEventKind) {
        self.time = time
        self.session = session
        self.event = event
    }

    /// Makes this row what `init(time:session:event:)` makes, in place: every other field absent again.
    /// The session id is taken (moved in), not copied.
    public mutating func reset(time: Timestamp, session: consuming String?, event: TimelineEventKind) {
        reset(time: time, session: session, event: event, keeping: [])
    }

    /// Text fields that a caller of `reset(time:session:event:keeping:)` assigns itself right after.
    struct TextFields: OptionSet {
        let rawValue: UInt8
        static let user = TextFields(rawValue: 1 << 0)
        static let command = TextFields(rawValue: 1 << 1)
        static let argument = TextFields(rawValue: 1 << 2)
        static let replyText = TextFields(rawValue: 1 << 3)
        static let detail = TextFields(rawValue: 1 << 4)
        static let communityID = TextFields(rawValue: 1 << 5)
    }

    /// `reset(time:session:event:)`, but the text fields in `kept` are left as they are: the caller assigns each
    /// of them (or nil) next. Cleared here and assigned there, a field cost two calls to release its old value,
    /// one of them on nil.
    mutating func reset(time: Timestamp, session: consuming String?, event: TimelineEventKind, keeping kept: TextFields) {
        self.time = time
        self.session = session
        self.event = event
        // A text field is cleared only when it holds something: assigning nil over nil still called the runtime
        // to release the old value, nine times a row.
        client = nil
        server = nil
        if !kept.contains(.user) && user != nil { user = nil }
        if !kept.contains(.command) && command != nil { command = nil }
        if !kept.contains(.argument) && argument != nil { argument = nil }
        replyCode = nil
        if !kept.contains(.replyText) && replyText != nil { replyText = nil }
        replyTimeMilliseconds = nil
        dataMode = nil
        dataAnnounced = nil
        dataObserved = nil
        dataStatus = nil
        bytes = nil
        durationMilliseconds = nil
        severity = nil
        finding = nil
        if !kept.contains(.detail) && detail != nil { detail = nil }
        cause = nil
        if !kept.contains(.communityID) && communityID != nil { communityID = nil }
        context.reset()
        bytesPerSecond = nil
        firstByteMilliseconds = nil
        retransmissions = nil
        zeroWindows = nil
        if closedBy != nil { closedBy = nil }
        if close != nil { close = nil }
    }

    /// SPEC.md's columns, in order. CSV headers and JSON Lines member names.
    public static let columns: [String] = [
        "time", "session", "event", "client", "server", "user", "command", "argument", "reply_code", "reply_text",
        "reply_time_ms", "data_mode", "data_announced", "data_observed", "data_status", "bytes", "duration_ms",
        "severity", "finding", "detail", "cause", "community_id",
    ] + TransferMetricsFields.columns

    /// The cells in column order; nil for absent (an empty text counts as absent: SPEC.md, "empty as absent").
    public var values: [TimelineValue?] {
        let cells: [TimelineValue?] = [
            .text(time.iso8601), session.map(TimelineValue.text), .text(event.rawValue),
            client.map { .text($0.description) }, server.map { .text($0.description) }, user.map(TimelineValue.text),
            command.map(TimelineValue.text), argument.map(TimelineValue.text), replyCode.map { .integer(Int64($0)) },
            replyText.map(TimelineValue.text), replyTimeMilliseconds.map(TimelineValue.milliseconds),
            dataMode.map { .text($0.rawValue) }, dataAnnounced.map { .text($0.description) },
            dataObserved.map { .text($0.description) }, dataStatus.map { .text($0.rawValue) },
            bytes.map { .integer(Int64(clamping: $0)) }, durationMilliseconds.map(TimelineValue.milliseconds),
            severity.map { .text($0.rawValue) }, finding.map { .text($0.rawValue) }, detail.map(TimelineValue.text),
            cause.map { .text($0.rawValue) }, communityID.map(TimelineValue.text),
            bytesPerSecond.map { .integer(TransferMetricsFields.integerRate($0)) }, firstByteMilliseconds.map(TimelineValue.milliseconds),
            retransmissions.map { .integer(Int64($0)) }, zeroWindows.map { .integer(Int64($0)) },
            closedBy.map(TimelineValue.text), close.map(TimelineValue.text),
        ]
        return cells.map { $0 == .text("") ? nil : $0 }
    }
}

/// Turns analysis events into timeline rows. Remembers, per live session, what rows need and events do not
/// carry (the current user for findings) and what would otherwise be made again for every row (the control
/// connection's Community ID); forgets a session when it ends, so memory follows the sessions open at once, not
/// the capture.
public struct TimelineRowBuilder {
    /// The password policy applied to PASS arguments.
    public var passwords: PasswordPolicy

    struct SessionFacts {
        var client: Endpoint
        var server: Endpoint
        /// The user known so far: changed through `setUser`, which remakes its CSV cell.
        private(set) var user: String?
        var communityID: String
        /// What the session's rows repeat, as CSV (`encodeCSV`).
        var cells: CSVSessionCells

        init(client: Endpoint, server: Endpoint, communityID: String, cells: CSVSessionCells) {
            self.client = client
            self.server = server
            self.communityID = communityID
            self.cells = cells
        }

        mutating func setUser(_ user: String?, scratch: RowBytes) {
            self.user = user
            cells.setUser(user, scratch: scratch)
        }
    }

    /// Where the CSV cells of `SessionFacts` are made.
    let cellScratch = RowBytes(capacity: 256)

    /// Sessions open now (`encodeCSV` reads and updates them too).
    var live = TimelineSessionTable<SessionFacts>()
    /// Sessions that ended lately, for findings that settle after their session (a brute-force run is judged
    /// when a later session's login fails). Bounded: the oldest are forgotten first.
    /// (`encodeCSV` reads it for findings.)
    private(set) var ended = TimelineSessionTable<SessionFacts>()
    private var endedOrder: [String] = []
    private var endedNext = 0
    private static let endedCapacity = 1024

    /// Creates a builder.
    public init(passwords: PasswordPolicy) { self.passwords = passwords }

    /// The row for one event (every event has exactly one).
    public mutating func row(for event: AnalysisEvent) -> TimelineRow {
        var row = TimelineRow(time: .zero, session: nil, event: .sessionStart)
        fill(&row, for: event)
        return row
    }

    /// Writes the row for `event` into `row`, replacing everything it held. The timeline sink keeps one row and
    /// fills it for every event: returning a fresh row copied the struct (a dozen strings) three times a row.
    public mutating func fill(_ row: inout TimelineRow, for event: AnalysisEvent) {
        switch event {
        case .sessionStarted(let session):
            live[session.id] = SessionFacts(
                client: session.client, server: session.server, communityID: session.communityID,
                cells: CSVSessionCells(
                    id: session.id, client: session.client, server: session.server,
                    communityID: session.communityID, scratch: cellScratch))
            sessionRow(&row, session, .sessionStart, at: session.start)
            row.context.start = session.start
            row.detail = Self.startNotes(of: session)

        case .reply(let session, let reply):
            sessionRow(&row, session, .reply, at: reply.time, assigns: .replyText)
            row.replyCode = reply.code
            row.replyText = reply.text

        case .command(let event):
            // The identity and the record lent where they lie (the event's shared context, the session's log),
            // the record `inout` only so that it is not copied (`CommandEvent.recordAddress`); never written.
            fillCommand(&row, event.session, &UnsafeMutablePointer(mutating: event.recordAddress).pointee)

        case .tlsStarted(let session, let time):
            sessionRow(&row, session, .tlsStart, at: time)
            row.context.tls = true
            row.detail =
                session.implicitTLS ? "TLS from the first byte (implicit FTPS)" : "control channel switched to TLS"

        case .gap(let session, let time, let length, let fromClient):
            sessionRow(&row, session, .gap, at: time)
            row.bytes = length
            row.detail = "\(length) bytes from the \(fromClient ? "client" : "server") missing from the capture"

        case .transfer(let session, let transfer):
            // The connections and the observed one read where they lie: each of `TransferFacts`' getters
            // (`start`, `bytes`, …) copied the connections again, and `connections[index].field` the record.
            let observedIndex = transfer.observedIndex
            transfer.withConnections { connections in
                let observed = observedIndex.map { connections.baseAddress! + $0 }
                // `TransferFacts.start`, read in place.
                let start = observed?.pointee.firstTime ?? transfer.commandTime ?? transfer.announcedAt
                sessionRow(
                    &row, session, .dataConnection, at: start ?? session.start,
                    assigns: [.command, .argument, .replyText, .detail])
                let (captured, missing) = JSONDocument.dataBytes(command: transfer.command, mode: transfer.mode, observed)
                row.bytes = captured + missing
                // The control connection's Community ID moves aside for the data connection's.
                row.context.controlCommunityID = row.communityID.take()
                if let observed {
                    let originator = observed.pointee.originator
                    let responder = observed.pointee.responder
                    let firstTime = observed.pointee.firstTime
                    let lastTime = observed.pointee.lastTime
                    // `TransferFacts.observed` is the observed connection's responder.
                    row.dataObserved = responder
                    row.durationMilliseconds = firstTime.milliseconds(to: lastTime)
                    row.communityID = observed.pointee.communityID
                    row.context.dataOriginator = originator
                    row.context.dataResponder = responder
                    row.context.start = firstTime
                    row.context.end = lastTime
                }
            }
            // An announcement never used by a data command is still a row: PASV/PORT stands in for the command.
            Self.put((transfer.command ?? transfer.announcementVerb)?.name, &row.command)
            Self.put(transfer.argument, &row.argument)
            if let reply = transfer.reply ?? transfer.announcementReply {
                row.replyCode = reply.code
                row.replyText = reply.text
            } else if row.replyText != nil {
                row.replyText = nil
            }
            row.dataMode = transfer.mode
            row.dataAnnounced = transfer.announced
            row.dataStatus = transfer.status
            Self.put(transfer.diagnosis, &row.detail)
            row.cause = transfer.cause
            row.context.path = transfer.path
            row.context.sha256 = transfer.extractedFile?.sha256
            row.context.dataFailed = transfer.status.isFailure
            if let metrics = transfer.metrics {
                row.bytesPerSecond = metrics.bytesPerSecond
                row.firstByteMilliseconds = metrics.firstByteMilliseconds
                row.retransmissions = metrics.retransmissions
                row.zeroWindows = metrics.zeroWindows
                row.closedBy = metrics.closedBy?.rawValue
                row.close = metrics.close?.rawValue
            }

        case .finding(let finding):
            row.reset(time: finding.time, session: finding.session, event: .finding)
            if let id = finding.session, let facts = live[id] ?? ended[id] {
                row.client = facts.client
                row.server = facts.server
                row.user = facts.user
                row.communityID = facts.communityID
                row.context.client = facts.client
                row.context.server = facts.server
            } else {
                // A connection that is not an FTP session names its endpoints in the evidence.
                for (key, value) in finding.evidence {
                    guard case .string(let text) = value else { continue }
                    if key == "client" { row.client = TimelineContext.endpoint(text) }
                    if key == "server" { row.server = TimelineContext.endpoint(text) }
                }
                row.context.client = row.client
                row.context.server = row.server
                if let client = row.client, let server = row.server {
                    row.context.controlCommunityID = CommunityID.v1(client, server)
                }
            }
            row.severity = finding.severity
            row.finding = finding.kind
            row.detail = finding.detail

        case .sessionEnded(let session):
            sessionRow(&row, session.identity, .sessionEnd, at: session.end)
            row.context.start = session.start
            row.context.end = session.end
            row.detail = Self.endDetail(of: session)
            if let facts = live.removeValue(forKey: session.id) { remember(ended: session.id, facts) }
        }
    }

    /// A session start row's `detail`: how the session was found, nil for the usual way.
    static func startNotes(of session: SessionIdentity) -> String? {
        var notes = Notes()
        if session.startedMidstream { notes.add("capture began after the control connection opened") }
        if session.detectedByContent { notes.add("FTP found by its content on port \(session.server.port)") }
        if session.implicitTLS { notes.add("TLS from the first byte (implicit FTPS)") }
        return notes.text
    }

    /// A session end row's `detail`: how it ended, and the state of its connection.
    static func endDetail(of session: FTPSession) -> String {
        session.endState.rawValue + " (" + session.connectionState.rawValue + ")"
    }

    /// A command row's `detail`: its notes joined with `; `, nil when there are none.
    static func notes(of command: CommandRecord) -> String? {
        var notes = Notes()
        if command.reconstructed { notes.add("command lost in a capture gap; inferred from its reply") }
        if command.replyLost { notes.add("reply lost in a capture gap") }
        if command.truncated { notes.add("command line cut at the line limit") }
        if let malformed = command.malformedReply { notes.add("malformed reply: " + malformed) }
        return notes.text
    }

    /// A row's notes joined with `; `, nil when there are none (the common case: no array, no join).
    private struct Notes {
        var text: String?

        mutating func add(_ note: String) {
            if text == nil { text = note } else { text! += "; " + note }
        }
    }

    /// Keeps an ended session's facts for the findings that settle after it (`ended`).
    mutating func remember(ended id: String, _ facts: SessionFacts) {
        if endedOrder.count < Self.endedCapacity {
            endedOrder.append(id)
        } else {
            ended[endedOrder[endedNext]] = nil
            endedOrder[endedNext] = id
            endedNext = (endedNext + 1) % Self.endedCapacity
        }
        ended[id] = facts
    }

    /// Assigns `value` to `field`, but leaves a field that is nil and stays nil alone (assigning nil over nil
    /// still called the runtime to release the old value).
    @inline(__always)
    private static func put(_ value: consuming String?, _ field: inout String?) {
        if value == nil && field == nil { return }
        field = value
    }

    /// True when `text` is `other` (compared in place: no copy of either).
    static func same(_ text: String?, _ other: String) -> Bool {
        switch text {
        case .some(let text): return text == other
        case .none: return false
        }
    }

    /// `fill`'s row for a command event. The record is lent `inout` only to be read in place; it is not written.
    private mutating func fillCommand(
        _ row: inout TimelineRow, _ session: SessionIdentity, _ command: inout CommandRecord
    ) {
        // The USER row names the user it logs in as: filtering a timeline by user keeps the login itself.
        // Matched, not compared: `==` on the verb (an enum with payloads) was a call per command.
        let isUser: Bool
        if case .user = command.verb { isUser = true } else { isUser = false }
        let key = sessionRow(
            &row, session, .command, at: command.time, assigns: [.command, .argument, .replyText, .detail])
        // `row.user` is still the session's user as known so far: written back only when it changes, and
        // copied into the row only then (compared where it lies, the common case costs no copy).
        if isUser || command.user != nil {
            let same = isUser ? Self.same(row.user, command.argument) : row.user == command.user
            if !same {
                let user = isUser ? command.argument : command.user
                let scratch = cellScratch
                live.update(key) { $0.setUser(user, scratch: scratch) }
                row.user = user
            }
        } else if row.user != nil {
            row.user = nil
        }
        row.command = command.verbText
        row.argument = passwords.displayArgument(of: command)
        // The reply's fields read where they lie: binding it copied the record (its text retained).
        let replyCode = command.reply?.code
        row.context.login = TimelineContext.loginVerdict(verb: command.verb, replyCode: replyCode)
        if let replyCode {
            row.replyCode = replyCode
            row.replyText = command.reply.unsafelyUnwrapped.text
            row.replyTimeMilliseconds = command.replyTimeMilliseconds
        } else if row.replyText != nil {
            row.replyText = nil
        }
        Self.put(Self.notes(of: command), &row.detail)
    }

    /// Fills the fields every session row has; returns the key the session is looked up by.
    ///
    /// The user and the Community ID are assigned here, not cleared first; so are the texts in `assigns`, which
    /// the caller must then assign (or set to nil) itself.
    @discardableResult
    private mutating func sessionRow(
        _ row: inout TimelineRow, _ session: SessionIdentity, _ event: TimelineEventKind, at time: Timestamp,
        assigns: TimelineRow.TextFields = []
    ) -> TimelineSessionTable<SessionFacts>.Key {
        // Each asked for once: the identity's fields are read through its shared record by calls into the
        // analysis module, and the id comes back retained; it is moved into the row, the session looked up by
        // its key.
        let client = session.client
        let server = session.server
        let id = session.id
        // The number read once per session (`SessionIdentity.number`), not parsed from the id for every row.
        let key = TimelineSessionTable<SessionFacts>.key(number: session.number, id: id)
        row.reset(time: time, session: id, event: event, keeping: assigns.union([.user, .communityID]))
        row.client = client
        row.server = server
        row.context.client = client
        row.context.server = server
        if let tlsTime = session.tlsTime, time >= tlsTime { row.context.tls = true }
        // Read in place: copying the facts out of the table retained and released both their strings.
        let known = live.update(key) { facts in
            // The Community ID made once per session, not once per row.
            row.user = facts.user
            row.communityID = facts.communityID
        }
        if !known {
            if row.user != nil { row.user = nil }
            row.communityID = session.communityID
        }
        // `row.context.controlCommunityID` stays nil: it is this one (`TimelineRow.controlCommunityID`), and a
        // second copy cost a retain and a release a row.
        return key
    }
}
