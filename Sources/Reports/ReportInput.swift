import FTPAnalysis
import NetworkTypes

/// One capture file as the reports describe it (SPEC.md `inputs`).
public struct InputDescription: Sendable {
    public var path: String
    public var format: String
    public var linkType: String
    public var packets: UInt64
    public var bytes: UInt64
    public var firstTime: Timestamp?
    public var lastTime: Timestamp?
    public var truncated: Bool
    public var warning: String?

    /// Creates a description.
    public init(
        path: String, format: String, linkType: String, packets: UInt64, bytes: UInt64, firstTime: Timestamp?,
        lastTime: Timestamp?, truncated: Bool, warning: String?
    ) {
        self.path = path
        self.format = format
        self.linkType = linkType
        self.packets = packets
        self.bytes = bytes
        self.firstTime = firstTime
        self.lastTime = lastTime
        self.truncated = truncated
        self.warning = warning
    }
}

/// Everything a finished report shows.
public struct ReportInput {
    /// ftpscope's version.
    public var version: String
    /// The captures read.
    public var inputs: [InputDescription]
    /// Counters, in display order (snake_case names).
    public var stats: [(String, UInt64)]
    /// Settled sessions.
    public var sessions: [FTPSession]
    /// Findings in time order.
    public var findings: [Finding]
    /// The password policy.
    public var passwords: PasswordPolicy
    /// What the outputs were narrowed to (`--session`, `--status`, …), once `Narrowing.apply` made them so.
    public var narrowing: Narrowing?

    /// Creates the input of a report.
    public init(
        version: String, inputs: [InputDescription], stats: [(String, UInt64)], sessions: [FTPSession],
        findings: [Finding], passwords: PasswordPolicy
    ) {
        self.version = version
        self.inputs = inputs
        self.stats = stats
        self.sessions = sessions
        self.findings = findings
        self.passwords = passwords
    }
}

/// Whether passwords are shown (SPEC.md `--show-passwords`): hidden by default except for anonymous logins,
/// whose "password" is conventionally an e-mail address.
public struct PasswordPolicy: Sendable {
    /// True when `--show-passwords` was given.
    public var showPasswords: Bool

    /// Creates a policy.
    public init(showPasswords: Bool) { self.showPasswords = showPasswords }

    /// The placeholder for hidden passwords.
    public static let hidden = "<hidden>"

    /// What to print for a password given for `user`.
    public func display(password: String, user: String?) -> String {
        if showPasswords { return password }
        if let user, FTPSession.isAnonymousUser(user) { return password }
        return PasswordPolicy.hidden
    }

    /// The argument of a command as it may be printed.
    public func displayArgument(of command: CommandRecord) -> String {
        // A pattern rather than `==`: the derived equality of a verb (it has a payload case) is a call, made for
        // every command's timeline row.
        if case .pass = command.verb { return display(password: command.argument, user: command.user) }
        return command.argument
    }
}
