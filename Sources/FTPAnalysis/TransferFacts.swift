import FTPProtocol
import NetworkTypes

/// What a transfer is, read alike from the analysis's live `Transfer` and from the `SettledTransfer` value that
/// streamed outputs receive when it settles (issue 14: events are values, so a row written when a transfer
/// settled says what it was then, whatever the analysis does with the transfer afterwards).
public protocol TransferFacts {
    /// The data command (LIST, RETR, …), or nil while only announced.
    var command: FTPVerb? { get }
    /// Its argument.
    var argument: String? { get }
    /// The argument resolved against the working directory.
    var path: String? { get }
    /// How the channel was announced; nil when no announcement was seen.
    var mode: DataMode? { get }
    /// The announcement's command verb (PORT, EPRT, PASV, EPSV, LPRT, LPSV).
    var announcementVerb: FTPVerb? { get }
    /// The endpoint that was announced (host resolved to the control peer for 229 or 0.0.0.0).
    var announced: Endpoint? { get }
    /// When it was announced.
    var announcedAt: Timestamp? { get }
    /// When the data command was sent.
    var commandTime: Timestamp? { get }
    /// The reply to the announcement (200 to PORT, 227 to PASV, …).
    var announcementReply: ReplyRecord? { get }
    /// The final reply to the data command.
    var reply: ReplyRecord? { get }
    /// Preliminary reply (150/125) to the data command.
    var preliminaryReply: ReplyRecord? { get }
    /// Data connections matched to it (normally one).
    var connections: [DataConnectionRecord] { get }
    /// Size announced by `150 … (N bytes)` or a SIZE reply.
    var expectedSize: UInt64? { get }
    /// REST offset in force for this transfer.
    var restOffset: UInt64? { get }
    /// TYPE in force (A, I, …).
    var transferType: String? { get }
    /// True when ABOR was sent during it.
    var abortRequested: Bool { get }
    /// True when inferred without a readable announcement.
    var inferred: Bool { get }
    /// The typed verdict (status, cause, evidence).
    var verdict: DataVerdict { get }
    /// The outcome (the verdict's status).
    var status: DataStatus { get }
    /// Why it failed (the verdict's cause); nil unless `status.isFailure`.
    var cause: DataCause? { get }
    /// The facts behind the verdict.
    var evidence: DataEvidence { get }
    /// Throughput, time to first byte, retransmissions, zero windows, who closed.
    var metrics: TransferMetrics? { get }
    /// The file written for it by extraction (`--extract`).
    var extractedFile: ExtractedFile? { get }
    /// The parsed directory listing of a LIST/NLST/MLSD transfer, when its payload was read.
    var listing: [ListingEntry]? { get }
}

/// A settled transfer as a value: what the `transfer` event carries.
///
/// A value whose fields live in one shared storage object, written only through a fresh copy: the fields together
/// are 776 bytes, and an event holding them inline (or boxed, and copied into the box) was copied whole at every
/// hand-over. The storage is made once, filled from the transfer; the fields are constants of it, so reading one
/// is a plain load (a variable of a class would be checked for exclusive access on every read). The verdict's
/// parts are read in place (`status`, `cause`, `evidence`): asking for `verdict.status` must not copy the
/// 342-byte verdict.
public struct SettledTransfer: TransferFacts, Sendable {
    /// The fields, as the transfer had them.
    private struct Fields: Sendable {
        var command: FTPVerb?
        var argument: String?
        var pathname: Pathname?
        var mode: DataMode?
        var announcementVerb: FTPVerb?
        var announced: Endpoint?
        var announcedAt: Timestamp?
        var commandTime: Timestamp?
        var announcementReply: ReplyRecord?
        var reply: ReplyRecord?
        var preliminaryReply: ReplyRecord?
        var connections: [DataConnectionRecord]
        var expectedSize: UInt64?
        var restOffset: UInt64?
        var transferType: String?
        var abortRequested: Bool
        var inferred: Bool
        var verdict: DataVerdict
        var metrics: TransferMetrics?
        var extractedFile: ExtractedFile?
        var listing: [ListingEntry]?
        var index: Int
    }

    /// Shared, never written: a setter replaces it.
    private final class Storage: Sendable {
        let fields: Fields

        init(_ fields: Fields) { self.fields = fields }
    }

    private var storage: Storage

    /// Writes one field: copy on write, as a plain struct behaves (nothing on the analysis path writes).
    private mutating func update(_ change: (inout Fields) -> Void) {
        var fields = storage.fields
        change(&fields)
        storage = Storage(fields)
    }

