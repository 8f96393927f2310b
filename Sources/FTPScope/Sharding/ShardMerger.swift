import FTPAnalysis
import NetworkTypes
import Reports

/// Delivers the workers' events to the outputs in the one-thread order (`OrderKey`), on the thread that runs it
/// (the caller's offline, a merge thread of its own live: `LiveShardedPath`).
///
/// Workers send one batch per round (`ShardedReader`, `LiveShardedPath`); the merger takes the round's batch from each and merges
/// them by key. Keys of different workers never tie but at two places: a sweep's watermark, which every worker
/// gives (the outputs get the earliest once all have given theirs, as the one thread's analyzer gives the
/// earliest of all its sessions), and password-guessing findings of the same date reported by a sweep or by
/// the end, which are put in the detector's order (date, client, server) across workers.
struct ShardMerger {
    let workers: [ShardWorker]
    let sink: AnalysisEventSink?
    let streaming: StreamingEventSink?
    let progress: ((UInt64, UInt64) -> Void)?
    /// Live: flush the streamed outputs after every round, so rows appear as they settle (the one-thread live loop
    /// flushes after every captured batch). Offline leaves the outputs to write when their buffers fill.
    var flushesEveryRound = false

    /// Merges until every worker has finished, then delivers the findings of the end.
    ///
    /// A round is merged tick by tick: every worker hears of every tick (`DecodedBatch.Tick`), and the items before
    /// each worker's k-th watermark are merged by key before the k-th watermarks are taken together. Offline that is
    /// the plain merge by key (a tick's key is above every key before it and below every key after it in each
    /// worker); live, where several ticks can follow the same packet and so share a key, it keeps a watermark from
    /// being given before every worker has reached that tick.
    func run() {
        var closing: [AnalysisEvent] = []
        var cursors = [Int](repeating: 0, count: workers.count)
        while true {
            var round: [ShardEvents] = []
            round.reserveCapacity(workers.count)
            for worker in workers {
                if let batch = worker.output.take() { round.append(batch) }
            }
            guard round.count == workers.count else { break }
            for index in cursors.indices { cursors[index] = 0 }
            while true {
                if let worker = next(round, cursors) {
                    let position = cursors[worker]
                    cursors[worker] += 1
                    let key = round[worker].keys[position]
                    guard case .event(let event) = round[worker].take(position) else { continue }
                    if key.phase == .finishFindings {
                        closing.append(event)
                    } else {
                        sink?.take(event)
                    }
                    continue
                }
                // Every worker is at its next tick's watermark, or through its batch.
                guard cursors[0] < round[0].keys.count else { break }
                var earliest: Timestamp?
                var read: (packets: UInt64, bytes: UInt64) = (0, 0)
                for worker in round.indices {
                    precondition(cursors[worker] < round[worker].keys.count, "workers of a round disagree on ticks")
                    let position = cursors[worker]
                    cursors[worker] += 1
                    guard case .watermark(let mark, let packets, let bytes) = round[worker].take(position) else {
                        preconditionFailure("a tick's watermark expected")
                    }
                    if let mark, earliest == nil || mark < earliest! { earliest = mark }
                    read = (packets, bytes)
                }
                streaming?.advance(watermark: earliest)
                progress?(read.packets, read.bytes)
            }
            for (worker, batch) in round.enumerated() {
                batch.reset()
                workers[worker].output.recycle(batch)
            }
            if flushesEveryRound { streaming?.flush() }
        }
        for event in closing.sorted(by: Self.closingOrder) { sink?.take(event) }
        if flushesEveryRound { streaming?.flush() }
    }

    /// The worker whose next event comes first (the lower worker on a tie), or nil when every worker is at a
    /// watermark or through its batch.
    private func next(_ round: [ShardEvents], _ cursors: [Int]) -> Int? {
        var best: Int?
        for worker in round.indices where cursors[worker] < round[worker].keys.count {
            let key = round[worker].keys[cursors[worker]]
            if key.phase == .watermark { continue }
            guard let current = best else {
                best = worker
                continue
            }
            let bestKey = round[current].keys[cursors[current]]
            if key < bestKey {
                best = worker
            } else if key.phase == .sweepFindings && !(bestKey < key),
                let mine = Self.guessingOrder(round[worker].items[cursors[worker]]),
                let theirs = Self.guessingOrder(round[current].items[cursors[current]]), mine < theirs
            {
                // Password-guessing runs gone quiet at the same sweep (so of the same date) in two workers: the
                // detector's order (client, server), as one thread reports them.
                best = worker
            }
        }
        return best
    }

    /// The order of the findings spanning sessions at the end: password guessing by date, client, server
    /// (`BruteforceDetector`); anything else first, in worker order.
    static func closingOrder(_ a: AnalysisEvent, _ b: AnalysisEvent) -> Bool {
        switch (guessingOrder(a), guessingOrder(b)) {
        case (nil, .some): return true
        case (.some(let first), .some(let second)): return first < second
        default: return false
        }
    }

    private static func guessingOrder(_ item: ShardEvents.Item) -> (Timestamp, IPAddress, IPAddress)? {
        guard case .event(let event) = item else { return nil }
        return guessingOrder(event)
    }

    /// Where a password-guessing finding goes in the detector's own order (its date, then client and server:
    /// `BruteforceDetector` reports the runs that end together in that order); nil for any other event.
    private static func guessingOrder(_ event: AnalysisEvent) -> (Timestamp, IPAddress, IPAddress)? {
        guard case .finding(let finding) = event, case .bruteforce(_, let client, let server, _) = finding.facts else {
            return nil
        }
        return (finding.time, client, server)
    }
}
