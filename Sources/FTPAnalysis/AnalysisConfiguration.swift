import FTPProtocol

/// What the analysis treats as FTP and the limits that bound its memory.
public struct AnalysisConfiguration: Sendable {
    /// Ports always treated as FTP control ports (SPEC.md `--ports`, default 21).
    public var controlPorts: Set<UInt16> = [21]
    /// Ports of implicit FTPS (RFC 4217 section 1; IANA `ftps` is 990): TLS from the first byte, recognised as a
    /// protected session rather than garbage.
    public var implicitTLSPorts: Set<UInt16> = [990]
    /// Look for FTP on other ports by its content: a 220 greeting answered by FTP commands.
    public var detectByContent = true
    /// Bytes a connection on another port may carry before it must look like FTP.
    public var contentProbeBytes = 2048
    /// Line and reply caps of the control parser.
    public var protocolLimits = FTPLimits()
    /// Commands awaiting a reply, per session; beyond it the oldest are given up (pipelining floods).
    public var maxPendingCommands = 100
    /// How long an announced endpoint waits for its data connection, in nanoseconds.
    public var expectationLifetime: Int64 = 600_000_000_000
    /// How far a data connection's SYN may precede its announcement (reordered capture), in nanoseconds.
    public var expectationLead: Int64 = 2_000_000_000
    /// Announcements remembered per session; the oldest unused are dropped beyond it.
    public var maxExpectationsPerSession = 1000
    /// Announcements remembered over all sessions.
    public var maxExpectationsTotal = 100_000
    /// Connections remembered as possible early data connections (SYN before its 227).
    public var maxRecentUnmatched = 256
    /// Control sessions tracked at once (sessions whose connection carried no byte are not counted); connections
    /// to a control port beyond it are counted in `AnalysisStats.droppedSessions` and not analysed.
    public var maxSessions = 100_000
    /// Transfers and data-channel announcements kept per session; later ones are counted in
    /// `AnalysisStats.droppedTransfers` and noted once as an anomaly.
    public var maxTransfersPerSession = 10_000

    /// Keep ended sessions in `FTPAnalyzer.sessions` (for whole-document reports). Streaming outputs turn it off
    /// so that memory stays flat however long the capture.
    public var retainSessions = true

    /// Failed logins from one client to one server that make a `bruteforce` finding…
    ///
    /// Ten in ten minutes: Zeek's 20 in 15 minutes let a run of twelve guesses in a minute pass unseen, while
    /// fail2ban's FTP jails (vsftpd, proftpd, pure-ftpd) already act on 5 failures in 10 minutes. Ten leaves room
    /// for a user who mistypes a password a few times across several sessions.
    public var bruteforceThreshold = 10
    /// …within this window, in nanoseconds (ten minutes, as fail2ban's `findtime`).
    public var bruteforceWindow: Int64 = 10 * 60 * 1_000_000_000

    /// The defaults.
    public init() {}
}
