/// A session's commands, in records that never move once appended, so that a command's event can point at its
/// record instead of carrying a copy of it (`CommandEvent`).
///
/// The records lie in chunks of growing size (16, 32, 64, … records) that are never reallocated; `rest` indexes
/// the chunks after the first. So a session allocates once per chunk, never per command, and a record's address
/// stays the same for the log's life. The log is freed with the last of its owners: the session, and the command
/// events still on their way to the outputs (through their `CommandContext`).
///
/// Thread safety — the rules that make it sound for the output thread to read a record while the analysis thread
/// goes on appending to the same log:
/// - A record is written only until its event is handed over: the analysis marks it `emitted` before it hands the
///   event on, and from then on it neither writes the record (a debug build traps on such a write, in
///   `subscript`'s mutable addressor) nor moves it (chunks never move; `append` only initialises new slots).
///   Whatever the analysis still had to write about a command is written before its event is made
///   (`FTPAnalyzer.answer`: the transfer a PASV reply opens).
/// - A reader on another thread reads only the records it was handed, through the pointer in the event: never
///   `count`, `rest` or the collection's indices while the analysis may append, since those do change. The
///   hand-over itself (a queue under a lock) orders the record's writes before the reads.
/// - Once the session has ended the log changes no more (unless the analysis keeps sessions or extracts files,
///   when no output thread runs: `AnalysisEvent`), so the outputs read it whole at `sessionEnded`.
public final class CommandLog: RandomAccessCollection {
    public typealias Element = CommandRecord
    public typealias Index = Int
    public typealias Indices = Range<Int>

    /// Records in the first chunk; chunk k (from 0) holds `firstChunk << k`.
    static let firstChunk = 16
    /// log2 of `firstChunk`, for finding a record's chunk.
    private static let firstChunkShift = 4

    /// The first chunk (nil until the first record): most sessions never need another.
    private var first: UnsafeMutablePointer<CommandRecord>?
    /// Chunks 1, 2, …: a few per session at most (8 cover 4 080 records).
    private var rest: [UnsafeMutablePointer<CommandRecord>] = []
    /// The last chunk, where records are appended and the records the analysis reads and writes lie (the recent
    /// ones): its base and its first and past-the-end positions. Found directly, not through `locate` and `rest`
    /// (about 40 instructions a record read or appended past the first chunk).
    private var tailBase: UnsafeMutablePointer<CommandRecord>?
    private var tailStart = 0
    private var tailEnd = 0
    /// Records held, in slots `0..<count`.
    public private(set) var count = 0
    /// Records whose events were handed over (`FTPAnalyzer.flushCommands`): they are not written again.
    var emitted = 0

    /// An empty log.
    public init() {}

    /// A log holding `records`, for hand-built sessions and events.
    public convenience init<S: Sequence>(_ records: S) where S.Element == CommandRecord {
        self.init()
        for record in records { append(record) }
    }

