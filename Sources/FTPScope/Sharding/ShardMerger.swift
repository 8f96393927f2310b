import FTPAnalysis
import NetworkTypes
import Reports

/// Delivers the workers' events to the outputs in the one-thread order (`OrderKey`), on the calling thread.
///
/// Workers send one batch per round (`ShardedReader`); the merger takes the round's batch from each and merges
/// them by key. Keys of different workers never tie but at two places: a sweep's watermark, which every worker
/// gives (the outputs get the earliest once all have given theirs, as the one thread's analyzer gives the
/// earliest of all its sessions), and the password-guessing findings of the end, which are put in the
/// detector's order (time crossed, client, server) across workers.
struct ShardMerger {
    let workers: [ShardWorker]
    let sink: AnalysisEventSink?
    let streaming: StreamingEventSink?
    let progress: ((UInt64, UInt64) -> Void)?

    func run() {
        var closing: [AnalysisEvent] = []
        var cursors = [Int](repeating: 0, count: workers.count)
        var marks = 0
        var earliest: Timestamp?
        while true {
            var round: [ShardEvents] = []
            round.reserveCapacity(workers.count)
            for worker in workers {
                if let batch = worker.output.take() { round.append(batch) }
            }
            guard round.count == workers.count else { break }
            for index in cursors.indices { cursors[index] = 0 }
            while let worker = next(round, cursors) {
                let position = cursors[worker]
                cursors[worker] += 1
                let key = round[worker].keys[position]
                switch round[worker].take(position) {
                case .event(let event):
                    if key.phase == .finishFindings {
                        closing.append(event)
                    } else {
                        sink?.take(event)
                    }
                case .watermark(let mark, let packets, let bytes):
                    if let mark, earliest == nil || mark < earliest! { earliest = mark }
                    marks += 1
                    if marks == workers.count {
                        streaming?.advance(watermark: earliest)
                        progress?(packets, bytes)
                        marks = 0
                        earliest = nil
                    }
                }
            }
            for (worker, batch) in round.enumerated() {
                batch.reset()
                workers[worker].output.recycle(batch)
            }
        }
        for event in closing.sorted(by: Self.closingOrder) { sink?.take(event) }
    }

    /// The worker whose next item comes first (the lower worker on a tie), or nil when the round is merged.
    private func next(_ round: [ShardEvents], _ cursors: [Int]) -> Int? {
        var best: Int?
        for worker in round.indices where cursors[worker] < round[worker].keys.count {
            guard let current = best else {
                best = worker
                continue
            }
            if round[worker].keys[cursors[worker]] < round[current].keys[cursors[current]] { best = worker }
        }
        return best
    }

    /// The order of the findings spanning sessions at the end: password guessing by time crossed, client, server
    /// (`BruteforceDetector`); anything else first, in worker order.
    static func closingOrder(_ a: AnalysisEvent, _ b: AnalysisEvent) -> Bool {
        switch (crossing(a), crossing(b)) {
        case (nil, .some): return true
        case (.some(let first), .some(let second)): return first < second
        default: return false
        }
    }

    private static func crossing(_ event: AnalysisEvent) -> (Timestamp, IPAddress, IPAddress)? {
        guard case .finding(let finding) = event, case .bruteforce(_, let client, let server, _) = finding.facts else {
            return nil
        }
        return (finding.time, client, server)
    }
}
