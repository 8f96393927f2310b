/// Counters over the whole analysis.
public struct AnalysisStats: Sendable {
    /// TCP connections seen.
    public var tcpConnections: UInt64 = 0
    /// FTP control sessions found.
    public var ftpSessions: UInt64 = 0
    /// Connections matched to an FTP data-channel announcement.
    public var dataConnections: UInt64 = 0
    /// Connections on a control port that turned out not to be FTP.
    public var nonFTPControlConnections: UInt64 = 0
    /// Sessions found on a port other than the control ports by their content.
    public var sessionsFoundByContent: UInt64 = 0
    /// Announcements dropped because a cap was reached.
    public var droppedExpectations: UInt64 = 0
    /// Pending commands given up because the per-session cap was reached.
    public var droppedPendingCommands: UInt64 = 0
    /// Control connections not analysed because `maxSessions` sessions were already tracked.
    public var droppedSessions: UInt64 = 0
    /// Transfers and announcements not tracked because a session reached `maxTransfersPerSession`.
    public var droppedTransfers: UInt64 = 0

    /// Zero counters.
    public init() {}
}
