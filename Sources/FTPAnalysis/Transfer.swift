import CommunityID
import FTPProtocol
import NetworkTypes
import TCPReassembly

/// What was observed of one data connection, frozen when it closed (or when the capture ended).
public struct DataConnectionRecord: Sendable {
    /// The side that opened it.
    public var originator: Endpoint
    /// The side that accepted it (the announced endpoint, when it matched exactly).
    public var responder: Endpoint
    /// Zeek-style state (S0, REJ, SF, …).
    public var state: ConnectionState
    /// Zeek-style history letters.
    public var history: String
    /// SYNs the opener sent.
    public var synAttempts: Int
    /// Payload bytes each way.
    public var originatorBytes: UInt64
    /// Payload bytes from the acceptor.
    public var responderBytes: UInt64
    /// Bytes the opener sent that are missing from the capture (gaps).
    public var originatorMissingBytes: UInt64
    /// Bytes the acceptor sent that are missing from the capture.
    public var responderMissingBytes: UInt64
    /// First and last packet.
    public var firstTime: Timestamp
    /// Last packet.
    public var lastTime: Timestamp
    /// True when it was still open at the end of the capture or went idle.
    public var endedWithoutClose: Bool
    /// True when the opener sent a RST.
    public var originatorReset: Bool
    /// True when the acceptor sent a RST.
    public var responderReset: Bool
    /// How it was matched to the announcement.
    public var match: DataChannelMatch
    /// ICMP destination-unreachable reason quoting its SYN, if one was seen.
    public var icmpReason: String?
    /// Who sent that ICMP message.
    public var icmpReporter: IPAddress?
    /// That ICMP message as typed evidence.
    public var icmp: ICMPEvidence?
    /// The opener's progress counters (retransmissions, segment sizes, zero windows, how it closed).
    public var originatorProgress: ProgressCounters
    /// The acceptor's progress counters.
    public var responderProgress: ProgressCounters
    /// When the opener sent its first payload byte.
    public var originatorFirstPayload: Timestamp?
    /// When the opener sent its last payload byte.
    public var originatorLastPayload: Timestamp?
    /// When the acceptor sent its first payload byte.
    public var responderFirstPayload: Timestamp?
    /// When the acceptor sent its last payload byte.
    public var responderLastPayload: Timestamp?
}

extension DataConnectionRecord {
    /// Community ID v1 of the connection (SPEC.md, `community_id`), made from its endpoints when an output asks.
    ///
    /// Not kept in the record: made with it, it was a hash and a 30-byte string per data connection on the
    /// analysis thread (the critical path), freed later by the output thread, which has slack to make it there.
    /// Inlined: called on a record read in place (`pointee`), the call copied the whole 424-byte record first.
    @inlinable @inline(__always) public var communityID: String { CommunityID.v1(originator, responder) }
}

extension DataConnectionRecord {
    /// The record of a connection as it stands. A factory, made by the implicit memberwise initializer in one
    /// piece: an initializer (even one assigning `self` whole) built the record in a temporary that was then
    /// copied out and destroyed (a retain and a release of each of its strings per data connection).
    static func of(
        _ connection: TCPConnection, match: DataChannelMatch
    ) -> DataConnectionRecord {
        // Each side's stats read once (each `stats(_:)` is a copy of the side's counters).
        let opener = connection.stats(.originator)
        let acceptor = connection.stats(.responder)
        return DataConnectionRecord(
            originator: connection.originator, responder: connection.responder, state: connection.state,
            history: connection.history, synAttempts: Int(opener.syns), originatorBytes: opener.bytes,
            responderBytes: acceptor.bytes, originatorMissingBytes: opener.missingBytes,
            responderMissingBytes: acceptor.missingBytes, firstTime: connection.firstTime,
            lastTime: connection.lastTime, endedWithoutClose: connection.endedWithoutClose,
            originatorReset: opener.sawRST, responderReset: acceptor.sawRST, match: match,
            originatorProgress: connection.progress(.originator), responderProgress: connection.progress(.responder),
            originatorFirstPayload: opener.firstPayloadTime, originatorLastPayload: opener.lastPayloadTime,
            responderFirstPayload: acceptor.firstPayloadTime, responderLastPayload: acceptor.lastPayloadTime)
    }
}

