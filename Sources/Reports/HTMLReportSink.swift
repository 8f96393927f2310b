#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import FTPAnalysis
import NetworkTypes

/// The HTML report (`--report PATH`) as the analysis streams: each session's section and table-of-contents row
/// are rendered when the session ends and kept in unlinked temporary files, so memory stays flat however many
/// sessions a capture holds. At the end the page is assembled: the summary (counted as sessions ended), the most
/// severe findings (at most `HTMLReport.maxFindings`, kept in a bounded list), then the contents and the sections,
/// failed sessions first, each group in session order.
///
/// What stays per session is its 40-byte `Entry` (health, number, and where its two records are in the spools),
/// in an index that is itself spooled past `SortingSpoolLimits.memoryBudget` bytes (`SortingSpool`), plus, until
/// the session ends, its findings: memory does not grow with the sessions of the capture.
public final class HTMLReportSink: StreamingEventSink {
    /// Where a session's pieces are in the spools, and how it sorts (by health, then session).
    private struct Entry: Comparable, BitwiseCopyable {
        // The two records' places and lengths apart (two `SpooledRecord`s would pad to 48 bytes).
        var rowOffset: Int64
        var bodyOffset: Int64
        var rowLength: UInt32
        var bodyLength: UInt32
        var id: SessionNumber
        var health: HTMLReport.Health