    /// See `TransferFacts.command`.
    public var command: FTPVerb? {
        get { storage.fields.command }
        set { update { $0.command = newValue } }
    }
    /// See `TransferFacts.argument`.
    public var argument: String? {
        get { storage.fields.argument }
        set { update { $0.argument = newValue } }
    }
    /// See `TransferFacts.path`.
    public var path: String? {
        get { storage.fields.pathname?.path }
        set { update { $0.pathname = newValue.map(Pathname.resolved) } }
    }
    /// See `TransferFacts.mode`.
    public var mode: DataMode? {
        get { storage.fields.mode }
        set { update { $0.mode = newValue } }
    }
    /// See `TransferFacts.announcementVerb`.
    public var announcementVerb: FTPVerb? {
        get { storage.fields.announcementVerb }
        set { update { $0.announcementVerb = newValue } }
    }
    /// See `TransferFacts.announced`.
    public var announced: Endpoint? {
        get { storage.fields.announced }
        set { update { $0.announced = newValue } }
    }
    /// See `TransferFacts.announcedAt`.
    public var announcedAt: Timestamp? {
        get { storage.fields.announcedAt }
        set { update { $0.announcedAt = newValue } }
    }
    /// See `TransferFacts.commandTime`.
    public var commandTime: Timestamp? {
        get { storage.fields.commandTime }
        set { update { $0.commandTime = newValue } }
    }
    /// See `TransferFacts.announcementReply`.
    public var announcementReply: ReplyRecord? {
        get { storage.fields.announcementReply }
        set { update { $0.announcementReply = newValue } }
    }
    /// See `TransferFacts.reply`.
    public var reply: ReplyRecord? {
        get { storage.fields.reply }
        set { update { $0.reply = newValue } }
    }
    /// See `TransferFacts.preliminaryReply`.
    public var preliminaryReply: ReplyRecord? {
        get { storage.fields.preliminaryReply }
        set { update { $0.preliminaryReply = newValue } }
    }
    /// See `TransferFacts.connections`.
    public var connections: [DataConnectionRecord] {
        get { storage.fields.connections }
        set { update { $0.connections = newValue } }
    }
    /// See `TransferFacts.expectedSize`.
    public var expectedSize: UInt64? {
        get { storage.fields.expectedSize }
        set { update { $0.expectedSize = newValue } }
    }
    /// See `TransferFacts.restOffset`.
    public var restOffset: UInt64? {
        get { storage.fields.restOffset }
        set { update { $0.restOffset = newValue } }
    }
    /// See `TransferFacts.transferType`.
    public var transferType: String? {
        get { storage.fields.transferType }
        set { update { $0.transferType = newValue } }
    }
    /// See `TransferFacts.abortRequested`.
    public var abortRequested: Bool {
        get { storage.fields.abortRequested }
        set { update { $0.abortRequested = newValue } }
    }
    /// See `TransferFacts.inferred`.
    public var inferred: Bool {
        get { storage.fields.inferred }
        set { update { $0.inferred = newValue } }
    }
    /// See `TransferFacts.verdict`.
    public var verdict: DataVerdict {
        get { storage.fields.verdict }
        set { update { $0.verdict = newValue } }
    }
    /// See `TransferFacts.status`.
    public var status: DataStatus { storage.fields.verdict.status }
    /// See `TransferFacts.cause`.
    public var cause: DataCause? { storage.fields.verdict.cause }
    /// See `TransferFacts.evidence`.
    public var evidence: DataEvidence { storage.fields.verdict.evidence }
    /// See `TransferFacts.metrics`.
    public var metrics: TransferMetrics? {
        get { storage.fields.metrics }
        set { update { $0.metrics = newValue } }
    }
    /// See `TransferFacts.extractedFile`.
    public var extractedFile: ExtractedFile? {
        get { storage.fields.extractedFile }
        set { update { $0.extractedFile = newValue } }
    }
    /// See `TransferFacts.listing`.
    public var listing: [ListingEntry]? {
        get { storage.fields.listing }
        set { update { $0.listing = newValue } }
    }
    /// Its position in its session's transfers (JSON `transfers[index]`, a finding's `transfer` evidence).
    public var index: Int {
        get { storage.fields.index }
        set { update { $0.index = newValue } }
    }