/// How a connection was tied to an announcement.
public enum DataChannelMatch: String, Sendable {
    /// The connection went to exactly the announced address and port.
    case exact
    /// Same port, another address (NAT rewrote it, or the client ignored the 227 address).
    case portOnly = "port_only"
    /// No readable announcement (TLS-protected control channel): a connection between the session's hosts.
    case inferred
}

/// One data-channel announcement or data-carrying command, and what became of it (SPEC.md `transfers`), as the
/// analysis builds it. Outputs that stream receive a `SettledTransfer` of it when it settles; both read alike
/// through `TransferFacts`.
///
/// One heap object holds both the transfer's state and its fields (`TransferHeader`), so a transfer is one
/// allocation on the analysis thread and one deallocation wherever it is let go: as a class holding its fields in a
/// `TransferStorage` block of their own it was two of each (9 070 transfers on c01, each freed on the output
/// thread, whose memory then came back cold to the analysis thread's allocator). Made by `make()` (a
/// `ManagedBuffer` has no initializer to call).
public final class Transfer: ManagedBuffer<TransferHeader, Void>, TransferFacts {
    // The fields are reached through addressors (a pointer to the field, read or written in place): inlined,
    // also into the outputs' module, they are the plain loads and stores the stored properties were. Read and
    // modify coroutines were not inlined, and each call cost about forty instructions (and, across modules, a
    // frame allocated on the heap).

    /// A new transfer, nothing known of it yet.
    public static func make() -> Transfer {
        let made = create(minimumCapacity: 0) { buffer in
            // Only the address of the header is worked out here (it is initialized with what this returns).
            let header = buffer.withUnsafeMutablePointerToHeader { UnsafeMutableRawPointer($0) }
            return TransferHeader(inlineAt: header + TransferHeader.inlineOffset)
        }
        return unsafeDowncast(made, to: Transfer.self)
    }

    /// The state and the inline fields, where they lie in the object (fixed for its life).
    @usableFromInline var state: UnsafeMutablePointer<TransferHeader> {
        @inline(__always) get { withUnsafeMutablePointerToHeader { $0 } }
    }

    /// Where the fields lie: in the object itself, or in the block they were copied to (`TransferHeader.copy`).
    /// Every field is read and written through it.
    @usableFromInline var fields: UnsafeMutablePointer<TransferFields> {
        @inline(__always) get { state.pointee.fields }
    }

    /// The fields, to be written: fields a snapshot may share are copied first (copy on write; rare, as nothing
    /// writes a transfer once it settled but a connection that closes later or a reply that arrives late).
    @usableFromInline var writable: UnsafeMutablePointer<TransferFields> {
        @inline(__always) get {
            let state = state
            // Never handed out, the fields are the transfer's alone: no need to ask (nearly every write, all those
            // made while the transfer is built).
            if state.pointee.handedOut { detach() }
            return state.pointee.fields
        }
    }

    /// Makes the fields the transfer's alone again after a snapshot took them: a copied block only this transfer
    /// still holds is written in place; otherwise (the inline fields, whose holders cannot be counted apart from
    /// the transfer's, or a block a snapshot still holds) the fields are copied to a new block, and the snapshot
    /// keeps reading what it took.
    @usableFromInline func detach() {
        let state = state
        state.pointee.handedOut = false
        if isKnownUniquelyReferenced(&state.pointee.copy) { return }
        let copy = TransferStorage.make(state.pointee.fields.pointee)
        state.pointee.fields = copy.fields
        state.pointee.copy = copy
    }

