/// Bounds on what the control-channel parsers keep in memory for one connection.
///
/// A control channel is attacker-controlled text; without these a single endless line or an endless multi-line
/// reply would grow without bound. Every buffer in this module is sized from one of these values.
public struct FTPLimits: Sendable, Equatable {
    /// Bytes kept per line. The rest of an over-long line is counted (`FTPLine.originalLength`) but dropped,
    /// and the line is flagged `truncated`. RFC 959 sets no limit; real commands are far below 4 KiB.
    public var maxLineLength: Int = 4096
    /// Lines kept in one multi-line reply. The first and the final line are always kept (so a reply holds at
    /// least two); interior lines beyond this budget are counted in `FTPReply.truncatedLines`.
    public var maxReplyLines: Int = 1000

    /// The default limits.
    public init() {}

    /// Limits with explicit values; values below 1 are raised to 1 so a parser always has room for a line.
    public init(maxLineLength: Int, maxReplyLines: Int) {
        self.maxLineLength = max(1, maxLineLength)
        self.maxReplyLines = max(1, maxReplyLines)
    }
}
