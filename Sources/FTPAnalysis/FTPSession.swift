import FTPProtocol
import NetworkTypes
import TCPReassembly

/// One FTP control connection and everything learnt from it.
public final class FTPSession {
    /// The client end of the control connection.
    public let client: Endpoint
    /// The server end.
    public let server: Endpoint
    /// The control connection's first packet.
    public let start: Timestamp
    /// Its last packet.
    public internal(set) var end: Timestamp
    // What every control segment (or every event) reads or writes, next to `end` and the endpoints, in the
    // session's first two cache lines, then the channels and the machine that every line goes through: declared
    // further down (after the id, the banner and the lists), they were more lines touched per segment, and with
    // hundreds of sessions open at once each was a likely cache miss. (Stored properties are laid out in
    // declaration order; the id, read only when an identity is made, is after them.)
    /// What every event's `SessionIdentity` shares, made when the session gets its id (`refreshIdentity`).
    var identityFixed: SessionIdentity.Fixed?
    /// Every command with its replies, in records that stay where they are: the command events point at them
    /// (`CommandLog`, whose comment says when a record may be written).
    public let commands = CommandLog()
    /// What the command events handed over last share (`commandContext()`).
    private var lastCommandContext: CommandContext?
    /// When TLS began on the control channel (every event's identity carries it).
    public internal(set) var tlsTime: Timestamp?
    /// True once the connection carried a payload byte either way (an empty one is not reported as non-FTP).
    var sawPayload = false
    /// Each side's bytes are TLS records now (after 234, or from the first byte), until it returns after CCC.
    var clientEncrypted = false
    var serverEncrypted = false
    /// `detectedByContent`, kept here where every segment reads it (the machine's copy is lines further down): such
    /// a connection may turn out not to be FTP and drop its context (this session) mid-segment, so each of its
    /// segments holds a reference to it (`FTPAnalyzer.connection(_:received:from:at:)`).
    private(set) var judgedByContent = false
    /// The first bytes of each direction (implicit TLS is judged on them, `FTPAnalyzer.openStream`). The
    /// connection's context is the session itself, so these are here rather than in an object of their own.
    var clientHead = StreamHead()
    var serverHead = StreamHead()
    /// The control channel's two directions as text (framing, reply assembly, the gap policy).
    var clientChannel: ClientControlChannel
    var serverChannel: ServerControlChannel
    /// The protocol state: phase, commands awaiting replies, login, working directory, TYPE/REST, gap repair.
    var machine: SessionMachine
    /// `S1`, `S2`, … assigned when the connection is recognised as FTP (in practice the order of the control
    /// connections' first packets, since recognition comes with the greeting).
    public internal(set) var id: String = "" {
        didSet { refreshIdentity() }
    }
    /// The greeting text (multi-line joined with `\n`), if seen.
    public internal(set) var banner: String?
    /// The greeting's code.
    public internal(set) var bannerCode: Int?
    /// When the greeting arrived.
    public internal(set) var bannerTime: Timestamp?
    /// The user name of the last USER command.
    public internal(set) var user: String? {
        get { machine.user }
        set { machine.user = newValue }
    }
    /// Every login attempt in order.
    public internal(set) var loginAttempts: [LoginAttempt] {
        get { machine.loginAttempts }
        set { machine.loginAttempts = newValue }
    }
    /// True once AUTH TLS/SSL was accepted (or TLS was seen from the first byte).
    public internal(set) var tls = false
    /// True when TLS began on the first byte (implicit FTPS).
    public internal(set) var implicitTLS = false {
        didSet { refreshIdentity() }
    }
    /// Replies that answered no command (the greeting excluded), in order.
    public internal(set) var unsolicitedReplies: [ReplyRecord] = []
    /// Data-channel announcements and data commands.
    public internal(set) var transfers: [Transfer] = []
    /// The working directory, when PWD/CWD replies made it known.
    public internal(set) var workingDirectory: String? {
        get { machine.workingDirectory }
        set { machine.workingDirectory = newValue }
    }
    /// How the control connection ended.
    public internal(set) var endState: SessionEnd = .captureEnd
    /// Zeek-style state of the control connection.
    public internal(set) var connectionState: ConnectionState = .oth
    /// True when the capture began after the control connection opened (no SYN).
    public internal(set) var startedMidstream = false {
        didSet { refreshIdentity() }
    }
    /// Bytes missing from the capture on the control connection.
    public internal(set) var missingBytes: UInt64 = 0
    /// True when the connection was identified as FTP by its content rather than its port.
    public internal(set) var detectedByContent: Bool {
        get { machine.detectedByContent }
        set {
            machine.detectedByContent = newValue
            judgedByContent = newValue
            refreshIdentity()
        }
    }
    /// Control-channel anomalies (invalid reply lines, over-long lines, …) as text, bounded.
    public internal(set) var anomalies: [(Timestamp, String)] = []
    /// Anomalies not kept because the list was full.
    public internal(set) var droppedAnomalies = 0
    /// Serial of the control connection, for stable ordering.
    let connectionSerial: UInt64

