import FTPProtocol
import NetworkTypes

/// How far the analysis of a control connection has got (one value instead of a set of flags that could
/// contradict each other).
enum SessionPhase: Equatable {
    /// On a port not configured for FTP: analysed in case it is FTP, judged by the server's first line (a 220,
    /// or 120 then 220, RFC 959 section 5.4), then confirmed by a well-formed command.
    case probing
    /// Probing found a first server line that is not a greeting: not FTP; the connection is dropped.
    case notFTP
    /// On an FTP control port, not yet shown to speak FTP.
    case awaitingGreeting
    /// FTP: the session has its id and its events are delivered.
    case open
    /// The control connection ended; `confirmed` tells whether it had been shown to be FTP.
    case ended(confirmed: Bool)
}

/// The protocol state of one FTP control connection: the phase, the commands awaiting replies, the login, the
/// working directory, TYPE/REST, and the repair of pairing after capture gaps.
///
/// Its inputs (a command, a reply, a gap) change the state and return what the analyzer must do
/// (`SessionAction`); it never calls out, so it can be driven and checked on hand-built sequences.
struct SessionMachine {
    var phase: SessionPhase
    /// True when the connection was identified as FTP by its content rather than its port.
    var detectedByContent = false
    /// Most commands kept awaiting replies (`AnalysisConfiguration.maxPendingCommands`).
    let maxPendingCommands: Int
    /// Commands awaiting a final reply, oldest first.
    var pending = PendingQueue()
    var greetingSeen = false
    /// The user known before the last command (its record's `user`): only a USER command changes it, so only a
    /// USER keeps the name before it; every other command reads `user` itself (a copy of the name per command was
    /// a retain and a release per control line).
    var userBeforeCommand: String? { lastCommandWasUser ? userBeforeLastUser : user }
    private var lastCommandWasUser = false
    /// The command the last final reply answered (`SessionAction.answered`), until `applyAnswer`.
    var answered: PendingCommand?
    /// Lines seen from each side, to decide whether this is FTP at all.
    var validReplyLines = 0
    var invalidServerLines = 0
    var wellFormedCommands = 0
    var malformedCommands = 0
    /// The user name of the last USER command.
    var user: String? {
        didSet { userVersion &+= 1 }
    }
    /// Counts the changes of `user`, so that the command events' shared identity (`CommandContext`) is remade
    /// only when the user changed, without comparing the names at every command.
    private(set) var userVersion: UInt32 = 0
    /// Every login attempt in order.
    var loginAttempts: [LoginAttempt] = []
    /// True once the credential findings were delivered (at the first accepted login).
    var credentialsReported = false
    var quitSent = false
    var currentType: String?
    var restOffset: UInt64?
    var lastSize: (path: Pathname, size: UInt64)?
    /// The working directory, when PWD/CWD replies made it known.
    var workingDirectory: String?
    // What most lines do not touch, after what they do (the phase, the pending commands, the line counters, the
    // user, the answered command): with hundreds of sessions open at once, each cache line a line touches is a
    // likely miss. (Stored properties are laid out in declaration order.)
    /// The reply-size limits, to state the anomalies they cause.
    let limits: FTPLimits
    /// What the last data command binds (`SessionAction.bindDataCommand`). Stored rather than asked for: a call on
    /// the machine from the analyzer copies the whole machine, reading a stored field does not.
    private(set) var dataCommandInput: DataCommand?
    private var userBeforeLastUser: String?
    /// Anomalies found and not yet taken by the analyzer (`SessionAction.anomaly`), oldest first.
    private(set) var anomalies: [ControlAnomaly] = []
    /// The commands whose replies the last repair found lost (`SessionAction.repliesLost`).
    var lostReplies: [Int] = []
    /// The greeting's code so far (120 until a 220 follows it).
    var greetingCode: Int?
    /// The pending-command cap was reached and reported (reported once per session).
    private var pendingCapReported = false
    /// Gaps in each direction whose effect on command/reply pairing is not yet repaired.
    var unrepairedClientGaps = 0
    var unrepairedServerGaps = 0
    /// Replies after a gap during which pairing is checked for plausibility.
    var gapRepairBudget = 0