    deinit {
        var remaining = count
        var chunk = 0
        while remaining > 0 {
            let base = chunk == 0 ? first.unsafelyUnwrapped : rest[chunk - 1]
            let held = Swift.min(remaining, CommandLog.firstChunk << chunk)
            base.deinitialize(count: held)
            remaining -= held
            chunk += 1
        }
        first?.deallocate()
        for base in rest { base.deallocate() }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    /// The record at `position`, read and written where it lies. Writing a record already handed over to the
    /// outputs (`position < emitted`) is a bug the output thread could race with: debug builds trap on it.
    public subscript(position: Int) -> CommandRecord {
        @inline(__always) unsafeAddress { UnsafePointer(slot(position)) }
        @inline(__always) unsafeMutableAddress {
            assert(position >= emitted, "command \(position) written after its event was handed over")
            return slot(position)
        }
    }

    /// The address of record `position` (it never changes), for an event that points at it.
    @inline(__always)
    public func pointer(at position: Int) -> UnsafePointer<CommandRecord> { UnsafePointer(slot(position)) }

    /// Appends a record, in place in a new slot: the records before it stay where they are.
    @inline(__always)
    public func append(_ record: consuming CommandRecord) {
        let position = count
        let target: UnsafeMutablePointer<CommandRecord>
        if position < tailEnd {
            target = tailBase.unsafelyUnwrapped + (position - tailStart)
        } else {
            target = nextChunk(position)
        }
        target.initialize(to: record)
        count = position + 1
    }

    /// Allocates the chunk that record `position` (the first past the last chunk) begins, and returns its slot.
    @inline(never)
    private func nextChunk(_ position: Int) -> UnsafeMutablePointer<CommandRecord> {
        let (chunk, offset) = CommandLog.locate(position)
        precondition(offset == 0, "a command log's chunks are filled in order")
        let size = CommandLog.firstChunk << chunk
        let base = UnsafeMutablePointer<CommandRecord>.allocate(capacity: size)
        if chunk == 0 {
            first = base
        } else {
            // Room for the chunks of a long session at once (the index grew one chunk at a time otherwise).
            if rest.capacity == 0 { rest.reserveCapacity(8) }
            rest.append(base)
        }
        tailBase = base
        tailStart = position
        tailEnd = position + size
        return base
    }

    @inline(__always)
    private func slot(_ position: Int) -> UnsafeMutablePointer<CommandRecord> {
        precondition(position >= 0 && position < count, "command index out of range")
        if position >= tailStart { return tailBase.unsafelyUnwrapped + (position - tailStart) }
        if position < CommandLog.firstChunk { return first.unsafelyUnwrapped + position }
        let (chunk, offset) = CommandLog.locate(position)
        return rest[chunk - 1] + offset
    }

    /// The chunk of record `position` and its place in it: chunk k begins at `firstChunk * (2^k - 1)`, so
    /// `position + firstChunk` has its highest bit at k + log2(firstChunk).
    @inline(__always)
    static func locate(_ position: Int) -> (chunk: Int, offset: Int) {
        let shifted = position + firstChunk
        let chunk = (Int.bitWidth - 1 - shifted.leadingZeroBitCount) - firstChunkShift
        return (chunk, shifted - (firstChunk << chunk))
    }

    /// True in builds that check writes of records already handed over (debug builds), for the tests.
    static let checksWrites: Bool = {
        var checked = false
        assert({ checked = true; return true }())
        return checked
    }()
}

/// What the command events of a session share until its identity changes: the session's identity as it stood
/// when they settled, and the log their records lie in (kept alive by them, so an event never outlives its
/// record). One per session in the common case, remade only when the user, the TLS time or the shared identity
/// changes (`FTPSession.commandContext()`), so handing a command over costs one retain instead of a copy of the
/// record (its strings retained) and of the identity.
///
/// Immutable once made, so the output thread reads it freely.
public final class CommandContext: @unchecked Sendable {
    /// The session as it stood when the events settled. Its `lastSeen` is the session's last packet when this
    /// context was made, which may be earlier than when a later of its commands settled (no output reads it for
    /// a command).
    public let session: SessionIdentity
    /// Where the records are.
    let log: CommandLog
    /// `SessionMachine.userVersion` when made: the user in `session` is still the session's while it is the same.
    let userVersion: UInt32

    init(session: SessionIdentity, log: CommandLog, userVersion: UInt32) {
        self.session = session
        self.log = log
        self.userVersion = userVersion
    }
}

/// A command with its final reply (or without one, when the session ended first), as the outputs receive it: a
/// reference to its record where the session keeps it, not a copy (`CommandLog`).
public struct CommandEvent {
    /// Shared with the session's other command events; keeps the record alive.
    @usableFromInline let context: CommandContext
    @usableFromInline let slot: UnsafePointer<CommandRecord>

    /// Record `index` of `context`'s log, which must have been handed over (`CommandLog.emitted`).
    init(_ context: CommandContext, index: Int) {
        self.context = context
        slot = context.log.pointer(at: index)
    }

    /// A command event of its own, for hand-built inputs: the record in a log of its own.
    public init(_ session: SessionIdentity, _ record: CommandRecord) {
        let log = CommandLog(CollectionOfOne(record))
        log.emitted = 1
        self.init(CommandContext(session: session, log: log, userVersion: 0), index: 0)
    }

    /// The session as it stood when the command settled (see `CommandContext.session`).
    @inlinable public var session: SessionIdentity {
        _read { yield context.session }
    }

    /// The record, read where the session keeps it (never written again once its event was made).
    @inlinable public var record: CommandRecord {
        unsafeAddress { slot }
    }

    /// Where the record lies, for outputs that read it in place. Passed on by value (`record`) to a function that
    /// writes memory, the record is copied first (strings retained): the compiler cannot tell that the function
    /// does not write it. Lent `inout` from here instead, it is not; such a lender must never write it (the
    /// analysis no longer does, and the output thread may read it now: `CommandLog`).
    @inlinable public var recordAddress: UnsafePointer<CommandRecord> { slot }
}
