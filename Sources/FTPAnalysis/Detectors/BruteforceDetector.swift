import NetworkTypes

/// Password guessing: `threshold` failed logins from one client to one server within `window`, counted across
/// sessions as each ends, and reported once per host pair when the analysis finishes (with every failure counted,
/// not only those that crossed the threshold, and the first login that worked afterwards).
struct BruteforceDetector: FindingDetector {
    /// Failed logins that make a finding.
    let threshold: Int
    /// The window, in nanoseconds.
    let window: Int64
    private var failures: [HostPair: [(Timestamp, String)]] = [:]
    private var runs: [HostPair: Run] = [:]
    private var order: [HostPair] = []
    /// Pairs with failures below the threshold at which the lists are next pruned of pairs whose failures have all
    /// left the window (so a long capture's one-off failed logins do not pile up).
    private var pruneAt = 4096

    struct HostPair: Hashable {
        var client: IPAddress
        var server: IPAddress
    }

    /// A password-guessing run: failed logins from one client to one server past the threshold.
    struct Run {
        var first: Timestamp
        var crossed: Timestamp
        var session: String
        var failures: Int
        var users: Set<String>
        var success: (Timestamp, String, String)?
    }

    init(threshold: Int, window: Int64) {
        self.threshold = threshold
        self.window = window
    }

    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
        switch event {
        case .sessionEnded(let session): count(session)
        case .analysisFinished: report(into: &found)
        default: return
        }
    }

    private mutating func count(_ session: FTPSession) {
        let pair = HostPair(client: session.client.address, server: session.server.address)
        for attempt in session.loginAttempts {
            if attempt.outcome == .succeeded || attempt.outcome == .anonymous {
                // A login that worked after the guessing began: the one thing the reader must check.
                if runs[pair] != nil && runs[pair]!.success == nil {
                    runs[pair]!.success = (attempt.time, session.id, attempt.user)
                }
                continue
            }
            guard attempt.outcome == .failed else { continue }
            if var run = runs[pair] {
                run.failures += 1
                if run.users.count < 20 { run.users.insert(attempt.user) }
                runs[pair] = run
                continue
            }
            var list = failures[pair, default: []]
            list.append((attempt.time, attempt.user))
            list.removeAll { $0.0.nanoseconds(to: attempt.time) > window }
            failures[pair] = list
            if failures.count >= pruneAt { prune(now: attempt.time) }
            if list.count >= threshold {
                failures[pair] = nil
                runs[pair] = Run(
                    first: list[0].0, crossed: attempt.time, session: session.id, failures: list.count,
                    users: Set(list.map(\.1)))
                order.append(pair)
            }
        }
    }

    /// Forgets pairs whose last failure is older than the window; next time when twice as many are kept.
    private mutating func prune(now: Timestamp) {
        failures = failures.filter { _, list in
            guard let last = list.last else { return false }
            return last.0.nanoseconds(to: now) <= window
        }
        pruneAt = max(4096, 2 * failures.count)
    }

    private func report(into found: inout [Finding]) {
        // By the time each pair crossed the threshold (then the pair), not by which session happened to end first:
        // the order every worker of a sharded analysis agrees on (`OrderPhase.finishFindings`).
        let crossings = order.compactMap { pair in runs[pair].map { (pair, $0) } }.sorted {
            ($0.1.crossed, $0.0.client, $0.0.server) < ($1.1.crossed, $1.0.client, $1.0.server)
        }
        for (pair, run) in crossings {
            var evidence: [(String, EvidenceValue)] = [
                ("failures", .int(Int64(run.failures))),
                ("users", .list(run.users.sorted().prefix(20).map { .string($0) })),
                ("first", .string(run.first.iso8601)),
            ]
            let success = run.success.map { BruteforceSuccess(session: $0.1, user: $0.2, time: $0.0) }
            if let success { evidence.append(("succeeded_after", .string(success.session))) }
            found.append(
                Finding(
                    kind: .bruteforce, severity: .high, session: run.session, time: run.crossed,
                    facts: .bruteforce(failures: run.failures, client: pair.client, server: pair.server, success: success),
                    evidence: evidence))
        }
    }
}
