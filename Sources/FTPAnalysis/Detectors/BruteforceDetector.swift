import NetworkTypes

/// Password guessing: `threshold` failed logins from one client to one server within `window`, counted across
/// sessions.
///
/// A pair that crosses the threshold has a *run*, which gathers every later failure of the pair and is reported
/// once, when it ends, and dated then:
/// - a login from the client works: at the accepted login, naming it (the account is suspect);
/// - or the run goes quiet: `window` of capture time passes after its last failure, judged at the analysis's
///   once-a-second sweep (`DetectorEvent.clock`: dated at the sweep, or live at the latest packet then), or when
///   the pair's next failure comes later than that (dated at that failure);
/// - or the analysis finishes: dated at the end of the capture.
/// The evidence says when the run began (`first`), crossed the threshold (`crossed`) and last failed (`last`).
/// Dated when it is known, the finding streams in time order like any other event: dated at the crossing, it
/// would have held every timeline row after that date until the run ended (in a live `sniff` under a steady
/// attack, for as long as the attack lasts).
///
/// A run that went quiet is forgotten: what the detector keeps is bounded by the pairs failing within one window
/// (`maximumPairs`, `maximumRuns`), not by the length of a capture or a live `sniff`.
struct BruteforceDetector: FindingDetector {
    /// Failed logins that make a finding.
    let threshold: Int
    /// The window, in nanoseconds.
    let window: Int64
    /// Host pairs with failures below the threshold kept at most; a new pair past it is not counted until
    /// pruning makes room (docs/limits.md). About 300 bytes a pair at the default threshold.
    let maximumPairs: Int
    /// Runs in progress kept at most (a run keeps up to 20 user names: about 1.5 KB); a pair crossing the threshold
    /// past it is reported at once with the failures so far instead of waiting for its run to end.
    let maximumRuns: Int
    /// User names a run keeps for its evidence.
    static let maximumUsers = 20

    private var failures: [HostPair: [(Timestamp, String)]] = [:]
    private var runs: [HostPair: Run] = [:]
    /// Sessions whose attempts were counted at their accepted login, up to that index: the rest are counted when
    /// the session ends. Only sessions of pairs with failures are entered, and each leaves at its end.
    private var countedThrough: [ObjectIdentifier: Int] = [:]
    /// Pairs with failures below the threshold at which the lists are next pruned of pairs whose failures have all
    /// left the window (so a long capture's one-off failed logins do not pile up).
    private var pruneAt = 4096
    /// The latest sweep's clock: the end of the analysis when the caller does not say it.
    private var latestClock: Timestamp?
    /// When `makeRoom` last pruned.
    private var lastRoomMade: Timestamp?

    struct HostPair: Hashable {
        var client: IPAddress
        var server: IPAddress
    }

    /// A password-guessing run: failed logins from one client to one server past the threshold.
    struct Run {
        var first: Timestamp
        var crossed: Timestamp
        /// The latest failure counted: the run is over once `window` has passed after it.
        var last: Timestamp
        var session: String
        var failures: Int
        var users: Set<String>
    }

    init(threshold: Int, window: Int64, maximumPairs: Int = 50_000, maximumRuns: Int = 10_000) {
        self.threshold = threshold
        self.window = window
        self.maximumPairs = maximumPairs
        self.maximumRuns = maximumRuns
    }

