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
    var connections: DataConnections { get }
    /// The record at `index` of `connections`, where it lies: read a field through it without copying the record
    /// (424 bytes). Valid while the transfer is neither written nor freed.
    func connection(at index: Int) -> UnsafePointer<DataConnectionRecord>
    /// Calls `body` with `connections`' records, where they lie, contiguous and in order.
    func withConnections<Result>(_ body: (UnsafeBufferPointer<DataConnectionRecord>) throws -> Result) rethrows -> Result
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
/// It shares the transfer's fields (those in the `Transfer` itself, or their `TransferStorage` block): taking it is
/// one retain, not a copy of the fields (776 bytes, a dozen strings and arrays) that the output thread then
/// destroyed. The analysis copies them before it writes the transfer again (copy on write), so the snapshot still says what the transfer was when it
/// settled (issue 14). The verdict's parts are read in place (`status`, `cause`, `evidence`): asking for
/// `verdict.status` must not copy the 342-byte verdict.
public struct SettledTransfer: TransferFacts, Sendable {
    // Fields read through addressors, inlined into the outputs (see `Transfer`).
    @usableFromInline var storage: SharedTransferStorage

    /// The fields, where they lie.
    @inlinable var fields: UnsafeMutablePointer<TransferFields> { storage.fields }

    /// The fields, to be written: copy on write, as a plain struct behaves (nothing on the analysis path writes).
    @usableFromInline var writable: UnsafeMutablePointer<TransferFields> {
        mutating get {
            // Held only here, the fields are written in place (also a transfer's inline fields: no one else
            // holds the transfer).
            if !isKnownUniquelyReferenced(&storage.owner) {
                let block = TransferStorage.make(storage.fields.pointee)
                storage = SharedTransferStorage(owner: block, fields: block.fields)
            }
            return storage.fields
        }
    }