    /// The transfer as it is now. Every field is a value or copy-on-write storage shared with the transfer, so
    /// taking one costs no copy of the connections or the listing.
    public init(_ transfer: Transfer, index: Int) {
        storage = Storage(
            Fields(
                command: transfer.command,
                argument: transfer.argument,
                pathname: transfer.pathname,
                mode: transfer.mode,
                announcementVerb: transfer.announcementVerb,
                announced: transfer.announced,
                announcedAt: transfer.announcedAt,
                commandTime: transfer.commandTime,
                announcementReply: transfer.announcementReply,
                reply: transfer.reply,
                preliminaryReply: transfer.preliminaryReply,
                connections: transfer.connections,
                expectedSize: transfer.expectedSize,
                restOffset: transfer.restOffset,
                transferType: transfer.transferType,
                abortRequested: transfer.abortRequested,
                inferred: transfer.inferred,
                verdict: transfer.verdict,
                metrics: transfer.metrics,
                extractedFile: transfer.extractedFile,
                listing: transfer.listing,
                index: index))
    }
}

extension TransferFacts {
    /// The outcome (the verdict's status).
    public var status: DataStatus { verdict.status }
    /// Why it failed (the verdict's cause); nil unless `status.isFailure`.
    public var cause: DataCause? { verdict.cause }
    /// The facts behind the verdict.
    public var evidence: DataEvidence { verdict.evidence }

    /// The primary observed connection: the one that carried data, else the last attempt.
    public var observedConnection: DataConnectionRecord? { observedIndex.map { connections[$0] } }

    /// Where the primary observed connection is in `connections`. The accessors below read single fields through
    /// it: the record is large, and a copy of it per question was a measurable share of settling a transfer.
    public var observedIndex: Int? {
        // Read once: each read through the protocol's getter copied the array out (a retain and a release), about
        // ten times a transfer.
        let connections = self.connections
        // Nearly every transfer has one connection or none; the comparison below is for the rest.
        if connections.count < 2 { return connections.isEmpty ? nil : 0 }
        return connections.indices.max { lhs, rhs in
            (connections[lhs].originatorBytes + connections[lhs].responderBytes, connections[lhs].firstTime.nanoseconds)
                < (
                    connections[rhs].originatorBytes + connections[rhs].responderBytes,
                    connections[rhs].firstTime.nanoseconds
                )
        }
    }

    /// The endpoint actually connected to.
    public var observed: Endpoint? { observedIndex.map { connections[$0].responder } }

    /// The outcome of one of its connections as the correlator reads it: the transfer's status for the primary
    /// (or only) connection, else that connection's own failure to establish or reset.
    public func outcome(of connection: DataConnectionRecord) -> DataStatus {
        guard connections.count > 1, let primary = observedIndex,
            !(connections[primary].firstTime == connection.firstTime
                && connections[primary].originator == connection.originator)
        else { return status }
        return DataChannelCorrelator.outcome(of: connection, status: status)
    }

    /// SYNs sent over every matched connection.
    public var synAttempts: Int { connections.reduce(0) { $0 + $1.synAttempts } }

    /// True when data flows client → server (uploads).
    public var isUpload: Bool { command?.isUpload ?? false }

    /// Payload bytes sent in the data direction: those in the capture plus those the capture missed (the
    /// stream's sequence numbers tell how many were sent), so a thinned capture does not look like a short file.
    public var bytes: UInt64 { capturedBytes + missingBytes }

    /// Payload bytes in the data direction that are in the capture.
    public var capturedBytes: UInt64 {
        guard let index = observedIndex else { return 0 }
        if command == nil { return connections[index].originatorBytes + connections[index].responderBytes }
        return dataFromOriginator ? connections[index].originatorBytes : connections[index].responderBytes
    }

    /// Payload bytes in the data direction missing from the capture.
    public var missingBytes: UInt64 {
        guard let index = observedIndex else { return 0 }
        if command == nil {
            return connections[index].originatorMissingBytes + connections[index].responderMissingBytes
        }
        return dataFromOriginator ? connections[index].originatorMissingBytes : connections[index].responderMissingBytes
    }

    /// True when the side that receives the data reset the data connection.
    var receiverReset: Bool {
        guard let index = observedIndex, command != nil else { return false }
        return dataFromOriginator ? connections[index].responderReset : connections[index].originatorReset
    }

    /// The data direction is fixed by the command, the opener by the mode: an upload in passive mode is sent by
    /// the originator (the client), a download in passive mode by the responder (the server).
    var dataFromOriginator: Bool {
        let clientOpened = !(mode?.serverConnects ?? true)
        return isUpload == clientOpened
    }

    /// When the data connection (or, without one, the data command) began.
    public var start: Timestamp? { observedIndex.map { connections[$0].firstTime } ?? commandTime ?? announcedAt }

    /// When it ended: the data connection's last packet, or the final reply.
    public var end: Timestamp? {
        let replyTime = reply?.time
        if let last = observedIndex.map({ connections[$0].lastTime }) {
            if let replyTime, replyTime > last { return replyTime }
            return last
        }
        return replyTime
    }
}