    /// The fields for a snapshot to share, with the object that keeps them alive: from now on the transfer copies
    /// them before it writes.
    func handOut() -> SharedTransferStorage {
        let state = state
        state.pointee.handedOut = true
        if let copy = state.pointee.copy { return SharedTransferStorage(owner: copy, fields: state.pointee.fields) }
        return SharedTransferStorage(owner: self, fields: state.pointee.fields)
    }

    /// The data command (LIST, RETR, …), or nil while only announced.
    @inlinable public internal(set) var command: FTPVerb? {
        unsafeAddress { readAddress(fields, \.command) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.command) }
    }
    /// Its argument.
    @inlinable public internal(set) var argument: String? {
        unsafeAddress { readAddress(fields, \.argument) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.argument) }
    }
    /// The argument resolved against the working directory.
    @inlinable public var path: String? { fields.pointee.pathname?.path }
    /// `path`'s UTF-8 lent to `body` without making its string (`Pathname.withUTF8`), or nil without a path.
    public func withPathUTF8(_ body: (UnsafeBufferPointer<UInt8>?) -> Void) {
        guard let pathname = fields.pointee.pathname else { return body(nil) }
        pathname.withUTF8 { body($0) }
    }
    /// `path` as its parts: joined when an output reads it, not on the analysis thread (`Pathname`).
    @inlinable var pathname: Pathname? {
        unsafeAddress { readAddress(fields, \.pathname) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.pathname) }
    }
    /// How the channel was announced; nil when no announcement was seen.
    @inlinable public internal(set) var mode: DataMode? {
        unsafeAddress { readAddress(fields, \.mode) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.mode) }
    }
    /// The announcement's command verb (PORT, EPRT, PASV, EPSV, LPRT, LPSV).
    @inlinable public internal(set) var announcementVerb: FTPVerb? {
        unsafeAddress { readAddress(fields, \.announcementVerb) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.announcementVerb) }
    }
    /// The endpoint that was announced (host resolved to the control peer for 229 or 0.0.0.0).
    @inlinable public internal(set) var announced: Endpoint? {
        unsafeAddress { readAddress(fields, \.announced) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.announced) }
    }
    /// When it was announced.
    @inlinable public internal(set) var announcedAt: Timestamp? {
        unsafeAddress { readAddress(fields, \.announcedAt) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.announcedAt) }
    }
    /// When the data command was sent.
    @inlinable public internal(set) var commandTime: Timestamp? {
        unsafeAddress { readAddress(fields, \.commandTime) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.commandTime) }
    }
    /// The reply to the announcement (200 to PORT, 227 to PASV, …).
    @inlinable public internal(set) var announcementReply: ReplyRecord? {
        unsafeAddress { readAddress(fields, \.announcementReply) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.announcementReply) }
    }
    /// The final reply to the data command.
    @inlinable public internal(set) var reply: ReplyRecord? {
        unsafeAddress { readAddress(fields, \.reply) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.reply) }
    }
    /// Preliminary reply (150/125) to the data command.
    @inlinable public internal(set) var preliminaryReply: ReplyRecord? {
        unsafeAddress { readAddress(fields, \.preliminaryReply) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.preliminaryReply) }
    }
    /// Data connections matched to it (normally one).
    @inlinable public internal(set) var connections: DataConnections {
        unsafeAddress { readAddress(fields, \.connections) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.connections) }
    }
    /// Size announced by `150 … (N bytes)` or a SIZE reply.
    @inlinable public internal(set) var expectedSize: UInt64? {
        unsafeAddress { readAddress(fields, \.expectedSize) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.expectedSize) }
    }
    /// REST offset in force for this transfer.
    @inlinable public internal(set) var restOffset: UInt64? {
        unsafeAddress { readAddress(fields, \.restOffset) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.restOffset) }
    }
    /// TYPE in force (A, I, …).
    @inlinable public internal(set) var transferType: String? {
        unsafeAddress { readAddress(fields, \.transferType) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.transferType) }
    }
    /// True when ABOR was sent during it.
    @inlinable public internal(set) var abortRequested: Bool {
        unsafeAddress { readAddress(fields, \.abortRequested) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.abortRequested) }
    }
    /// True when inferred without a readable announcement.
    @inlinable public internal(set) var inferred: Bool {
        unsafeAddress { readAddress(fields, \.inferred) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.inferred) }
    }
    /// The typed verdict (status, cause, evidence); settled when the transfer is.
    @inlinable public internal(set) var verdict: DataVerdict {
        unsafeAddress { readAddress(fields, \.verdict) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.verdict) }
    }
    /// Throughput, time to first byte, retransmissions, zero windows, who closed (TransferMetrics.swift).
    @inlinable public internal(set) var metrics: TransferMetrics? {
        unsafeAddress { readAddress(fields, \.metrics) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.metrics) }
    }
    /// The file written for it by extraction (`--extract`), as the data-channel sink reported it when it settled.
    @inlinable public internal(set) var extractedFile: ExtractedFile? {
        unsafeAddress { readAddress(fields, \.extractedFile) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.extractedFile) }
    }
    /// The parsed directory listing of a LIST/NLST/MLSD transfer, when its payload was read.
    @inlinable public internal(set) var listing: [ListingEntry]? {
        unsafeAddress { readAddress(fields, \.listing) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.listing) }
    }
    /// Its position in its session's transfers, once a snapshot of it was taken (`SettledTransfer.index`).
    @inlinable var index: Int {
        unsafeAddress { readAddress(fields, \.index) }
        unsafeMutableAddress { fieldAddress(&writable.pointee.index) }
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

    /// True once its outcome is settled and delivered.
    public internal(set) var settled: Bool {
        get { state.pointee.settled }
        set { state.pointee.settled = newValue }
    }
    /// True once the correlator has judged it (`DataChannelCorrelator.judge`): judged again, its verdict is reset.
    var judged: Bool {
        get { state.pointee.judged }
        set { state.pointee.judged = newValue }
    }
    /// Live connections still being tracked (reference, until they close).
    var liveConnections: LiveConnections {
        unsafeAddress { UnsafePointer(fieldAddress(&state.pointee.liveConnections)) }
        unsafeMutableAddress { fieldAddress(&state.pointee.liveConnections) }
    }
}