    /// Host pairs with failures below the threshold, kept.
    var pairsCounting: Int { failures.count }
    /// Runs not yet reported.
    var runsInProgress: Int { runs.count }

    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
        switch event {
        case .loginAccepted(let session):
            // Most captures have no failed login at all: then nothing is hashed here (once per session).
            guard !(runs.isEmpty && failures.isEmpty) else { return }
            let pair = HostPair(client: session.client.address, server: session.server.address)
            // A session of a pair that never failed has nothing to count yet: it is counted when it ends, as usual.
            guard runs[pair] != nil || failures[pair] != nil else { return }
            let attempts = session.loginAttempts
            count(attempts[...], of: session, pair: pair, into: &found)
            countedThrough[ObjectIdentifier(session)] = attempts.count
        case .sessionEnded(let session):
            let pair = HostPair(client: session.client.address, server: session.server.address)
            let attempts = session.loginAttempts
            let from = countedThrough.isEmpty ? 0 : countedThrough.removeValue(forKey: ObjectIdentifier(session)) ?? 0
            if from < attempts.count { count(attempts[from...], of: session, pair: pair, into: &found) }
        case .clock(let now, let dating):
            latestClock = dating
            reportQuietRuns(now: now, dating: dating, into: &found)
        case .analysisFinished(let end):
            // Without the capture's end, the latest of the last sweep and the run's last failure (the same in every
            // worker of a sharded analysis: the sweeps are everyone's, a pair's sessions one worker's).
            let ended = runs.map { pair, run in (pair, run, end ?? latestClock.map { max($0, run.last) } ?? run.last) }
            for (pair, run, at) in ended.sorted(by: { ($0.2, $0.0.client, $0.0.server) < ($1.2, $1.0.client, $1.0.server) }) {
                report(pair, run, at: at, success: nil, into: &found)
            }
            runs = [:]
        default:
            return
        }
    }

    private mutating func count(
        _ attempts: ArraySlice<LoginAttempt>, of session: FTPSession, pair: HostPair, into found: inout [Finding]
    ) {
        for attempt in attempts {
            if !runs.isEmpty, let run = runs[pair], run.last.nanoseconds(to: attempt.time) > window {
                // Gone quiet before this attempt (counted late: a session's attempts are counted when it ends).
                runs[pair] = nil
                report(pair, run, at: attempt.time, success: nil, into: &found)
            }
            if attempt.outcome == .succeeded || attempt.outcome == .anonymous {
                // A login that worked while the guessing went on: the one thing the reader must check.
                if !runs.isEmpty, let run = runs.removeValue(forKey: pair) {
                    let success = BruteforceSuccess(session: session.id, user: attempt.user, time: attempt.time)
                    report(pair, run, at: attempt.time, success: success, into: &found)
                }
                continue
            }
            guard attempt.outcome == .failed else { continue }
            if !runs.isEmpty, var run = runs[pair] {
                run.failures += 1
                if attempt.time > run.last { run.last = attempt.time }
                if run.users.count < Self.maximumUsers { run.users.insert(attempt.user) }
                runs[pair] = run
                continue
            }
            guard failures.count < maximumPairs || failures[pair] != nil || makeRoom(now: attempt.time) else {
                continue
            }
            var list = failures.removeValue(forKey: pair) ?? []
            list.append((attempt.time, attempt.user))
            list.removeAll { $0.0.nanoseconds(to: attempt.time) > window }
            if list.count < threshold {
                failures[pair] = list
                if failures.count >= pruneAt { prune(now: attempt.time) }
                continue
            }
            let run = Run(
                first: list[0].0, crossed: attempt.time, last: attempt.time, session: session.id,
                failures: list.count, users: Set(list.lazy.map(\.1).prefix(Self.maximumUsers)))
            if runs.count < maximumRuns {
                runs[pair] = run
            } else {
                report(pair, run, at: attempt.time, success: nil, into: &found)
            }
        }
    }

    /// Reports the runs whose last failure is more than `window` before `now`, dated `dating`, and forgets them: by
    /// client, then server, the order every worker of a sharded analysis agrees on for findings of one date
    /// (`ShardMerger`).
    private mutating func reportQuietRuns(now: Timestamp, dating: Timestamp, into found: inout [Finding]) {
        guard !runs.isEmpty else { return }
        var quiet: [(HostPair, Run)] = []
        for (pair, run) in runs where run.last.nanoseconds(to: now) > window { quiet.append((pair, run)) }
        guard !quiet.isEmpty else { return }
        for (pair, run) in quiet.sorted(by: { ($0.0.client, $0.0.server) < ($1.0.client, $1.0.server) }) {
            runs[pair] = nil
            report(pair, run, at: max(dating, run.last), success: nil, into: &found)
        }
    }

    /// Makes room for a new pair by pruning; false when every kept pair is still inside its window. Pruned at most
    /// once a second of capture time, so that a spray from more clients than the bound does not prune per failure.
    private mutating func makeRoom(now: Timestamp) -> Bool {
        if let last = lastRoomMade, last.nanoseconds(to: now) < 1_000_000_000 { return false }
        lastRoomMade = now
        prune(now: now)
        return failures.count < maximumPairs
    }

    /// Forgets pairs whose last failure is older than the window; next time when twice as many are kept.
    private mutating func prune(now: Timestamp) {
        failures = failures.filter { _, list in
            guard let last = list.last else { return false }
            return last.0.nanoseconds(to: now) <= window
        }
        pruneAt = max(4096, 2 * failures.count)
    }

    /// Appends the finding of a run that ended, dated `time`.
    private func report(
        _ pair: HostPair, _ run: Run, at time: Timestamp, success: BruteforceSuccess?, into found: inout [Finding]
    ) {
        var evidence: [(String, EvidenceValue)] = [
            ("failures", .int(Int64(run.failures))),
            ("users", .list(run.users.sorted().prefix(Self.maximumUsers).map { .string($0) })),
            ("first", .string(run.first.iso8601)),
            ("crossed", .string(run.crossed.iso8601)),
            ("last", .string(run.last.iso8601)),
        ]
        if let success { evidence.append(("succeeded_after", .string(success.session))) }
        found.append(
            Finding(
                kind: .bruteforce, severity: .high, session: run.session, time: time,
                facts: .bruteforce(failures: run.failures, client: pair.client, server: pair.server, success: success),
                evidence: evidence))
    }
}