    /// Retransmissions that carried different bytes than those delivered (issue 16).
    public internal(set) var conflictingRetransmissions = 0
    /// How far the analysis of this control connection has got.
    var phase: SessionPhase {
        get { machine.phase }
        set { machine.phase = newValue }
    }
    /// True once the connection was shown to speak FTP (it has an id and its events are delivered).
    var confirmed: Bool {
        get { machine.confirmed }
        set { if newValue { machine.confirm() } }
    }
    /// True once the control connection ended and everything was delivered.
    var ended: Bool {
        get { machine.ended }
        set { if newValue { machine.end() } }
    }
    /// Probing found the server's first line is not an FTP greeting: the connection is dropped, later lines ignored.
    var notFTP: Bool { phase == .notFTP }
    var greetingSeen: Bool { machine.greetingSeen }
    var validReplyLines: Int { machine.validReplyLines }
    var invalidServerLines: Int { machine.invalidServerLines }
    var wellFormedCommands: Int { machine.wellFormedCommands }
    var malformedCommands: Int { machine.malformedCommands }
    var quitSent: Bool { machine.quitSent }
    /// True once the credential findings were delivered (at the first accepted login).
    var credentialsReported: Bool {
        get { machine.credentialsReported }
        set { machine.credentialsReported = newValue }
    }
    var expectationCount = 0
    /// The newest of its expectations in the correlator's table, or -1 (`ExpectationTable`: the head of its list).
    var newestExpectationSlot: Int32 = -1
    /// Bytes seen so far of a connection judged by its content (`FTPAnalyzer.probe`).
    var probedBytes = 0
    /// True while the connection is judged by its content (and after it turned out not to be FTP).
    var probing: Bool { phase == .probing || phase == .notFTP }
    /// The transfer cap was reached and reported.
    var transferCapReported = false
    /// When the first capture gap was seen.
    public internal(set) var firstGapTime: Timestamp?
    /// When the control channel returned to clear text after TLS (CCC).
    public internal(set) var clearTextResumedAt: Timestamp?
    var clientTLS = TLSRecordSkipper()
    var serverTLS = TLSRecordSkipper()

    init(
        client: Endpoint, server: Endpoint, start: Timestamp, serial: UInt64, limits: FTPLimits = FTPLimits(),
        maxPendingCommands: Int = AnalysisConfiguration().maxPendingCommands
    ) {
        self.client = client
        self.server = server
        self.start = start
        self.end = start
        self.connectionSerial = serial
        clientChannel = ClientControlChannel(limits: limits)
        serverChannel = ServerControlChannel(limits: limits)
        machine = SessionMachine(maxPendingCommands: maxPendingCommands, limits: limits)
    }

    /// Commands already delivered as events.
    var emittedCommands: Int { commands.emitted }

    /// The shared part of a command event settled now: the last one made while the session's identity (its
    /// shared part, user and TLS time) is still what it holds, else a new one. Made once per session in the common
    /// case, so a command's event costs one retain.
    func commandContext() -> CommandContext {
        if let context = lastCommandContext, context.session.fixed === identityFixed,
            context.userVersion == machine.userVersion, context.session.tlsTime == tlsTime
        {
            return context
        }
        let context = CommandContext(session: identity, log: commands, userVersion: machine.userVersion)
        lastCommandContext = context
        return context
    }

