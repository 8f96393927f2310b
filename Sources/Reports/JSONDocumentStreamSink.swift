#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import FTPAnalysis
import NetworkTypes

/// The `--format json` document written while the analysis runs, so memory holds the sessions still open rather
/// than every session of the capture: each session is written as it ends (in session order), findings are spooled
/// to a temporary file as they come, and what is only known at the end (`inputs`, `stats`) closes the document.
///
/// The members are those of `JSONDocument.render`, in another order (`version`, `sessions`, `inputs`, `stats`,
/// `findings`; SPEC.md: key order is not part of the contract).
public final class JSONDocumentStreamSink: StreamingEventSink, JSONSessionDrain {
    private let output: BufferedOutput
    private let passwords: PasswordPolicy
    private let findings = RecordSpool()
    /// Where each finding sits in the spool, with what the document is ordered by (time, then severity, as
    /// `FTPAnalyzer.finish` orders the findings it keeps; arrival, which the spool offset follows, breaks ties, as
    /// its stable sort does). The index is the one thing the document keeps per finding until its end, so it is
    /// spooled too: memory holds at most `indexMemoryBudget` bytes of it, whatever the capture.
    private let findingIndex: SortingSpool<FindingEntry>

    /// One finding's place, packed in 32 bytes (in this order: the three small fields fill the record's tail).
    private struct FindingEntry: Comparable, BitwiseCopyable {
        var time: Int64
        var record: SpooledRecord
        var rank: UInt8
        /// Kept when its session is kept, and when it is not (`Narrowing.matches(_:sessionKept:)`).
        var keepWithSession: Bool
        var keepWithoutSession: Bool
        /// Its session (`SessionKeys`), under a narrowing only.
        var session: Int64

