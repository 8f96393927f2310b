import NetworkTypes

/// Something the analysis has settled, delivered as soon as it is settled so that outputs can stream (a timeline
/// row, a live line). Events arrive in the order they were settled, which is not always time order across
/// sessions: a command is delivered when its final reply arrives, a session's findings when it ends.
///
/// Every event is a value except the session at `sessionEnded`, and that one is final: once a session has ended,
/// the analysis does not change it again unless it keeps sessions for whole-capture reports or extracts files
/// (`AnalysisConfiguration.retainSessions`, a `DataChannelSink`). So a sink may run on another thread than the
/// analysis (the output stage of `--threads`): nothing it is handed is written while it reads.
public enum AnalysisEvent {
    /// A control connection was recognised as FTP; its id is assigned.
    case sessionStarted(SessionIdentity)
    /// The greeting, or a reply that answers no command.
    case reply(SessionIdentity, ReplyRecord)
    /// A command with its final reply (or without one, when the session ended first).
    case command(SessionIdentity, CommandRecord)
    /// The control channel switched to TLS at this time.
    case tlsStarted(SessionIdentity, Timestamp)
    /// Bytes of the control connection missing from the capture.
    case gap(SessionIdentity, time: Timestamp, length: UInt64, fromClient: Bool)
    /// A data channel's outcome is settled: the transfer as it was then, as a value (its fields in shared
    /// storage, so the case is small).
    case transfer(SessionIdentity, SettledTransfer)
    /// A finding (its session, if any, is named in it).
    ///
    /// Boxed (`indirect`): a finding is 384 bytes, and an enum is as large as its largest case, so unboxed every
    /// event (a command, a reply: a few per control line) was that large and copied whole at each hand-over. One
    /// allocation per finding costs less than those copies.
    indirect case finding(Finding)
    /// The control connection ended; the session is final (see above).
    case sessionEnded(FTPSession)
}

/// The session an event belongs to, as it stood when the event was settled: what streamed outputs print beside
/// each event, without a reference to the live session (which the analysis goes on changing).
public struct SessionIdentity: Sendable {
    /// `S1`, `S2`, … (`FTPSession.id`).
    public let id: String
    /// The client end of the control connection.
    public let client: Endpoint
    /// The server end.
    public let server: Endpoint
    /// The control connection's first packet.
    public let start: Timestamp
    /// Its last packet so far.
    public let lastSeen: Timestamp
    /// The user of the last USER command so far.
    public let user: String?
    /// True when the capture began after the control connection opened.
    public let startedMidstream: Bool
    /// True when FTP was recognised by its content on a port not configured for it.
    public let detectedByContent: Bool
    /// True when TLS began on the first byte (implicit FTPS).
    public let implicitTLS: Bool
    /// When the control channel went into TLS, if it had by then.
    public let tlsTime: Timestamp?
}

extension FTPSession {
    /// The session as it stands now, for an event.
    public var identity: SessionIdentity {
        SessionIdentity(
            id: id, client: client, server: server, start: start, lastSeen: end, user: user,
            startedMidstream: startedMidstream, detectedByContent: detectedByContent, implicitTLS: implicitTLS,
            tlsTime: tlsTime)
    }
}

/// Receives analysis events. Called synchronously on the analysis path, once per event (never per packet).
public protocol AnalysisEventSink: AnyObject {
    /// One settled event.
    func analysis(_ event: AnalysisEvent)
    /// One settled event the sink may keep without a copy: the analyzer hands every event over this way, so a
    /// sink that queues events (the output thread's hand-over) moves them instead of copying their strings and
    /// arrays. By default, `analysis(_:)`.
    func take(_ event: consuming AnalysisEvent)
}

extension AnalysisEventSink {
    public func take(_ event: consuming AnalysisEvent) { analysis(event) }
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
