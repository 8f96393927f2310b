import Glibc

/// A bounded hand-over of reusable buffers from one producer thread to one consumer thread, with the pool of free
/// buffers that bounds memory: at most `capacity` full items wait, and items go back to the pool once consumed, so
/// a steady run allocates nothing. Offline analysis loses nothing, so unlike live capture's queue both sides wait
/// (the reader for room, the analysis for work) instead of dropping.
///
/// Why `@unchecked Sendable` is safe: every stored `var` is read and written only with `mutex` held (the `let`s are
/// set once in `init`), and an item is owned by one thread at a time: the producer while it fills it, the queue
/// while it is queued or free, the consumer between `take` and `recycle`. Items change hands only inside the lock,
/// which orders every write to an item before the next owner's reads.
final class HandOffQueue<Item: AnyObject>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let work: UnsafeMutablePointer<pthread_cond_t>
    private let room: UnsafeMutablePointer<pthread_cond_t>
    private let capacity: Int
    /// A waiting side is woken once this many items (or free slots) are there for it, not at the first.
    private let wakeAt: Int
    private var consumerWaiting = false
    private var producerWaiting = false
    // A ring of `capacity` slots: no allocation after `init`.
    private var ring: [Item?]
    private var head = 0
    private var count = 0
    private var free: [Item] = []
    private var finished = false
    private var abandoned = false

    /// A queue holding at most `capacity` full items. A side waiting for work (or room) is woken when `wakeAt`
    /// items (or free slots) are there, at most `capacity`: with 2, a stage that waits runs for two batches per
    /// wake-up instead of one, which halves the futex sleeps and wake-ups on a busy two-core pipeline. Use 1 where
    /// a lone item must go on at once (live capture, whose output must appear as it settles) or where a producer
    /// may wait on something its consumer waits for (the sharded rounds: a merger waiting for a second round that a
    /// blocked worker never sends).
    init(capacity: Int, wakeAt: Int = 1) {
        self.capacity = max(1, capacity)
        self.wakeAt = min(max(1, wakeAt), self.capacity)
        ring = Array(repeating: nil, count: self.capacity)
        free.reserveCapacity(self.capacity + 2)
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        work = .allocate(capacity: 1)
        pthread_cond_init(work, nil)
        room = .allocate(capacity: 1)
        pthread_cond_init(room, nil)
    }

    deinit {
        pthread_cond_destroy(work)
        work.deallocate()
        pthread_cond_destroy(room)
        room.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    // MARK: - Producer

    /// Queues a full item, waiting for room, and returns a free one to fill next (`make()` only while the pool is
    /// still growing to its bound). Returns nil once the consumer has gone (`abandon`): the producer should stop.
    func put(_ item: Item, make: () -> Item) -> Item? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count == capacity && !abandoned {
            producerWaiting = true
            pthread_cond_wait(room, mutex)
        }
        producerWaiting = false
        if abandoned { return nil }
        ring[(head + count) % capacity] = item
        count += 1
        if consumerWaiting && count >= wakeAt { pthread_cond_signal(work) }
        return free.popLast() ?? make()
    }

    /// Queues a full item only if there is room now, and then returns a free one to fill next; nil (the item not
    /// queued, still the caller's) when the queue is full or the consumer has gone. For a producer that must not
    /// wait: live capture's analysis hands its outputs what has settled after every batch, but when the output
    /// thread is behind it keeps adding to the batch it holds rather than stall the capture.
    func offer(_ item: Item, make: () -> Item) -> Item? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard count < capacity, !abandoned else { return nil }
        ring[(head + count) % capacity] = item
        count += 1
        if consumerWaiting && count >= wakeAt { pthread_cond_signal(work) }
        return free.popLast() ?? make()
    }

    /// The producer is done: once the queued items are taken, `take` returns nil.
    func finish() {
        pthread_mutex_lock(mutex)
        finished = true
        pthread_cond_broadcast(work)
        pthread_mutex_unlock(mutex)
    }

    // MARK: - Consumer

    /// The next full item, waiting for one; nil when the producer has finished and everything was taken.
    func take() -> Item? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count == 0 && !finished {
            consumerWaiting = true
            pthread_cond_wait(work, mutex)
        }
        consumerWaiting = false
        guard count > 0 else { return nil }
        let item = ring[head]
        ring[head] = nil
        head = (head + 1) % capacity
        count -= 1
        if producerWaiting && capacity - count >= wakeAt { pthread_cond_signal(room) }
        return item
    }

    /// Gives a consumed item back to the pool.
    func recycle(_ item: Item) {
        pthread_mutex_lock(mutex)
        free.append(item)
        pthread_mutex_unlock(mutex)
    }

    /// The consumer stops taking: a producer waiting for room is released and told to stop.
    func abandon() {
        pthread_mutex_lock(mutex)
        abandoned = true
        pthread_cond_broadcast(room)
        pthread_mutex_unlock(mutex)
    }
}
