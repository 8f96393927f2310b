import FTPProtocol
import NetworkTypes

/// What a transfer is (`TransferFacts`), as one value: the live `Transfer` and every `SettledTransfer` taken of it
/// share it in one `TransferStorage` block.
@usableFromInline struct TransferFields: Sendable {
    @usableFromInline var command: FTPVerb?
    @usableFromInline var argument: String?
    @usableFromInline var pathname: Pathname?
    @usableFromInline var mode: DataMode?
    @usableFromInline var announcementVerb: FTPVerb?
    @usableFromInline var announced: Endpoint?
    @usableFromInline var announcedAt: Timestamp?
    @usableFromInline var commandTime: Timestamp?
    @usableFromInline var announcementReply: ReplyRecord?
    @usableFromInline var reply: ReplyRecord?
    @usableFromInline var preliminaryReply: ReplyRecord?
    @usableFromInline var connections = DataConnections()
    @usableFromInline var expectedSize: UInt64?
    @usableFromInline var restOffset: UInt64?
    @usableFromInline var transferType: String?
    @usableFromInline var abortRequested = false
    @usableFromInline var inferred = false
    @usableFromInline var verdict = DataVerdict(status: .unused, cause: nil, evidence: DataEvidence())
    @usableFromInline var metrics: TransferMetrics?
    @usableFromInline var extractedFile: ExtractedFile?
    @usableFromInline var listing: [ListingEntry]?
    /// Its position in its session's transfers, as its snapshot gives it (`SettledTransfer.index`).
    @usableFromInline var index = 0

    init() {}
}

/// What a `Transfer` object holds after its object header: its state, and its fields as long as they are not
/// copied out. Public only as the generic argument of `Transfer`'s superclass; its members are the module's own.
public struct TransferHeader {
    /// Where the fields lie: `inline`, or in `copy`. Every field access goes through it: a stored pointer is one
    /// load, where choosing between the two on each access made every field read a load, a test and a branch.
    @usableFromInline var fields: UnsafeMutablePointer<TransferFields>
    /// The fields' block of their own, once the transfer was written after a snapshot took its inline fields
    /// (`Transfer.detach`); nil while the fields are `inline`.
    @usableFromInline var copy: TransferStorage?
    /// True once a snapshot took the fields (`SettledTransfer.init`): they may be shared from then on.
    @usableFromInline var handedOut = false
    /// True once its outcome is settled and delivered (`Transfer.settled`).
    var settled = false
    /// True once the correlator has judged it (`Transfer.judged`).
    var judged = false
    /// Live connections still being tracked (`Transfer.liveConnections`).
    var liveConnections = LiveConnections()
    /// The fields, in the transfer itself: a snapshot shares them by holding the transfer. Not written once
    /// handed out (a write goes to `copy`), so a snapshot on another thread reads them safely.
    @usableFromInline var inline = TransferFields()

    /// Where `inline` lies from the start of the header.
    static let inlineOffset = MemoryLayout<TransferHeader>.offset(of: \.inline)!

    /// The header of a new transfer that lies at `inlineAt` minus `inlineOffset`, its fields inline.
    init(inlineAt address: UnsafeMutableRawPointer) {
        fields = address.assumingMemoryBound(to: TransferFields.self)
    }
}

/// A heap block holding a transfer's fields of their own, made when the transfer is written after a snapshot took
/// its inline fields (`Transfer.detach`), or when a snapshot that shares them is written.
///
/// Why shared: a snapshot that copied the fields (776 bytes) cost, per transfer settled, an allocation, three
/// block copies and a retain of each string on the analysis thread, and the same releases on the output thread
/// when the snapshot was destroyed there. Shared, taking a snapshot is one retain, and the fields are destroyed
/// once, by whichever side lets them go last.
///
/// Written only by a holder that has it to itself (`isKnownUniquelyReferenced`; the transfer copies it first
/// otherwise, as an array does), so a block two hold is never written: that is what makes handing it to another
/// thread safe (`SharedTransferStorage`). Read and written through the pointer to its header, which lies in the
/// object for its whole life: no exclusivity bookkeeping, and the fields are accessed one by one, in place.
@usableFromInline final class TransferStorage: ManagedBuffer<TransferFields, Void> {
    /// A block holding `fields`.
    static func make(_ fields: TransferFields) -> TransferStorage {
        unsafeDowncast(create(minimumCapacity: 0) { _ in fields }, to: TransferStorage.self)
    }

    /// The fields, where they lie.
    @inlinable var fields: UnsafeMutablePointer<TransferFields> { withUnsafeMutablePointerToHeader { $0 } }
}

/// A transfer's fields as a snapshot holds them across threads: where they lie, and the object keeping them alive
/// (the `Transfer` whose inline fields they are, or a `TransferStorage`). Neither is `Sendable` (both may be
/// written through any reference); the fields are written only by a holder that has them to itself, so fields
/// that are shared, and so may be on two threads, are never written.
@usableFromInline struct SharedTransferStorage: @unchecked Sendable {
    @usableFromInline var owner: AnyObject
    @usableFromInline var fields: UnsafeMutablePointer<TransferFields>

    init(owner: AnyObject, fields: UnsafeMutablePointer<TransferFields>) {
        self.owner = owner
        self.fields = fields
    }
}

/// The address of a field reached through the fields' pointer: what the addressors of `Transfer` and
/// `SettledTransfer` return. The field lies in the block (a stored property of the pointee), so the argument is
/// its own address, not a temporary.
@inlinable @inline(__always)
func fieldAddress<Field>(_ field: inout Field) -> UnsafeMutablePointer<Field> {
    withUnsafeMutablePointer(to: &field) { $0 }
}

/// The address of a field of the fields at `fields`, for reading: worked out from the field's offset (a constant
/// once inlined), without the formal modifying access that `&fields.pointee.field` is. Two threads may read one
/// settled transfer's shared fields at once (the output lanes of `--threads` 3 and more), and ThreadSanitizer counts
/// two such `&` accesses as a race although neither writes.
@inlinable @inline(__always)
func readAddress<Field>(
    _ fields: UnsafeMutablePointer<TransferFields>, _ field: KeyPath<TransferFields, Field>
) -> UnsafePointer<Field> {
    UnsafePointer(fields).pointer(to: field).unsafelyUnwrapped
}

/// Stores `value` in the field at `field`, the old value moved out and dropped: the bits moved out and in, where an
/// assignment of a `String?` field was, after the optimizer merged it with another type's, the runtime's generic
/// assignment (its value witness, about 140 instructions a field; two per data command).
@inline(__always)
func replace<Field>(_ field: UnsafeMutablePointer<Field>, with value: consuming Field) {
    let old = field.move()
    field.initialize(to: value)
    _ = consume old
}
