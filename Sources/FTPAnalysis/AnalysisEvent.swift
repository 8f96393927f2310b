import CommunityID
import NetworkTypes

/// Something the analysis has settled, delivered as soon as it is settled so that outputs can stream (a timeline
/// row, a live line). Events arrive in the order they were settled, which is not always time order across
/// sessions: a command is delivered when its final reply arrives, a session's findings when it ends.
///
/// Every event is a value except two references into the session. A command's record, which the analysis never
/// writes again once its event is made (`CommandLog`). And the session at `sessionEnded`, which is final: once a
/// session has ended, the analysis does not change it again unless it keeps sessions for whole-capture reports
/// or extracts files (`AnalysisConfiguration.retainSessions`, a `DataChannelSink`). So a sink may run on another
/// thread than the analysis (the output stage of `--threads`): nothing it is handed is written while it reads.
public enum AnalysisEvent {
    /// A control connection was recognised as FTP; its id is assigned.
    case sessionStarted(SessionIdentity)
    /// The greeting, or a reply that answers no command.
    case reply(SessionIdentity, ReplyRecord)
    /// A command with its final reply (or without one, when the session ended first): its record where the session
    /// keeps it, not a copy (the record with its strings, 168 bytes, was copied for every command on the analysis
    /// thread, the critical path, and destroyed on the output thread). `command(_:_:)` makes one by hand.
    case command(CommandEvent)
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

    /// The event of command `record` of `session`, by hand (tests, hand-built inputs): the record in a log of its
    /// own.
    public static func command(_ session: SessionIdentity, _ record: CommandRecord) -> AnalysisEvent {
        .command(CommandEvent(session, record))
    }
}

/// The session an event belongs to, as it stood when the event was settled: what streamed outputs print beside
/// each event, without a reference to the live session (which the analysis goes on changing).
///
/// What cannot change once the session is confirmed is made once per session and shared by its events (`Fixed`):
/// each event (a few per control line) carries one reference instead of copies of the id, both endpoints and the
/// flags, and the Community ID is worked out once rather than by every output for every row.
public struct SessionIdentity: Sendable {
    /// The part of an identity shared by all of a session's events. Immutable, so outputs on other threads read
    /// it freely.
    @usableFromInline final class Fixed: Sendable {
        @usableFromInline let id: String
        @usableFromInline let client: Endpoint
        @usableFromInline let server: Endpoint
        @usableFromInline let start: Timestamp
        @usableFromInline let startedMidstream: Bool
        @usableFromInline let detectedByContent: Bool
        @usableFromInline let implicitTLS: Bool
        /// The number in `id` (`S12` → 12), read once here so outputs key their per-session tables by it
        /// without parsing the id for every row; nil for an id of another form (hand-built inputs).
        @usableFromInline let number: UInt64?

        init(_ session: FTPSession) {
            id = session.id
            number = SessionIdentity.number(of: session.id)
            client = session.client
            server = session.server
            start = session.start
            startedMidstream = session.startedMidstream
            detectedByContent = session.detectedByContent
            implicitTLS = session.implicitTLS
        }
    }

    // The shared part's fields are read by inlined getters: the outputs read them for every row, and each was a
    // call into this module (the session number's about 6 instructions, 60 000 calls on c01).
    @usableFromInline let fixed: Fixed
    /// `S1`, `S2`, … (`FTPSession.id`).
    @inlinable public var id: String { fixed.id }
    /// The number of `id` (`S12` → 12), or nil when the id is not `S` and digits without a leading zero.
    @inlinable public var number: UInt64? { fixed.number }
    /// The client end of the control connection.
    @inlinable public var client: Endpoint { fixed.client }
    /// The server end.
    @inlinable public var server: Endpoint { fixed.server }
    /// The control connection's first packet.
    @inlinable public var start: Timestamp { fixed.start }
    /// Community ID v1 of the control connection (SPEC.md, `community_id`), made when an output asks: the outputs
    /// keep it once per session, on their own thread, instead of the analysis thread (the critical path) making a
    /// hash and a string per session (and again whenever the identity is remade).
    public var communityID: String { CommunityID.v1(fixed.client, fixed.server) }
    /// Its last packet so far.
    public let lastSeen: Timestamp
    /// The user of the last USER command so far.
    public let user: String?
    /// True when the capture began after the control connection opened.
    @inlinable public var startedMidstream: Bool { fixed.startedMidstream }
    /// True when FTP was recognised by its content on a port not configured for it.
    @inlinable public var detectedByContent: Bool { fixed.detectedByContent }
    /// True when TLS began on the first byte (implicit FTPS).
    @inlinable public var implicitTLS: Bool { fixed.implicitTLS }
    /// When the control channel went into TLS, if it had by then.
    public let tlsTime: Timestamp?

    /// The session number of an id `S<digits>` without a leading zero (at most 18 digits), or nil.
    public static func number(of id: String) -> UInt64? {
        let parsed = id.utf8.withContiguousStorageIfAvailable { bytes -> UInt64? in
            guard bytes.count >= 2, bytes.count <= 19, bytes[0] == UInt8(ascii: "S"), bytes[1] != UInt8(ascii: "0")
            else { return nil }
            var number: UInt64 = 0
            for byte in bytes[1...] {
                guard byte &- UInt8(ascii: "0") < 10 else { return nil }
                number = number &* 10 &+ UInt64(byte &- UInt8(ascii: "0"))
            }
            return number
        }
        return parsed ?? nil
    }
}

extension FTPSession {
    /// The session as it stands now, for an event.
    ///
    /// Only reads the session (outputs call it on their own thread once the session has ended): the shared part
    /// is the one made when the session got its id, or, before that, a new one.
    public var identity: SessionIdentity {
        SessionIdentity(fixed: identityFixed ?? SessionIdentity.Fixed(self), lastSeen: end, user: user, tlsTime: tlsTime)
    }

    /// Community ID v1 of the control connection (SPEC.md, `community_id`), made when asked (see
    /// `SessionIdentity.communityID`).
    public var communityID: String { CommunityID.v1(client, server) }

    /// Remakes the shared part of the session's identity after one of its fields changed; none before the session
    /// has an id (most connections on a control port never get one, and would only pay for the Community ID).
    func refreshIdentity() {
        identityFixed = id.isEmpty ? nil : SessionIdentity.Fixed(self)
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
