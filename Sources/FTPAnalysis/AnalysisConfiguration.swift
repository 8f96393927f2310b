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

    /// Keep ended sessions in `FTPAnalyzer.sessions` (for whole-document reports). Streaming outputs turn it off
    /// so that memory stays flat however long the capture.
    public var retainSessions = true

    /// The defaults.
    public init() {}
}