    /// Replies after a gap during which pairing is checked.
    static let gapRepairReplies = 50

    init(phase: SessionPhase = .awaitingGreeting, maxPendingCommands: Int = 100, limits: FTPLimits = FTPLimits()) {
        self.phase = phase
        self.maxPendingCommands = maxPendingCommands
        self.limits = limits
    }

    /// True once the connection was shown to speak FTP.
    var confirmed: Bool { phase == .open || phase == .ended(confirmed: true) }

    /// True once the control connection ended.
    var ended: Bool {
        if case .ended = phase { return true } else { return false }
    }

    /// Marks the connection as FTP (from the analyzer: implicit FTPS, or a session judged at its end).
    mutating func confirm() {
        guard !confirmed else { return }
        phase = ended ? .ended(confirmed: true) : .open
    }

    /// The control connection ended.
    mutating func end() {
        if !ended { phase = .ended(confirmed: confirmed) }
    }

    /// True while command `index` waits for what settles it: pending, or taken off the queue by the input just
    /// made (its final reply, `answered`, until `applyAnswer`; a reply lost in a gap, until the analyzer marks it)
    /// but not yet recorded on it. (A session confirmed by a reply is confirmed before that reply is recorded,
    /// and the confirmation delivers the commands settled so far: the command the reply answers went out without
    /// it, and its record was written after its event was handed over, `CommandLog`.)
    func awaitsSettling(_ index: Int) -> Bool {
        if isPending(index) { return true }
        if let answered, answered.index == index { return true }
        return lostReplies.contains(index)
    }

    /// True while the command with record `index` awaits its final reply.
    func isPending(_ index: Int) -> Bool {
        var position = 0
        while position < pending.count {
            if pending[position].index == index { return true }
            position += 1
        }
        return false
    }

    // MARK: - Commands

    /// A client command line, whose record will be `index` in the session's commands.
    mutating func command(_ line: FTPLine, _ command: FTPCommand, index: Int, at time: Timestamp) -> SessionActions {
        var actions = SessionActions()
        self.command(line, command, index: index, at: time, into: &actions)
        return actions
    }

    /// `command(_:_:index:at:)` into the caller's actions: the analyzer's path, which so spares two copies of the
    /// actions (136 bytes, copied with memcpy) per command. Returns the `truncated` flag of the `recordCommand`
    /// among them, nil when there is none: the analyzer appends the record before carrying out the actions, and
    /// finding the action again cost it a scan of the optionals (about 50 instructions a command).
    /// Inlined into the analyzer (once returning the flag, it was no longer inlined on its own).
    @discardableResult @inline(__always)
    mutating func command(
        _ line: FTPLine, _ command: FTPCommand, index: Int, at time: Timestamp, into actions: inout SessionActions
    ) -> Bool? {
        if phase == .notFTP { return nil }
        let known = command.isWellFormed && command.isKnown
        if known { wellFormedCommands += 1 } else { malformedCommands += 1 }
        if !confirmed && greetingSeen && known {
            confirm()
            actions.append(.confirm(byContent: detectedByContent))
        }
        // A line the stream ended in the middle of is delivered, flagged, rather than lost (issue 16): the
        // server may still have acted on it (a QUIT without CRLF before the FIN is common).
        if line.truncated {
            note(.commandLineCut(originalLength: line.originalLength, kept: line.bytes.count), &actions)
        } else if line.unterminated {
            note(.unterminatedCommandLine(String(line.text.prefix(80))), &actions)
        }
        if !command.isWellFormed {
            note(.malformedCommandLine(String(line.text.prefix(80))), &actions)
        }
        // A case match, not `==` (a call per command: `FTPVerb` has a payload case).
        if case .user = command.verb { lastCommandWasUser = true } else { lastCommandWasUser = false }
        let truncated = line.truncated || line.unterminated
        actions.append(.recordCommand(truncated: truncated))
        if pending.count >= maxPendingCommands {
            // Indexed removal rather than `removeFirst()`: the generic collection path allocates per call in a
            // debug build, which the control-line allocation tests run.
            pending.remove(at: 0)
            actions.append(.pendingCommandDropped)
            if !pendingCapReported {
                // Once per session: a pipelining flood would otherwise fill the anomaly list with this one line.
                pendingCapReported = true
                note(.pendingCap(maxPendingCommands), &actions)
            }
        }
        pending.append(PendingCommand(index: index, verb: command.verb, time: time))
        apply(command, index: index, at: time, into: &actions)
        return truncated
    }

