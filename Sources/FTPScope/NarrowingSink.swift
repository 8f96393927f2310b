import FTPAnalysis
import NetworkTypes
import Reports

/// Passes on only the events of the sessions and transfers the user narrowed the output to (`Narrowing`), so
/// the streaming outputs (text summary, CSV and JSON Lines timelines) show what the JSON document shows.
///
/// A session is judged by its id and endpoints when it starts; by its user once a USER names one (its events are
/// held until then, up to `maximumHeldEvents`, then judged by what is known). Under a status filter only the
/// transfers with a kept outcome pass, with the findings about them; the session's other rows do not (the text
/// summary shows the commands that belong to the kept transfers from the session block).
public final class NarrowingSink: StreamingEventSink {
    /// The narrowing applied.
    public let narrowing: Narrowing
    /// Where kept events go.
    public let next: StreamingEventSink
    /// Events held per session while its user is not known.
    public static let maximumHeldEvents = 256

    private enum Verdict {
        case kept
        case dropped
        case undecided([AnalysisEvent])
    }

    private var verdicts: [String: Verdict] = [:]

    /// Creates a sink passing what `narrowing` keeps on to `next`.
    public init(narrowing: Narrowing, next: StreamingEventSink) {
        self.narrowing = narrowing
        self.next = next
    }

    public func analysis(_ event: AnalysisEvent) {
        switch event {
        case .finding(let finding):
            let kept = finding.session.map { verdicts[$0].map(isKept) ?? false } ?? false
            if narrowing.matches(finding, sessionKept: kept) { next.analysis(event) }
            return
        case .sessionStarted(let session):
            verdicts[session.id] = narrowing.matchesConnection(session) ? .undecided([]) : .dropped
        default:
            break
        }
        guard let session = event.sessionIdentity else { return }
        switch verdicts[session.id] ?? .dropped {
        case .dropped:
            return
        case .kept:
            pass(event)
        case .undecided(var held):
            let ended: FTPSession?
            if case .sessionEnded(let session) = event { ended = session } else { ended = nil }
            // Decided once a user is known, when the session ends, or when too much is held.
            if narrowing.user == nil || session.user != nil || ended != nil
                || held.count >= NarrowingSink.maximumHeldEvents
            {
                let keep = ended.map(narrowing.matchesUser) ?? matchesUser(session, held + [event])
                verdicts[session.id] = keep ? .kept : .dropped
                guard keep else { return }
                for earlier in held { pass(earlier) }
                pass(event)
            } else {
                held.append(event)
                verdicts[session.id] = .undecided(held)
            }
        }
    }

    /// `Narrowing.matchesUser` from what the stream has said so far: the session's current user, or a USER
    /// command among its events (an earlier login attempt under another name).
    private func matchesUser(_ session: SessionIdentity, _ events: [AnalysisEvent]) -> Bool {
        guard let user = narrowing.user else { return true }
        if session.user == user { return true }
        return events.contains { event in
            guard case .command(let command) = event else { return false }
            return command.record.verb == .user && command.record.argument == user
        }
    }

    private func isKept(_ verdict: Verdict) -> Bool {
        if case .kept = verdict { return true }
        return false
    }

    /// Under a status filter a kept session passes its transfers with a kept outcome, and its end when it has
    /// one (the text summary prints the block then); its start, commands, replies and gaps do not, since whether
    /// a transfer will be kept is known only once it settles.
    private func pass(_ event: AnalysisEvent) {
        if narrowing.statuses != nil {
            switch event {
            case .transfer(_, let transfer):
                guard narrowing.matches(transfer) else { return }
            case .sessionEnded(let session):
                guard !narrowing.transfers(of: session).isEmpty else { return }
            default:
                return
            }
        }
        next.analysis(event)
    }

    public func advance(watermark: Timestamp?) { next.advance(watermark: watermark) }

    public func flush() { next.flush() }
}

extension AnalysisEvent {
    /// The session an event belongs to (none for a finding).
    var sessionIdentity: SessionIdentity? {
        switch self {
        case .sessionStarted(let session): return session
        case .sessionEnded(let session): return session.identity
        case .reply(let session, _), .tlsStarted(let session, _), .transfer(let session, _):
            return session
        case .command(let command): return command.session
        case .gap(let session, _, _, _): return session
        case .finding: return nil
        }
    }
}
