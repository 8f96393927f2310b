import FTPProtocol
import NetworkTypes

/// How a session's login went (SPEC.md, login).
public enum LoginOutcome: String, Sendable, Hashable {
    /// A USER/PASS (or USER alone) was accepted with 230 or 202.
    case succeeded
    /// Every attempt was rejected.
    case failed
    /// An anonymous (`anonymous`/`ftp`) login was accepted.
    case anonymous
    /// No USER was seen.
    case none
    /// USER was seen but no final reply to the login.
    case unknown
}

/// The kind of data-channel announcement (SPEC.md, mode).
public enum DataMode: String, Sendable, Hashable {
    case active
    case passive
    case extendedActive = "extended_active"
    case extendedPassive = "extended_passive"
    case longActive = "long_active"
    case longPassive = "long_passive"

    /// True when the server opens the data connection (PORT, EPRT, LPRT).
    public var serverConnects: Bool { self == .active || self == .extendedActive || self == .longActive }
}

/// How bad a finding is.
public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable {
    case high, medium, low, info

    /// THE severity order (high = 3 … info = 0): findings are sorted by it here and listed by it in every report.
    public var rank: Int {
        switch self {
        case .high: return 3
        case .medium: return 2
        case .low: return 1
        case .info: return 0
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// What a finding is about (SPEC.md, finding kinds).
public enum FindingKind: String, Sendable, Hashable, CaseIterable {
    case cleartextCredentials = "cleartext_credentials"
    case failedDataConnection = "failed_data_connection"
    case natAddressMismatch = "nat_address_mismatch"
    case privateAddressAnnounced = "private_address_announced"
    case passiveAddressMismatch = "passive_address_mismatch"
    case bounce
    case bruteforce
    case anonymousLogin = "anonymous_login"
    case tlsProtected = "tls_protected"
    case captureGap = "capture_gap"
    /// A command that runs programs or copies files on the server (SITE EXEC, ProFTPD mod_copy's SITE CPFR/CPTO)
    /// accepted, or a login as root.
    case riskyCommand = "risky_command"
    case protocolAnomaly = "protocol_anomaly"
}

/// A value of a finding's evidence: kept simple so every report can render it.
public enum EvidenceValue: Sendable, Hashable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case list([EvidenceValue])
    case object([(String, EvidenceValue)])

    public static func == (lhs: EvidenceValue, rhs: EvidenceValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.list(let a), .list(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .string(let value): hasher.combine(value)
        case .int(let value): hasher.combine(value)
        case .bool(let value): hasher.combine(value)
        case .list(let values): hasher.combine(values)
        case .object(let pairs):
            for (key, value) in pairs {
                hasher.combine(key)
                hasher.combine(value)
            }
        }
    }
}

/// A judgement about the capture: what was found, how bad, and the facts behind it. Its sentences are worded by
/// the reports from `facts` (Reports/FindingWording.swift).
public struct Finding: Sendable {
    /// What kind.
    public var kind: FindingKind
    /// How bad.
    public var severity: Severity
    /// The session it concerns (`S1`), if any.
    public var session: String?
    /// When it happened.
    public var time: Timestamp
    /// What was found, as values.
    public var facts: FindingFacts
    /// Facts behind it, in order, as every report shows them (JSON `evidence`).
    public var evidence: [(String, EvidenceValue)]

    /// Creates a finding.
    public init(
        kind: FindingKind, severity: Severity, session: String?, time: Timestamp, facts: FindingFacts,
        evidence: [(String, EvidenceValue)] = []
    ) {
        self.kind = kind
        self.severity = severity
        self.session = session
        self.time = time
        self.facts = facts
        self.evidence = evidence
    }

    /// The verdict of the failed transfer a `failed_data_connection` finding is about.
    public var verdict: DataVerdict? {
        if case .failedDataConnection(let verdict) = facts { return verdict }
        return nil
    }
}

/// A server reply as recorded on a command.
public struct ReplyRecord: Sendable, Equatable {
    /// The three-digit code.
    public var code: Int
    /// The text, multi-line replies joined with `\n`.
    public var text: String
    /// When the reply's last line arrived.
    public var time: Timestamp

    /// True when a line of the reply was longer than the line cap and was cut (like `CommandRecord.truncated`).
    public var truncated = false

    /// Creates a record.
    public init(code: Int, text: String, time: Timestamp) {
        self.code = code
        self.text = text
        self.time = time
    }
}

/// One command and what the server said to it.
public struct CommandRecord: Sendable {
    /// When the command was sent.
    public var time: Timestamp
    /// The verb (recognised upper-cased, RFC 959 section 5.3).
    public var verb: FTPVerb
    /// The verb as sent when it is not well-formed (see `FTPCommand.malformedVerb`); nil otherwise.
    public var malformedVerb: String? {
        // Inlinable, as the other getters read here: the reports ask for it per command, and a call into this
        // module for a nil check was about 18 instructions.
        @inlinable get {
            guard let oddities else { return nil }
            return oddities.malformedVerb
        }
        set {
            oddities = Oddities.of(
                malformedVerb: newValue, malformedReply: malformedReply, preliminary: oddities?.preliminary)
        }
    }
    /// Argument as sent (passwords are redacted by the reports, not here).
    public var argument: String
    /// Preliminary (1xx) replies, in order (kept in `oddities`: most commands have none).
    public var preliminary: [ReplyRecord] {
        get { oddities?.preliminary.all ?? [] }
        set {
            oddities = Oddities.of(
                malformedVerb: malformedVerb, malformedReply: malformedReply, preliminary: PreliminaryReplies(newValue))
        }
    }
    /// The final reply, if one came.
    public var reply: ReplyRecord?
    /// The user known when the command was sent.
    public var user: String?
    /// True when the line was longer than the line cap and was cut.
    public var truncated = false
    /// A reply line without a valid code received where this command's reply was due.
    public var malformedReply: String? {
        @inlinable get {
            guard let oddities else { return nil }
            return oddities.malformedReply
        }
        set {
            oddities = Oddities.of(
                malformedVerb: malformedVerb, malformedReply: newValue, preliminary: oddities?.preliminary)
        }
    }
    /// True when the command itself was lost in a capture gap and is inferred from its reply.
    public var reconstructed = false
    /// True when its reply was lost in a capture gap.
    public var replyLost = false
    /// Index into the session's transfers when this command announced or used a data channel.
    public var transferIndex: Int?

    /// The malformed verb and reply and the preliminary replies, together and boxed: nil for nearly every command.
    /// Inline, the two optional strings and the array cost three retains when the record is copied (once per
    /// command, for its event) and three releases when a copy goes (twice: the event, then the session); boxed, one
    /// of each. (The array was one even when empty: a reference to the runtime's empty storage.) The first
    /// preliminary reply is held in the box itself, so a command with a 1xx reply (a transfer) still allocates
    /// once, the box instead of the array.
    @usableFromInline var oddities: Oddities?

    /// The verb as reports write it: the catalog spelling, or what was sent for an unknown or malformed verb.
    public var verbText: String { malformedVerb ?? verb.name }

    /// True once something stands for its final reply: the reply, a malformed line, or a reply lost in a gap.
    /// (Matched on the cases: `reply != nil` copied the reply to compare it, and released it.)
    var isAnswered: Bool {
        if case .some = reply { return true }
        if replyLost { return true }
        guard let oddities else { return false }
        if case .some = oddities.malformedReply { return true }
        return false
    }

    /// See `oddities`. Immutable (a setter replaces the box), so records copied to other threads share it safely.
    @usableFromInline final class Oddities: Sendable {
        @usableFromInline let malformedVerb: String?
        @usableFromInline let malformedReply: String?
        @usableFromInline let preliminary: PreliminaryReplies

        fileprivate init(malformedVerb: String?, malformedReply: String?, preliminary: PreliminaryReplies) {
            self.malformedVerb = malformedVerb
            self.malformedReply = malformedReply
            self.preliminary = preliminary
        }

        /// A box for these, or nil when all are nil or empty.
        static func of(malformedVerb: String?, malformedReply: String?, preliminary: PreliminaryReplies?) -> Oddities? {
            let preliminary = preliminary ?? PreliminaryReplies()
            guard malformedVerb != nil || malformedReply != nil || preliminary.first != nil else { return nil }
            return Oddities(malformedVerb: malformedVerb, malformedReply: malformedReply, preliminary: preliminary)
        }
    }

    /// A command's preliminary replies: the first inline (a transfer's one 150), an array only beyond it.
    @usableFromInline struct PreliminaryReplies: Sendable {
        @usableFromInline var first: ReplyRecord?
        var later: [ReplyRecord] = []

        init() {}

        init(_ replies: [ReplyRecord]) {
            first = replies.first
            later = Array(replies.dropFirst())
        }

        /// All of them, in order.
        var all: [ReplyRecord] {
            guard let first else { return [] }
            return later.isEmpty ? [first] : [first] + later
        }

        /// Calls `body` with each, in order, lent in place.
        func forEach(_ body: (ReplyRecord) -> Void) {
            guard let first else { return }
            body(first)
            for reply in later { body(reply) }
        }
    }

    /// Adds a preliminary reply: one box per command with 1xx replies, as the array it replaces was one allocation.
    mutating func appendPreliminary(_ reply: ReplyRecord) {
        guard let box = oddities else {
            var replies = PreliminaryReplies()
            replies.first = reply
            oddities = Oddities(malformedVerb: nil, malformedReply: nil, preliminary: replies)
            return
        }
        var replies = box.preliminary
        if case .some = replies.first { replies.later.append(reply) } else { replies.first = reply }
        oddities = Oddities(malformedVerb: box.malformedVerb, malformedReply: box.malformedReply, preliminary: replies)
    }

    /// Milliseconds from the command to its final reply.
    public var replyTimeMilliseconds: Double? { reply.map { time.milliseconds(to: $0.time) } }
}

extension CommandRecord {
    /// `malformedVerb` of the record at `record`, read where it lies: the getter called through `pointee` from
    /// another module copied the whole record first (136 bytes, a memcpy per command of the JSON document).
    @inlinable public static func malformedVerb(at record: UnsafePointer<CommandRecord>) -> String? {
        guard let oddities = record.pointee.oddities else { return nil }
        return oddities.malformedVerb
    }

    /// True when the record at `record` has preliminary replies (read in place, as `malformedVerb(at:)`).
    @inlinable public static func hasPreliminary(at record: UnsafePointer<CommandRecord>) -> Bool {
        guard let oddities = record.pointee.oddities else { return false }
        if case .some = oddities.preliminary.first { return true }
        return false
    }

    /// Calls `body` with each preliminary reply of the record at `record`, in order, without making an array of
    /// them (the `preliminary` getter does).
    public static func forEachPreliminary(at record: UnsafePointer<CommandRecord>, _ body: (ReplyRecord) -> Void) {
        record.pointee.oddities?.preliminary.forEach(body)
    }

    /// The record of a command as sent, taking its strings (left empty or nil in `command`), not copying them.
    ///
    /// Made by the implicit memberwise initializer, in one piece: an explicit initializer stored the fields into a
    /// temporary that was then copied out and destroyed (a retain and a release of each string per command).
    @inline(__always)
    static func taking(
        _ command: inout FTPCommand, at time: Timestamp, user: String?, truncated: Bool
    ) -> CommandRecord {
        var argument = ""
        swap(&argument, &command.argument)
        // The malformed verb is matched on its case, not compared with nil: `== nil` on a `String?` went through
        // the generic comparison, which copied the optional by its value witness (about 90 instructions a
        // command, for the nil of nearly every one).
        let oddities: Oddities?
        if case .some = command.malformedVerb {
            var malformedVerb: String?
            swap(&malformedVerb, &command.malformedVerb)
            oddities = Oddities.of(malformedVerb: malformedVerb, malformedReply: nil, preliminary: nil)
        } else {
            oddities = nil
        }
        return CommandRecord(
            time: time, verb: command.verb, argument: argument, user: user, truncated: truncated, oddities: oddities)
    }
}

/// One login attempt (USER, then PASS or ACCT as needed).
public struct LoginAttempt: Sendable {
    /// The user name given.
    public var user: String
    /// When USER was sent.
    public var time: Timestamp
    /// The password, if PASS was sent (reports decide whether to show it).
    public var password: String?
    /// Outcome of this attempt.
    public var outcome: LoginOutcome
    /// The reply code that settled it.
    public var replyCode: Int?
}

/// How the control connection ended.
public enum SessionEnd: String, Sendable {
    /// The client sent QUIT and the connection closed.
    case quit
    /// Closed with FIN without QUIT.
    case closed
    /// Reset by one side.
    case reset
    /// Still open when the capture ended.
    case captureEnd = "capture_end"
    /// Went idle past the timeout.
    case timeout
}