        /// Its contents row, in `rows`.
        var row: SpooledRecord { SpooledRecord(offset: rowOffset, length: rowLength) }
        /// Its section (after the first line), in `bodies`.
        var body: SpooledRecord { SpooledRecord(offset: bodyOffset, length: bodyLength) }

        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.health.rawValue, lhs.id) < (rhs.health.rawValue, rhs.id) }

        static func == (lhs: Self, rhs: Self) -> Bool { (lhs.health, lhs.id) == (rhs.health, rhs.id) }
    }

    /// A session id as the analyzer gives them (`S12`), kept as its number so an entry holds no string; an id
    /// of another shape (none occurs today) is kept in `ids` and sorts after every numbered one, as it came.
    private enum SessionNumber: Comparable, BitwiseCopyable {
        case numbered(Int)
        case other(Int)

        init(_ id: String, otherIndex: Int) {
            if id.first == "S", let number = Int(id.dropFirst()), "S\(number)" == id {
                self = .numbered(number)
            } else {
                self = .other(otherIndex)
            }
        }
    }

    private let entries: SortingSpool<Entry>
    /// The ids that are not `S<number>`, in arrival order (see `SessionNumber`).
    private var ids: [String] = []
    private var figures = HTMLReport.Figures()
    private var pendingFindings: [String: [(finding: Finding, arrival: Int)]] = [:]
    /// The most severe findings so far, in report order (severity, then time, then arrival), at most the limit.
    private var shownFindings: [(finding: Finding, arrival: Int)] = []
    private var findingArrivals = 0
    // The contents rows and the section bodies in two spools. In one, each row lay between two bodies (21 KB
    // each on average on the control-heavy benchmark), so no two rows were neighbours and the contents took a
    // `pread` a row: 31 900 reads for its 16 700 sessions in all, 19 700 in two spools (the rows 3 900). The
    // bodies, wanted in health order, are still read one at a time mostly, but large enough that it costs little.
    private let rows: RecordSpool
    private let bodies: RecordSpool
    private let passwords: PasswordPolicy

    /// Bytes of the sessions' index kept in memory (docs/limits.md, `SortingSpoolLimits.memoryBudget`).
    public static let defaultIndexMemoryBudget = SortingSpoolLimits.memoryBudget

    /// Creates a sink; `passwords` is the policy for the sections' command lists.
    public convenience init(
        passwords: PasswordPolicy = PasswordPolicy(showPasswords: false),
        indexMemoryBudget: Int = HTMLReportSink.defaultIndexMemoryBudget
    ) {
        self.init(passwords: passwords, indexMemoryBudget: indexMemoryBudget, makeFile: { tmpfile() })
    }

    /// A sink whose spools' files come from `makeFile` (none: everything stays in memory).
    init(
        passwords: PasswordPolicy, indexMemoryBudget: Int, makeFile: @escaping () -> UnsafeMutablePointer<FILE>?
    ) {
        self.passwords = passwords
        rows = RecordSpool(makeFile: makeFile)
        bodies = RecordSpool(makeFile: makeFile)
        entries = SortingSpool(memoryBudget: indexMemoryBudget, makeFile: makeFile)
    }

    public func analysis(_ event: AnalysisEvent) {
        switch event {
        case .finding(let finding): take(finding)
        case .sessionEnded(let session): take(ended: session)
        default: break
        }
    }

    public func advance(watermark: Timestamp?) {}

    public func flush() {}

    /// Counts a finding, keeps it if it is among the most severe, and holds it for its session's section.
    func take(_ finding: Finding) {
        let arrival = findingArrivals
        findingArrivals += 1
        figures.findings += 1
        figures.findingsBySeverity[finding.severity, default: 0] += 1
        if let session = finding.session, !HTMLReport.spansSessions(finding.kind) {
            pendingFindings[session, default: []].append((finding, arrival))
        }
        let limit = HTMLReport.maxFindings
        if shownFindings.count == limit, let last = shownFindings.last, !Self.before((finding, arrival), last) {
            return
        }
        let index = shownFindings.firstIndex { Self.before((finding, arrival), $0) } ?? shownFindings.endIndex
        shownFindings.insert((finding, arrival), at: index)
        if shownFindings.count > limit { shownFindings.removeLast() }
    }

    /// Report order of findings: most severe first, then by time, then as they came.
    private static func before(_ lhs: (finding: Finding, arrival: Int), _ rhs: (finding: Finding, arrival: Int)) -> Bool {
        (-lhs.finding.severity.rank, lhs.finding.time, lhs.arrival) < (-rhs.finding.severity.rank, rhs.finding.time, rhs.arrival)
    }

    /// Renders an ended session's row and section into the spools.
    func take(ended session: FTPSession) {
        // The section lists the session's findings in time order, as the whole-capture report does.
        let findings = (pendingFindings.removeValue(forKey: session.id) ?? [])
            .sorted { ($0.finding.time, $0.finding.severity.rank, $0.arrival) < ($1.finding.time, $1.finding.severity.rank, $1.arrival) }
            .map(\.finding)
        let health = HTMLReport.Health(session, findings)
        figures.sessions += 1
        if health == .failed { figures.failedSessions += 1 }
        if health == .warning { figures.warningSessions += 1 }
        figures.transfers += session.transfers.count
        for transfer in session.transfers { figures.transfersByStatus[transfer.status, default: 0] += 1 }
        store(
            row: HTMLReport.contentsRow(session, health),
            body: HTMLReport.sectionBody(session, health, findings, passwords), id: session.id, health: health)
    }

    /// Spools a session's contents row and section body and indexes them; tests give texts of their own (an
    /// empty body, one longer than a read-back chunk).
    func store(row: String, body: String, id: String, health: HTMLReport.Health) {
        let rowRecord = rows.append(row)
        let bodyRecord = bodies.append(body)
        let number = SessionNumber(id, otherIndex: ids.count)
        if case .other = number { ids.append(id) }
        entries.append(
            Entry(
                rowOffset: rowRecord.offset, bodyOffset: bodyRecord.offset, rowLength: rowRecord.length,
                bodyLength: bodyRecord.length, id: number, health: health))
    }

    /// Writes the page: `text` receives the parts made now, `bytes` the spooled ones, in page order. Throws when
    /// a spooled part could not be read back (the page lacks it).
    public func finish(
        _ input: ReportInput, text: (String) -> Void, bytes: (UnsafeRawBufferPointer) -> Void
    ) throws(OutputError) {
        let count = entries.count
        text(HTMLReport.opening(input, figures, findings: shownFindings.map(\.finding)))
        if count > 1 {
            text(HTMLReport.contentsOpening)
            rows.readBack({ want in entries.forEachSorted { want($0.row) } }, deliver: bytes)
            text(HTMLReport.contentsClosing)
        }
        text(HTMLReport.sessionsHeading(empty: count == 0))
        var opened = 0
        // The bodies read a chunk at a time as spans of neighbours (`readBack`), not with a `pread` each (16 700
        // on the control-heavy benchmark); each comes with its entry, for the section opening written before it.
        bodies.readBack({ want in entries.forEachSorted { want($0.body, $0) } }) { entry, body in
            let open = count == 1 || (entry.health == .failed && opened < HTMLReport.maxOpenSessions)
            if open { opened += 1 }
            let id: String
            switch entry.id {
            case .numbered(let number): id = "S\(number)"
            case .other(let index): id = ids[index]
            }
            text(HTMLReport.sectionOpening(id: id, entry.health, open: open))
            bytes(body)
        }
        text(HTMLReport.closing(input))
        if let failure = entries.failure ?? rows.failure ?? bodies.failure { throw failure }
    }
}