/// A transfer's payload as written to disk by extraction.
public struct ExtractedFile: Sendable, Hashable {
    /// The file's name inside the extraction directory (relative path).
    public var fileName: String
    /// Bytes written.
    public var bytes: UInt64
    /// SHA-256 of the bytes written, lower-case hex.
    public var sha256: String
    /// True when the whole transfer is in the file: no gap, not aborted, not cut by the end of the capture.
    public var complete: Bool
    /// Why it is partial, when it is.
    public var note: String?

    /// Creates a record.
    public init(fileName: String, bytes: UInt64, sha256: String, complete: Bool, note: String? = nil) {
        self.fileName = fileName
        self.bytes = bytes
        self.sha256 = sha256
        self.complete = complete
        self.note = note
    }
}

/// One entry of a parsed directory listing (Unix `ls -l` style or MLSD facts, RFC 3659 section 7).
public struct ListingEntry: Sendable, Hashable {
    /// The entry's name.
    public var name: String
    /// `file`, `dir`, `link`, or what the listing said.
    public var type: String
    /// Size in bytes, when given.
    public var size: UInt64?
    /// Modification time as the listing gave it (MLSD `modify` is UTC `YYYYMMDDHHMMSS`).
    public var modified: String?

    /// Creates an entry.
    public init(name: String, type: String, size: UInt64?, modified: String?) {
        self.name = name
        self.type = type
        self.size = size
        self.modified = modified
    }
}
