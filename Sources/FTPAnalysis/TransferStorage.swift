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
    @usableFromInline var connections: [DataConnectionRecord] = []
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

/// The heap block holding a transfer's fields, shared by the transfer and its snapshots, copied on write.
///
/// Why shared: a snapshot that copied the fields (776 bytes) cost, per transfer settled, an allocation, three
/// block copies and a retain of each string on the analysis thread, and the same releases on the output thread
/// when the snapshot was destroyed there. Shared, taking a snapshot is one retain, and the fields are destroyed
/// once, by whichever side lets the block go last.
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

    /// A block of its own with the same fields (copy on write).
    func copy() -> TransferStorage { .make(fields.pointee) }
}

/// A `TransferStorage` as a snapshot holds it across threads. `ManagedBuffer` is not `Sendable` (its header may be
/// written through any reference); this one is written only while uniquely referenced, so a block that is shared,
/// and so may be on two threads, is never written.
@usableFromInline struct SharedTransferStorage: @unchecked Sendable {
    @usableFromInline var block: TransferStorage

    init(block: TransferStorage) { self.block = block }
}

/// The address of a field reached through the fields' pointer: what the addressors of `Transfer` and
/// `SettledTransfer` return. The field lies in the block (a stored property of the pointee), so the argument is
/// its own address, not a temporary.
@inlinable @inline(__always)
func fieldAddress<Field>(_ field: inout Field) -> UnsafeMutablePointer<Field> {
    withUnsafeMutablePointer(to: &field) { $0 }
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
