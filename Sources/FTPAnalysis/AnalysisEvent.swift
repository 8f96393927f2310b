import NetworkTypes

/// Something the analysis has settled, delivered as soon as it is settled so that outputs can stream (a timeline
/// row, a live line). Events arrive in the order they were settled, which is not always time order across
/// sessions: a command is delivered when its final reply arrives, a session's findings when it ends.
public enum AnalysisEvent {
    /// A control connection was recognised as FTP; its id is assigned.
    case sessionStarted(FTPSession)
    /// The greeting, or a reply that answers no command.
    case reply(FTPSession, ReplyRecord)
    /// A command with its final reply (or without one, when the session ended first).
    case command(FTPSession, CommandRecord)
    /// The control channel switched to TLS at this time.
    case tlsStarted(FTPSession, Timestamp)
    /// Bytes of the control connection missing from the capture.
    case gap(FTPSession, time: Timestamp, length: UInt64, fromClient: Bool)
    /// A data channel's outcome is settled: the transfer as it was then, as a value.
    case transfer(FTPSession, SettledTransfer)
    /// A finding (its session, if any, is named in it).
    case finding(Finding)
    /// The control connection ended; the session is final.
    case sessionEnded(FTPSession)
}

/// Receives analysis events. Called synchronously on the analysis path, once per event (never per packet).
public protocol AnalysisEventSink: AnyObject {
    /// One settled event.
    func analysis(_ event: AnalysisEvent)
}

/// Receives the payload of data channels, for extraction. When set on the analyzer, data connections are
/// reassembled (in order, gaps reported) instead of only counted. Bytes are borrowed: valid only during the call.
public protocol DataChannelSink: AnyObject {
    /// In-order payload of a data connection; `fromServer` tells which side sent it.
    func dataChannel(
        _ transfer: Transfer, of session: FTPSession, received data: UnsafeRawBufferPointer, fromServer: Bool,
        at time: Timestamp)
    /// `length` bytes from one side are missing from the capture.
    func dataChannel(_ transfer: Transfer, of session: FTPSession, gapOf length: UInt64, fromServer: Bool, at time: Timestamp)
    /// The transfer is settled (its status and reply are final); no more bytes will come for it. Returns what
    /// was made of its payload, which the analysis records on the transfer (the sink does not write into the
    /// model).
    func dataChannelSettled(_ transfer: Transfer, of session: FTPSession) -> DataChannelResult
}

/// What a data-channel sink made of a settled transfer's payload.
public struct DataChannelResult: Sendable {
    /// The file written for it, if one was.
    public var file: ExtractedFile?
    /// Its parsed directory listing, for a LIST/NLST/MLSD transfer whose payload was read.
    public var listing: [ListingEntry]?

    /// Creates a result.
    public init(file: ExtractedFile? = nil, listing: [ListingEntry]? = nil) {
        self.file = file
        self.listing = listing
    }
}