    /// Every reply in the order it arrived: the greeting, preliminary and final replies, and unsolicited ones.
    public var repliesInOrder: [ReplyRecord] {
        var all: [ReplyRecord] = []
        if let code = bannerCode, let time = bannerTime { all.append(ReplyRecord(code: code, text: banner ?? "", time: time)) }
        for command in commands {
            all.append(contentsOf: command.preliminary)
            if let reply = command.reply { all.append(reply) }
        }
        all.append(contentsOf: unsolicitedReplies)
        // Stable: replies that share a timestamp (one segment) keep the order they were recorded in.
        return all.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    /// The earliest time of an event of this session that is not delivered yet (findings are delivered at the
    /// end of the session but carry the time of what they are about).
    var earliestPendingTime: Timestamp? {
        // Asked for every open session at each watermark update (each live batch): no allocation here.
        var earliest: Timestamp?
        func consider(_ time: Timestamp?) {
            if let time, earliest.map({ time < $0 }) ?? true { earliest = time }
        }
        if !confirmed { consider(start) }
        if emittedCommands < commands.count { consider(commands[emittedCommands].time) }
        if let transfer = transfers.first(where: { !$0.settled }) { consider(transfer.announcedAt ?? transfer.commandTime) }
        if !credentialsReported { consider(loginAttempts.first?.time) }
        consider(anomalies.first?.0)
        consider(firstGapTime)
        consider(tlsTime)
        return earliest
    }

    /// The session's login outcome over all attempts.
    public var login: LoginOutcome {
        // One pass from the last attempt, reading only the outcomes in place: `last(where:)` and
        // `contains(where:)` copied attempts (a retain and a release of their strings each) on the way, about 250
        // instructions per session for the reports that ask.
        machine.loginAttempts.withUnsafeBufferPointer { attempts in
            if attempts.isEmpty { return .none }
            var failed = false
            var index = attempts.count - 1
            while index >= 0 {
                switch attempts[index].outcome {
                case .succeeded: return .succeeded
                case .anonymous: return .anonymous
                case .failed: failed = true
                case .none, .unknown: break
                }
                index -= 1
            }
            return failed ? .failed : .unknown
        }
    }

    /// Room for a typical session's transfers at once, made at its first: grown from empty one append at a time,
    /// the list was reallocated at the 1st, 3rd, 5th and 9th transfer (2 673 allocations for 1 660 sessions with
    /// transfers on c01; with this, about 1 950). 96 bytes for a session with a transfer or two.
    static let initialTransferCapacity = 8

    /// Adds a transfer to `transfers`.
    func addTransfer(_ transfer: Transfer) {
        if transfers.capacity == 0 { transfers.reserveCapacity(FTPSession.initialTransferCapacity) }
        transfers.append(transfer)
    }

    /// Maximum anomalies kept per session; the rest are counted.
    static let maxAnomalies = 100

    func noteAnomaly(_ anomaly: ControlAnomaly, at time: Timestamp) {
        noteAnomaly(anomaly.sentence, at: time)
    }

    /// Keeps an anomaly's sentence (the list is text while finding evidence is).
    func noteAnomaly(_ text: String, at time: Timestamp) {
        if anomalies.count < FTPSession.maxAnomalies {
            anomalies.append((time, text))
        } else {
            droppedAnomalies += 1
        }
    }
}

extension LoginAttempt {
    /// True for the guest accounts whose "password" is conventionally an e-mail address.
    public var isAnonymousUser: Bool { FTPSession.isAnonymousUser(user) }
}

extension FTPSession {
    /// `anonymous` and `ftp` (RFC 1635) are guest logins whose password is an e-mail address.
    public static func isAnonymousUser(_ user: String) -> Bool {
        isWord(user, "anonymous") || isWord(user, "ftp")
    }

    /// True when `text` is `word` (lower-case ASCII letters) in any case: what `text.lowercased() == word` says,
    /// compared byte by byte without making the lower-cased string (a call into the runtime's case mapping, about
    /// 150 instructions, for each login attempt judged). The only character outside ASCII that lower-cases into
    /// ASCII is the Kelvin sign (to `k`), a letter none of the words asked about has.
    static func isWord(_ text: String, _ word: StaticString) -> Bool {
        let letters = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        let compared = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard bytes.count == letters.count else { return false }
            var index = 0
            while index < bytes.count {
                // Only the letter and its upper case give the letter with bit 5 set.
                if bytes[index] | 0x20 != letters[index] { return false }
                index += 1
            }
            return true
        }
        return compared ?? (text.lowercased() == String(decoding: letters, as: UTF8.self))
    }
}