    /// See `TransferFacts.command`.
    @inlinable public var command: FTPVerb? {
        unsafeAddress { readAddress(fields, \.command) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.command) }
    }
    /// See `TransferFacts.argument`.
    @inlinable public var argument: String? {
        unsafeAddress { readAddress(fields, \.argument) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.argument) }
    }
    /// See `TransferFacts.path`.
    public var path: String? {
        get { fields.pointee.pathname?.path }
        set { writable.pointee.pathname = newValue.map(Pathname.resolved) }
    }
    /// See `TransferFacts.mode`.
    @inlinable public var mode: DataMode? {
        unsafeAddress { readAddress(fields, \.mode) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.mode) }
    }
    /// See `TransferFacts.announcementVerb`.
    @inlinable public var announcementVerb: FTPVerb? {
        unsafeAddress { readAddress(fields, \.announcementVerb) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.announcementVerb) }
    }
    /// See `TransferFacts.announced`.
    @inlinable public var announced: Endpoint? {
        unsafeAddress { readAddress(fields, \.announced) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.announced) }
    }
    /// See `TransferFacts.announcedAt`.
    @inlinable public var announcedAt: Timestamp? {
        unsafeAddress { readAddress(fields, \.announcedAt) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.announcedAt) }
    }
    /// See `TransferFacts.commandTime`.
    @inlinable public var commandTime: Timestamp? {
        unsafeAddress { readAddress(fields, \.commandTime) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.commandTime) }
    }
    /// See `TransferFacts.announcementReply`.
    @inlinable public var announcementReply: ReplyRecord? {
        unsafeAddress { readAddress(fields, \.announcementReply) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.announcementReply) }
    }
    /// See `TransferFacts.reply`.
    @inlinable public var reply: ReplyRecord? {
        unsafeAddress { readAddress(fields, \.reply) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.reply) }
    }
    /// See `TransferFacts.preliminaryReply`.
    @inlinable public var preliminaryReply: ReplyRecord? {
        unsafeAddress { readAddress(fields, \.preliminaryReply) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.preliminaryReply) }
    }
    /// See `TransferFacts.connections`.
    @inlinable public var connections: DataConnections {
        unsafeAddress { readAddress(fields, \.connections) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.connections) }
    }
    /// See `TransferFacts.expectedSize`.
    @inlinable public var expectedSize: UInt64? {
        unsafeAddress { readAddress(fields, \.expectedSize) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.expectedSize) }
    }
    /// See `TransferFacts.restOffset`.
    @inlinable public var restOffset: UInt64? {
        unsafeAddress { readAddress(fields, \.restOffset) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.restOffset) }
    }
    /// See `TransferFacts.transferType`.
    @inlinable public var transferType: String? {
        unsafeAddress { readAddress(fields, \.transferType) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.transferType) }
    }
    /// See `TransferFacts.abortRequested`.
    @inlinable public var abortRequested: Bool {
        unsafeAddress { readAddress(fields, \.abortRequested) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.abortRequested) }
    }
    /// See `TransferFacts.inferred`.
    @inlinable public var inferred: Bool {
        unsafeAddress { readAddress(fields, \.inferred) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.inferred) }
    }
    /// See `TransferFacts.verdict`.
    @inlinable public var verdict: DataVerdict {
        unsafeAddress { readAddress(fields, \.verdict) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.verdict) }
    }
    /// See `TransferFacts.status`.
    @inlinable public var status: DataStatus { fields.pointee.verdict.status }
    /// See `TransferFacts.cause`.
    @inlinable public var cause: DataCause? { fields.pointee.verdict.cause }
    /// See `TransferFacts.evidence`.
    @inlinable public var evidence: DataEvidence {
        unsafeAddress { readAddress(fields, \.verdict.evidence) }
    }
    /// See `TransferFacts.metrics`.
    @inlinable public var metrics: TransferMetrics? {
        unsafeAddress { readAddress(fields, \.metrics) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.metrics) }
    }
    /// See `TransferFacts.extractedFile`.
    @inlinable public var extractedFile: ExtractedFile? {
        unsafeAddress { readAddress(fields, \.extractedFile) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.extractedFile) }
    }
    /// See `TransferFacts.listing`.
    @inlinable public var listing: [ListingEntry]? {
        unsafeAddress { readAddress(fields, \.listing) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.listing) }
    }
    /// See `TransferFacts.connection(at:)`.
    @inlinable public func connection(at index: Int) -> UnsafePointer<DataConnectionRecord> {
        DataConnections.record(index, of: readAddress(fields, \.connections))
    }
    /// See `TransferFacts.withConnections(_:)`.
    @inlinable public func withConnections<Result>(
        _ body: (UnsafeBufferPointer<DataConnectionRecord>) throws -> Result
    ) rethrows -> Result {
        try DataConnections.withRecords(of: readAddress(fields, \.connections), body)
    }
    /// See `TransferFacts.observedIndex`: read where the connections lie, without copying the array out.
    @inlinable public var observedIndex: Int? {
        DataConnections.observedIndex(of: readAddress(fields, \.connections))
    }
    /// Its position in its session's transfers (JSON `transfers[index]`, a finding's `transfer` evidence).
    @inlinable public var index: Int {
        unsafeAddress { readAddress(fields, \.index) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.index) }
    }

    /// The transfer as it is now, sharing its fields (the transfer copies them before it is written again).
    public init(_ transfer: Transfer, index: Int) {
        // Written before the block is shared, so in place (a second snapshot at another index copies it).
        if transfer.index != index { transfer.index = index }
        storage = transfer.handOut()
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
        // ten times a transfer. `Transfer` and `SettledTransfer` answer in place, without even that copy.
        withConnections { DataConnections.observedIndex(in: $0) }
    }

    /// The endpoint actually connected to.
    public var observed: Endpoint? { observedIndex.map { connection(at: $0).pointee.responder } }

    /// The outcome of one of its connections as the correlator reads it: the transfer's status for the primary
    /// (or only) connection, else that connection's own failure to establish or reset.
    public func outcome(of connection: DataConnectionRecord) -> DataStatus {
        guard connections.count > 1, let primary = observedIndex,
            !(self.connection(at: primary).pointee.firstTime == connection.firstTime
                && self.connection(at: primary).pointee.originator == connection.originator)
        else { return status }
        return DataChannelCorrelator.outcome(of: connection, status: status)
    }

    /// SYNs sent over every matched connection.
    public var synAttempts: Int {
        // Read where the records lie: `reduce` over the connections copied each record.
        withConnections { records in
            var total = 0
            for index in records.indices { total += (records.baseAddress! + index).pointee.synAttempts }
            return total
        }
    }

    /// True when data flows client → server (uploads).
    public var isUpload: Bool { command?.isUpload ?? false }

    /// Payload bytes sent in the data direction: those in the capture plus those the capture missed (the
    /// stream's sequence numbers tell how many were sent), so a thinned capture does not look like a short file.
    public var bytes: UInt64 { capturedBytes + missingBytes }

    /// Payload bytes in the data direction that are in the capture.
    public var capturedBytes: UInt64 {
        guard let index = observedIndex else { return 0 }
        let record = connection(at: index)
        if command == nil { return record.pointee.originatorBytes + record.pointee.responderBytes }
        return dataFromOriginator ? record.pointee.originatorBytes : record.pointee.responderBytes
    }

    /// Payload bytes in the data direction missing from the capture.
    public var missingBytes: UInt64 {
        guard let index = observedIndex else { return 0 }
        let record = connection(at: index)
        if command == nil { return record.pointee.originatorMissingBytes + record.pointee.responderMissingBytes }
        return dataFromOriginator ? record.pointee.originatorMissingBytes : record.pointee.responderMissingBytes
    }

    /// True when the side that receives the data reset the data connection.
    var receiverReset: Bool {
        guard let index = observedIndex, command != nil else { return false }
        let record = connection(at: index)
        return dataFromOriginator ? record.pointee.responderReset : record.pointee.originatorReset
    }

    /// The data direction is fixed by the command, the opener by the mode: an upload in passive mode is sent by
    /// the originator (the client), a download in passive mode by the responder (the server).
    var dataFromOriginator: Bool {
        let clientOpened = !(mode?.serverConnects ?? true)
        return isUpload == clientOpened
    }

    /// When the data connection (or, without one, the data command) began.
    public var start: Timestamp? { observedIndex.map { connection(at: $0).pointee.firstTime } ?? commandTime ?? announcedAt }

    /// When it ended: the data connection's last packet, or the final reply.
    public var end: Timestamp? {
        let replyTime = reply?.time
        if let last = observedIndex.map({ connection(at: $0).pointee.lastTime }) {
            if let replyTime, replyTime > last { return replyTime }
            return last
        }
        return replyTime
    }
}
