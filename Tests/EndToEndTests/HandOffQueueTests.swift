import Glibc
import Testing

@testable import FTPScope

/// The offline reader's hand-over: items arrive in order, none is lost or duplicated, the producer waits for room
/// instead of dropping, the pool bounds how many items ever exist, and `abandon` releases a waiting producer; all
/// of it also when a waiting side is woken only for several items or slots (`wakeAt`), down to a lone last item
/// that only `finish` hands on.
@Suite struct HandOffQueueTests {
    final class Box {
        var value = -1
    }

    /// A producer on its own thread: fills `count` boxes with 0, 1, 2, … through `queue`, counting the boxes it made.
    final class Producer: @unchecked Sendable {
        // Written by the producer thread only; read after `pthread_join`, which orders the accesses.
        var made = 0
        var stoppedEarly = false
        let queue: HandOffQueue<Box>
        let count: Int

        init(queue: HandOffQueue<Box>, count: Int) {
            self.queue = queue
            self.count = count
        }

        func run() {
            made = 1
            var box = Box()
            for value in 0..<count {
                box.value = value
                guard let next = queue.put(box, make: { made += 1; return Box() }) else {
                    stoppedEarly = true
                    break
                }
                box = next
            }
            queue.finish()
        }

        func start() -> pthread_t {
            var thread = pthread_t()
            let argument = Unmanaged.passRetained(self).toOpaque()
            let status = pthread_create(
                &thread, nil,
                { argument in
                    Unmanaged<Producer>.fromOpaque(argument!).takeRetainedValue().run()
                    return nil
                }, argument)
            precondition(status == 0, "pthread_create failed")
            return thread
        }
    }

    @Test(arguments: [(1, 20_000), (2, 20_001), (3, 20_001), (2, 1)])
    func everyItemArrivesOnceInOrderWithABoundedPool(wakeAt: Int, count: Int) {
        let queue = HandOffQueue<Box>(capacity: 3, wakeAt: wakeAt)
        let producer = Producer(queue: queue, count: count)
        let thread = producer.start()
        var expected = 0
        var outOfOrder = 0
        while let box = queue.take() {
            if box.value != expected { outOfOrder += 1 }
            expected += 1
            box.value = -1
            queue.recycle(box)
        }
        pthread_join(thread, nil)
        #expect(expected == count)
        #expect(outOfOrder == 0)
        #expect(!producer.stoppedEarly)
        // Queued (3) + the producer's + the consumer's + one handed back while the pool was momentarily empty.
        #expect(producer.made <= 6, "\(producer.made) boxes made for \(count) items: the pool does not recycle")
    }

    @Test(arguments: [1, 2])
    func abandoningReleasesAWaitingProducer(wakeAt: Int) {
        let queue = HandOffQueue<Box>(capacity: 2, wakeAt: wakeAt)
        let producer = Producer(queue: queue, count: 1_000)
        let thread = producer.start()
        // Take one, so the producer has certainly run, then leave it waiting on a full queue.
        let first = queue.take()
        #expect(first?.value == 0)
        queue.abandon()
        pthread_join(thread, nil)
        #expect(producer.stoppedEarly)
    }
}