    /// What a command changes at once (login, TYPE/REST, QUIT) and what it asks of the data channels.
    private mutating func apply(
        _ command: FTPCommand, index: Int, at time: Timestamp, into actions: inout SessionActions
    ) {
        switch command.verb {
        case .user:
            userBeforeLastUser = user
            user = command.argument
            loginAttempts.append(
                LoginAttempt(user: command.argument, time: time, password: nil, outcome: .unknown, replyCode: nil))
        case .pass:
            if loginAttempts.isEmpty || loginAttempts[loginAttempts.count - 1].password != nil {
                // PASS without a USER before it (or a second PASS): still an attempt, user unknown.
                loginAttempts.append(
                    LoginAttempt(user: user ?? "", time: time, password: nil, outcome: .unknown, replyCode: nil))
            }
            loginAttempts[loginAttempts.count - 1].password = command.argument
        case .quit:
            quitSent = true
        case .rest:
            restOffset = UInt64(command.argument.trimmingCharacters(in: " \t"))
        case .type:
            currentType = command.argument.uppercased()
        case .abor:
            actions.append(.abortRunningTransfer)
        case .port, .eprt, .lprt:
            actions.append(.announceActive(index: index))
        default:
            if command.verb.isDataTransfer {
                bindDataCommand(command, at: time)
                actions.append(.bindDataCommand(index: index))
            }
        }
    }

    /// What an active-mode command announces: its mode and the endpoint (or why there is none).
    static func activeAnnouncement(
        _ verb: FTPVerb, argument: String
    ) -> (DataMode, Result<AnnouncedEndpoint, AnnouncementError>) {
        switch verb {
        case .port: return (.active, DataChannelParser.parsePORT(argument))
        case .eprt: return (.extendedActive, DataChannelParser.parseEPRT(argument))
        default: return (.longActive, DataChannelParser.parseLPRT(argument))
        }
    }

    /// What a data command binds, from the state in force, into `dataCommandInput`. Built where it is kept: built
    /// apart and returned, the value (four strings) was copied into the field and the original destroyed.
    private mutating func bindDataCommand(_ command: FTPCommand, at time: Timestamp) {
        var path: Pathname?
        if command.verb.takesPath || !command.argument.isEmpty {
            let argument = command.argument
            // The first byte looked at first: `hasPrefix` of a literal went through the generic string comparison
            // for every path (nothing but a `-` byte can begin a string that starts with the character `-`).
            if !argument.isEmpty && !(argument.utf8.first == UInt8(ascii: "-") && argument.hasPrefix("-")) {
                path = ReplyParsing.pathname(argument, cwd: workingDirectory)
            } else if command.verb.isListing {
                path = workingDirectory.map(Pathname.resolved)
            }
        }
        var expectedSize: UInt64?
        if case .retr = command.verb, let size = lastSize, let path, size.path == path { expectedSize = size.size }
        dataCommandInput = DataCommand(
            verb: command.verb, argument: command.argument, time: time, transferType: currentType,
            restOffset: restOffset, path: path, expectedSize: expectedSize)
    }

    /// Moves out what the last data command binds (`SessionAction.bindDataCommand`), leaving nil.
    mutating func takeDataCommandInput() -> DataCommand? {
        var taken: DataCommand?
        swap(&taken, &dataCommandInput)
        return taken
    }

    /// Records an anomaly and asks the analyzer to take it (rare: anomalies are what is not clean FTP).
    mutating func note(_ anomaly: ControlAnomaly, _ actions: inout SessionActions) {
        anomalies.append(anomaly)
        actions.append(.anomaly)
    }

    /// The oldest anomaly not yet taken.
    mutating func takeAnomaly() -> ControlAnomaly { anomalies.remove(at: 0) }

    /// A transfer took the REST offset in force (a data command was bound).
    mutating func restTaken() { restOffset = nil }
}