        static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.time, lhs.rank, lhs.record.offset) < (rhs.time, rhs.rank, rhs.record.offset)
        }

        static func == (lhs: Self, rhs: Self) -> Bool {
            (lhs.time, lhs.rank, lhs.record.offset) == (rhs.time, rhs.rank, rhs.record.offset)
        }
    }
    /// What the user narrowed the document to (SPEC.md filters), applied as `Narrowing.apply` applies it.
    private let narrowing: Narrowing?
    /// Sessions written (kept by the narrowing), for deciding on their findings at the end.
    private var keptSessions = SessionKeys()
    /// Ended sessions waiting for a lower-numbered one to end first, by number.
    private var held: [Int: HeldSession] = [:]
    /// Bytes of held sessions in memory; past `heldBytesInMemory` further ones wait in `heldSpool`.
    private var heldMemoryBytes = 0
    private let heldBytesInMemory: Int
    /// Held sessions waiting in a temporary file; the file is reused from its start once none waits.
    private let heldSpool: RecordSpool
    private var heldSpooled = 0
    /// The blocks sessions are written in (the scratch's storage), handed to the output or held and reused once
    /// written out; its free blocks take at most an eighth of `heldBytesInMemory`.
    private let blocks: JSONBytesPool

    /// A held session: its bytes in memory (handed to the output whole), their place in `heldSpool`, or none
    /// (narrowed out: it only keeps its place in the order).
    private enum HeldSession {
        case memory(JSONBytes)
        case spooled(SpooledRecord)
        case empty
    }
    /// Where each session or finding is written before it is placed: a session's block is handed over whole and
    /// the scratch goes on in another from `blocks` (a finding is copied to its spool and the block kept).
    private var scratch = JSONWriter(pretty: true, indent: 2, capacity: 1 << 14)
    /// Where a finding's summary is worded (`FindingWording.withSummary`), reused.
    private var summaryScratch: [UInt8] = []
    /// What the sessions written so far say a session's bytes will be.
    private var size = SessionSize()
    private var nextNumber = 1
    private var sessionsWritten = 0
    /// Bytes of the session being written that have gone out already (`drain`): a session written in its turn
    /// goes out in pieces of about `JSONDocument.drainThreshold`.
    private var drainedBytes = 0
    private let maximumHeldSessions: Int

    /// Sessions held back to keep the document in session order; past it the lowest held are written out of
    /// order rather than held without bound (a session open across the whole capture).
    public static let defaultMaximumHeldSessions = 10_000

    /// Bytes of held sessions kept in memory (docs/limits.md). One long session holds back every session that
    /// ends after it: 588 sessions, 5.7 MB of JSON, at once on the full-size control-heavy benchmark capture. At
    /// 1 MiB that capture wrote and read back 141 MB of held sessions through a temporary file, a tenth of the
    /// run's CPU in the kernel; 8 MiB holds them all for ≈ 2.6 MiB more peak memory.
    public static let defaultHeldBytesInMemory = 8 << 20

    /// Bytes of the findings' index kept in memory (docs/limits.md, `SortingSpoolLimits.memoryBudget`).
    public static let defaultIndexMemoryBudget = SortingSpoolLimits.memoryBudget

    /// Starts the document on `output`.
    public init(
        output: BufferedOutput, version: String, passwords: PasswordPolicy, narrowing: Narrowing? = nil,
        maximumHeldSessions: Int = JSONDocumentStreamSink.defaultMaximumHeldSessions,
        indexMemoryBudget: Int = JSONDocumentStreamSink.defaultIndexMemoryBudget,
        heldBytesInMemory: Int = JSONDocumentStreamSink.defaultHeldBytesInMemory
    ) {
        self.output = output
        findingIndex = SortingSpool(memoryBudget: indexMemoryBudget)
        self.heldBytesInMemory = heldBytesInMemory
        heldSpool = RecordSpool()
        blocks = JSONBytesPool(limit: heldBytesInMemory / 8)
        self.passwords = passwords
        self.narrowing = narrowing
        self.maximumHeldSessions = max(1, maximumHeldSessions)
        var head = "{\n  \"version\": " + JSONValue.string(version).serialized(pretty: false) + ",\n"
        if let narrowing {
            head += "  \"narrowed_to\": " + JSONValue.string(narrowing.description).serialized(pretty: false) + ",\n"
        }
        output.write(head + "  \"sessions\": [")
    }

    public func analysis(_ event: AnalysisEvent) {
        switch event {
        case .sessionEnded(let session):
            // Parsed in place (`S12` → 12); a Substring of the id and its integer parse cost ten times as much.
            let number = SessionIdentity.number(of: session.id).map { Int(truncatingIfNeeded: $0) }
                ?? Int(session.id.dropFirst()) ?? 0
            // Written in turn (sessions mostly end in the order they began), or out of order once given up on: it
            // goes straight out, in pieces when it is long. Otherwise it is held, whole.
            let inTurn = number <= nextNumber
            // A block of about what the session will take (`SessionSize`), so that a held one keeps little unused:
            // one of another size goes back to the pool for one of the right size. In turn, never more than a piece.
            let predicted = size.room(for: session)
            let wanted = inTurn ? min(predicted, JSONDocument.drainThreshold + (JSONDocument.drainThreshold >> 4)) : predicted
            let room = JSONBytesPool.capacity(of: JSONBytesPool.sizeClass(for: wanted))
            if scratch.reservedCapacity != room { resizeScratch(room) }
            scratch.removeAll()
            drainedBytes = 0
            let draining: JSONSessionDrain? = inTurn ? self : nil
            if let narrowing {
                if narrowing.matches(session) && (narrowing.statuses == nil || !narrowing.transfers(of: session).isEmpty) {
                    keptSessions.insert(session.id)
                    JSONDocument.write(session: session, passwords, narrowing: narrowing, into: &scratch, draining: draining)
                }
            } else {
                JSONDocument.write(session: session, passwords, into: &scratch, draining: draining)
            }
            size.learn(session, bytes: drainedBytes + scratch.count)
            if inTurn {
                if drainedBytes > 0 {
                    // Its head went out already: the rest follows from the scratch, which keeps its block.
                    scratch.withBytes { output.write($0) }
                    sessionsWritten += 1
                } else if scratch.count > 0 {
                    writeSession(handOver())
                }  // else narrowed out
                if number < nextNumber { return }
                nextNumber += 1
                while let ready = held.removeValue(forKey: nextNumber) {
                    nextNumber += 1
                    writeSession(ready)
                }
                return
            }
            // Most sessions end after a later one began: their block is held; past the budget, the bytes wait in
            // the spool instead (and the scratch keeps its block).
            if heldMemoryBytes + scratch.count > heldBytesInMemory && scratch.count > 0 {
                held[number] = .spooled(scratch.withBytes { heldSpool.append($0) })
                heldSpooled += 1
            } else {
                heldMemoryBytes += scratch.count
                held[number] = scratch.count > 0 ? .memory(handOver()) : .empty
            }
            if held.count > maximumHeldSessions, let lowest = held.keys.min() { nextNumber = lowest }
            while let ready = held.removeValue(forKey: nextNumber) {
                nextNumber += 1
                writeSession(ready)
            }
        case .finding(let finding):
            let keep = narrowing.map { ($0.matches(finding, sessionKept: true), $0.matches(finding, sessionKept: false)) }
            guard keep.map({ $0.0 || $0.1 }) ?? true else { return }
            scratch.removeAll()
            JSONDocument.write(finding: finding, passwords, scratch: &summaryScratch, into: &scratch)
            let record = scratch.withBytes { findings.append($0) }
            findingIndex.append(
                FindingEntry(
                    time: finding.time.nanoseconds, record: record, rank: UInt8(clamping: finding.severity.rank),
                    keepWithSession: keep?.0 ?? true, keepWithoutSession: keep?.1 ?? true,
                    session: narrowing == nil ? SessionKeys.none : keptSessions.key(finding.session)))
        default:
            break
        }
    }

    public func advance(watermark: Timestamp?) {}

    public func flush() { output.flush() }

    /// Writes the sessions still held, `inputs`, `stats` and the findings, and closes the document (not the
    /// output). Throws when a spooled finding could not be read back (the document lacks it).
    public func finish(_ input: ReportInput) throws(OutputError) {
        for number in held.keys.sorted() { writeSession(held[number]!) }
        held.removeAll()
        output.write(sessionsWritten == 0 ? "],\n" : "\n  ],\n")
        let inputs = JSONValue.array(input.inputs.map(JSONDocument.inputValue))
        let stats = JSONDocument.statsValue(input.stats)
        output.write("  \"inputs\": ")
        inputs.write(pretty: true, indent: 1) { output.write($0) }
        output.write(",\n  \"stats\": ")
        stats.write(pretty: true, indent: 1) { output.write($0) }
        output.write(",\n  \"findings\": [")
        var written = 0
        findings.readBack { want in
            findingIndex.forEachSorted { entry in
                let sessionKept = keptSessions.contains(entry.session)
                guard sessionKept ? entry.keepWithSession : entry.keepWithoutSession else { return }
                want(entry.record)
            }
        } deliver: { bytes in
            output.write(written == 0 ? "\n    " : ",\n    ")
            output.write(bytes)
            written += 1
        }
        output.write(written == 0 ? "]" : "\n  ]")
        output.write("\n}\n")
        if let failure = findingIndex.failure ?? findings.failure ?? heldSpool.failure { throw failure }
    }

    /// The scratch's block, with the session just written, handed over whole; the scratch goes on, empty, in a
    /// block of the same size from the pool (the next session's `resizeScratch` corrects the size if need be).
    private func handOver() -> JSONBytes {
        let next = blocks.block(for: scratch.reservedCapacity)
        let given = scratch.exchangeStorage(for: next.base, capacity: next.capacity)
        return blocks.adopt(given.base, count: given.count, capacity: given.capacity)
    }

    /// The scratch, empty, in a block of the pool for `room` bytes; its old block goes back to the pool.
    private func resizeScratch(_ room: Int) {
        let next = blocks.block(for: room)
        let given = scratch.exchangeStorage(for: next.base, capacity: next.capacity)
        blocks.give(given.base, capacity: given.capacity)
    }

    /// The first pieces of a session written in its turn (`JSONSessionDrain`): the separator before its first.
    public func drain(_ out: inout JSONWriter) {
        if drainedBytes == 0 { output.write(sessionsWritten == 0 ? "\n    " : ",\n    ") }
        out.withBytes { output.write($0) }
        drainedBytes += out.count
        out.removeAll()
    }

    /// A session's bytes, handed to the output whole: it writes them from their block (`BufferedOutput`), which
    /// then goes back to the pool.
    private func writeSession(_ bytes: JSONBytes) {
        output.write(sessionsWritten == 0 ? "\n    " : ",\n    ")
        output.write(bytes)
        sessionsWritten += 1
    }

    /// A held session: from memory, handed to the output whole, or read back from the spool.
    private func writeSession(_ session: HeldSession) {
        switch session {
        case .memory(let bytes):
            heldMemoryBytes -= bytes.count
            writeSession(bytes)
        case .spooled(let record):
            output.write(sessionsWritten == 0 ? "\n    " : ",\n    ")
            output.write(bytes: heldSpool.read(record))
            heldSpooled -= 1
            if heldSpooled == 0 { heldSpool.removeAll() }
            sessionsWritten += 1
        case .empty:
            break
        }
    }
}
