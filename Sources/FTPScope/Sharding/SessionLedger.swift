import FTPAnalysis
import Glibc

/// Numbers sessions across the workers of a sharded analysis exactly as one analysis thread would: a session
/// confirmed at `OrderKey` k is numbered one more than the sessions confirmed before k in any worker.
///
/// Each worker tells the ledger how far it has got (`advance`: every key below is done). A worker confirming at
/// k first waits until every other worker has passed k, so that all confirmations before k are known. No worker
/// waits on one that is further on, so the wait always ends: the worker with the least key never waits, and the
/// reader hands every worker its batch of a round before the next round (`ShardedReader`).
final class SessionLedger: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let moved: UnsafeMutablePointer<pthread_cond_t>
    /// Per worker: every key below this one is done.
    private var progress: [OrderKey]
    /// Per worker: keys of its confirmations not yet folded into `folded` (ascending).
    private var confirmations: [[OrderKey]]
    /// Confirmations below every worker's progress, counted only (so memory stays flat).
    private var folded = 0

    /// Past every key: a worker that has finished.
    static let end = OrderKey(index: .max, phase: .finishFindings, rank: .max, time: .max, serial: .max)

    init(workers: Int) {
        progress = Array(repeating: OrderKey(), count: workers)
        confirmations = Array(repeating: [], count: workers)
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        moved = .allocate(capacity: 1)
        pthread_cond_init(moved, nil)
    }

    deinit {
        pthread_cond_destroy(moved)
        moved.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Worker `worker` has done every key below `key`.
    func advance(_ worker: Int, to key: OrderKey) {
        pthread_mutex_lock(mutex)
        if progress[worker] < key { progress[worker] = key }
        pthread_cond_broadcast(moved)
        pthread_mutex_unlock(mutex)
    }

    /// The number of the session worker `worker` confirms at `key`.
    func number(_ worker: Int, confirmedAt key: OrderKey) -> Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if progress[worker] < key { progress[worker] = key }
        pthread_cond_broadcast(moved)
        while progress.indices.contains(where: { $0 != worker && progress[$0] < key }) {
            pthread_cond_wait(moved, mutex)
        }
        var before = folded
        for list in confirmations {
            // Lists are short (folded as workers move on): a scan is enough.
            for confirmed in list where confirmed < key { before += 1 }
        }
        confirmations[worker].append(key)
        fold()
        return before + 1
    }

    /// Counts, and forgets, confirmations every worker has passed.
    private func fold() {
        guard let floor = progress.min() else { return }
        for worker in confirmations.indices {
            let list = confirmations[worker]
            guard let first = list.first, first < floor else { continue }
            let kept = list.drop { $0 < floor }
            folded += list.count - kept.count
            confirmations[worker] = Array(kept)
        }
    }
}

/// One worker's view of the ledger, as its analyzer's `SessionNumbering`.
final class WorkerNumbering: SessionNumbering {
    let ledger: SessionLedger
    let worker: Int

    init(ledger: SessionLedger, worker: Int) {
        self.ledger = ledger
        self.worker = worker
    }

    func number(confirmedAt order: OrderKey) -> Int { ledger.number(worker, confirmedAt: order) }
}
