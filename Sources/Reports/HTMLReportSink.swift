import FTPAnalysis
import NetworkTypes

/// The HTML report (`--report PATH`) as the analysis streams: each session's section and table-of-contents row
/// are rendered when the session ends and kept in an unlinked temporary file, so memory stays flat however many
/// sessions a capture holds. At the end the page is assembled: the summary (counted as sessions ended), the most
/// severe findings (at most `HTMLReport.maxFindings`, kept in a bounded list), then the contents and the sections,
/// failed sessions first, each group in session order.
///
/// What stays in memory per session is about 70 bytes (its `Entry`: health, number and two record numbers, and
/// the spool's offset and length of those two records), plus, until the session ends, its findings.
public final class HTMLReportSink: StreamingEventSink {
    /// Where a session's pieces are in the spool, and how it sorts.
    private struct Entry {
        var health: HTMLReport.Health
        var id: SessionNumber
        /// The record numbers of its contents row and its section (after the first line) in the spool.
        var row: Int
        var body: Int
    }

    /// A session id as the analyzer gives them (`S12`), kept as its number so an entry holds no string; an id
    /// of another shape (none occurs today) is kept in `ids` and sorts after every numbered one, as it came.
    private enum SessionNumber: Comparable {
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

    private var entries: [Entry] = []
    /// The ids that are not `S<number>`, in arrival order (see `SessionNumber`).
    private var ids: [String] = []
    private var figures = HTMLReport.Figures()
    private var pendingFindings: [String: [(finding: Finding, arrival: Int)]] = [:]
    /// The most severe findings so far, in report order (severity, then time, then arrival), at most the limit.
    private var shownFindings: [(finding: Finding, arrival: Int)] = []
    private var findingArrivals = 0
    private let spool = RecordSpool()
    private let passwords: PasswordPolicy

    /// Creates a sink; `passwords` is the policy for the sections' command lists.
    public init(passwords: PasswordPolicy = PasswordPolicy(showPasswords: false)) {
        self.passwords = passwords
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

    /// Renders an ended session's row and section into the spool.
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
        let row = spool.append(HTMLReport.contentsRow(session, health))
        let body = spool.append(HTMLReport.sectionBody(session, health, findings, passwords))
        let id = SessionNumber(session.id, otherIndex: ids.count)
        if case .other = id { ids.append(session.id) }
        entries.append(Entry(health: health, id: id, row: row, body: body))
    }

    /// Writes the page: `text` receives the parts made now, `bytes` the spooled ones, in page order.
    public func finish(
        _ input: ReportInput, text: (String) -> Void, bytes: (UnsafeRawBufferPointer) -> Void
    ) {
        let ordered = entries.sorted { ($0.health.rawValue, $0.id) < ($1.health.rawValue, $1.id) }
        text(HTMLReport.opening(input, figures, findings: shownFindings.map(\.finding)))
        if ordered.count > 1 {
            text(HTMLReport.contentsOpening)
            for entry in ordered { spool.read(entry.row).withUnsafeBytes(bytes) }
            text(HTMLReport.contentsClosing)
        }
        text(HTMLReport.sessionsHeading(empty: ordered.isEmpty))
        var opened = 0
        for entry in ordered {
            let open = ordered.count == 1 || (entry.health == .failed && opened < HTMLReport.maxOpenSessions)
            if open { opened += 1 }
            let id: String
            switch entry.id {
            case .numbered(let number): id = "S\(number)"
            case .other(let index): id = ids[index]
            }
            text(HTMLReport.sectionOpening(id: id, entry.health, open: open))
            spool.read(entry.body).withUnsafeBytes(bytes)
        }
        text(HTMLReport.closing(input))
    }
}
