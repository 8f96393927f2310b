import Glibc

/// Counters of a live capture: libpcap's (`pcap_stats`) and ftpscope's own hand-over between threads.
public struct LiveCaptureStatistics: Sendable, Hashable {
    /// Packets libpcap received (that passed the filter), as `pcap_stats` reports them (`ps_recv`).
    public var received: UInt64 = 0
    /// Packets the kernel dropped because its buffer was full (`ps_drop`): the capture did not keep up.
    public var dropped: UInt64 = 0
    /// Packets the interface or its driver dropped (`ps_ifdrop`), where the platform reports it.
    public var interfaceDropped: UInt64 = 0
    /// Packets copied into batches by the capture thread.
    public var captured: UInt64 = 0
    /// Captured bytes copied into batches.
    public var capturedBytes: UInt64 = 0
    /// Batches handed to the analysis thread.
    public var batches: UInt64 = 0
    /// Hand-overs that found the queue full and waited for the analysis thread to take a batch (meanwhile packets
    /// wait in the kernel's capture buffer, `--buffer-size`; only when that is full does the kernel drop).
    public var waits: UInt64 = 0
    /// Time the capture thread spent in those waits.
    public var waitedNanoseconds: UInt64 = 0
    /// Packets longer than a whole batch (never with the default sizes), not delivered.
    public var oversizedPackets: UInt64 = 0

    /// Zero counters.
    public init() {}
}

/// What waiting for the next batch gave.
public enum BatchWait {
    /// A batch of packets; give it back with `LiveCapture.recycle(_:)` once its packets are processed.
    case batch(PacketBatch)
    /// Nothing arrived before the timeout.
    case timedOut
    /// The capture has stopped and every batch has been delivered.
    case ended
}

/// The bounded hand-over between the capture thread (producer) and the analysis thread (consumer), with the pool
/// of free batches.
///
/// Why `@unchecked Sendable` is safe: every stored property is read and written only with `mutex` held (the
/// `let`s are set once in `init`), and a `PacketBatch` is owned by exactly one thread at a time: the capture thread
/// while it fills it, the queue while it is queued or free, the analysis thread between `pop` and `recycle`. A
/// batch changes hands only inside the lock, which orders every write to it before the next owner's reads.
final class BatchQueue: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private let capacity: Int
    private var queued: [PacketBatch] = []
    private var head = 0
    private var free: [PacketBatch] = []
    private var stopRequested = false
    private var finished = false
    private var abandoned = false
    private var failure: CaptureError?
    private var statistics = LiveCaptureStatistics()

    /// A queue of at most `capacity` full batches.
    init(capacity: Int) {
        self.capacity = max(1, capacity)
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        queued.reserveCapacity(self.capacity * 2)
        free.reserveCapacity(self.capacity + 2)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    private var queuedCount: Int { queued.count - head }

    // MARK: - Capture thread

    /// Queues a filled batch and returns an empty one to fill next. When the queue is full it waits for room: the
    /// packets arriving meanwhile wait in the kernel's capture buffer (32 MiB by default, `--buffer-size`), which
    /// holds far more than this queue. Dropping the batch instead (as before) lost packets the kernel still had
    /// room for: 60 502 of the samples looped 2 000 times at tcpreplay's top speed, with 0 dropped by the kernel.
    /// Returns at once, the batch emptied, once the consumer has abandoned the queue.
    func handOff(_ batch: PacketBatch, makeBatch: () -> PacketBatch) -> PacketBatch {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if queuedCount >= capacity && !abandoned {
            let started = monotonicNanoseconds()
            statistics.waits += 1
            repeat { pthread_cond_wait(condition, mutex) } while queuedCount >= capacity && !abandoned
            statistics.waitedNanoseconds += UInt64(max(0, monotonicNanoseconds() - started))
        }
        if abandoned {
            batch.reset()
            return batch
        }
        if head > 0 && queued.count == queued.capacity {
            // Compact in place (no allocation): the consumed prefix goes.
            queued.removeSubrange(0..<head)
            head = 0
        }
        queued.append(batch)
        statistics.batches += 1
        pthread_cond_broadcast(condition)
        if let recycled = free.popLast() { return recycled }
        return makeBatch()
    }

    /// Counts what the capture thread copied.
    func noteCaptured(packets: UInt64, bytes: UInt64, oversized: UInt64) {
        locked {
            statistics.captured += packets
            statistics.capturedBytes += bytes
            statistics.oversizedPackets += oversized
        }
    }

    /// Stores libpcap's counters.
    func noteLibpcap(received: UInt64, dropped: UInt64, interfaceDropped: UInt64) {
        locked {
            statistics.received = received
            statistics.dropped = dropped
            statistics.interfaceDropped = interfaceDropped
        }
    }

    /// The capture thread has ended (`error` when libpcap failed).
    func finish(error: CaptureError?) {
        locked {
            finished = true
            if failure == nil { failure = error }
            pthread_cond_broadcast(condition)
        }
    }

    // MARK: - Any thread

    /// Asks the capture to stop. Returns false when it had been asked already.
    func requestStop() -> Bool {
        locked {
            let first = !stopRequested
            stopRequested = true
            pthread_cond_broadcast(condition)
            return first
        }
    }

    /// The consumer is gone (the `LiveCapture` was released): nobody will pop again.
    func abandon() {
        locked {
            abandoned = true
            stopRequested = true
            pthread_cond_broadcast(condition)
        }
    }

    /// True once a stop was asked for.
    var isStopRequested: Bool { locked { stopRequested } }

    /// Counters so far.
    var currentStatistics: LiveCaptureStatistics { locked { statistics } }

    /// The error that ended the capture, if any.
    var currentFailure: CaptureError? { locked { failure } }

    // MARK: - Analysis thread

    /// The next batch, waiting at most `timeoutNanoseconds`.
    func pop(timeoutNanoseconds: Int64) -> BatchWait {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if queuedCount == 0 && !finished && timeoutNanoseconds > 0 {
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            let total = Int64(deadline.tv_nsec) + timeoutNanoseconds
            deadline.tv_sec += Int(total / 1_000_000_000)
            deadline.tv_nsec = Int(total % 1_000_000_000)
            while queuedCount == 0 && !finished {
                if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
            }
        }
        if queuedCount > 0 {
            let batch = queued[head]
            head += 1
            if head == queued.count {
                queued.removeAll(keepingCapacity: true)
                head = 0
            }
            // Room appeared: a capture thread waiting to hand over its last batch can go on.
            pthread_cond_broadcast(condition)
            return .batch(batch)
        }
        return finished ? .ended : .timedOut
    }

    /// Gives a processed batch back to the pool.
    func recycle(_ batch: PacketBatch) {
        batch.reset()
        locked { free.append(batch) }
    }
}
