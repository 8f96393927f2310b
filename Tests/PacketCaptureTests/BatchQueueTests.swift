import Dispatch
import Glibc
import NetworkTypes
import Testing

@testable import PacketCapture

/// The hand-over between the capture thread and the analysis thread: batches keep their packets, a full queue makes
/// the producer wait (counted) and loses nothing, and the end is seen once everything was taken.
@Suite struct BatchQueueTests {
    private func batch(_ payloads: [[UInt8]]) -> PacketBatch {
        let made = PacketBatch(linkType: .ethernet, maxPackets: 4, byteCapacity: 64)
        for (index, payload) in payloads.enumerated() {
            #expect(made.hasRoom(for: payload.count))
            payload.withUnsafeBytes {
                made.append(
                    time: Timestamp(seconds: 100, nanoseconds: Int64(index)), capturedLength: $0.count,
                    wireLength: $0.count + 10, bytes: $0.baseAddress)
            }
        }
        return made
    }

    @Test func batchKeepsPacketsAndLimits() {
        let made = batch([[1, 2, 3], [], [4, 5]])
        #expect(made.count == 3)
        #expect(made.byteCount == 5)
        #expect(Array(made.packet(at: 0)) == [1, 2, 3])
        #expect(made.packet(at: 1).isEmpty)
        #expect(Array(made.packet(at: 2)) == [4, 5])
        #expect(made.header(at: 2) == PacketHeader(time: Timestamp(seconds: 100, nanoseconds: 2), capturedLength: 2, wireLength: 12, linkType: .ethernet))
        #expect(made.hasRoom(for: 59))
        #expect(!made.hasRoom(for: 60))
        #expect(made.tooLarge(65))
        made.reset()
        #expect(made.isEmpty && made.byteCount == 0)
    }

    /// A full queue makes the capture thread wait (the kernel's buffer holds the packets meanwhile) instead of
    /// dropping whole batches: a producer far ahead of a consumer that has not started still gets every batch
    /// through, in order, and the waits are counted.
    @Test func fullQueueWaitsForRoomAndLosesNothing() {
        let queue = BatchQueue(capacity: 2)
        let count = 40
        let producerDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var made = 0
            for index in 0..<count {
                _ = queue.handOff(self.batch([[UInt8(index)], [UInt8(index)]])) {
                    made += 1
                    return PacketBatch(linkType: .ethernet, maxPackets: 4, byteCapacity: 64)
                }
            }
            queue.finish(error: nil)
            producerDone.signal()
        }
        // Nothing is taken until the producer has found the queue full and waited.
        var polls = 0
        while queue.currentStatistics.waits == 0 && polls < 5_000 {
            usleep(1_000)
            polls += 1
        }
        #expect(queue.currentStatistics.waits >= 1, "the producer waited for room")
        var received: [UInt8] = []
        loop: while true {
            switch queue.pop(timeoutNanoseconds: 1_000_000_000) {
            case .batch(let taken):
                #expect(taken.count == 2)
                received.append(taken.packet(at: 0).first ?? 255)
                queue.recycle(taken)
            case .timedOut:
                Issue.record("the producer stalled")
                break loop
            case .ended:
                break loop
            }
        }
        #expect(received == (0..<count).map { UInt8($0) }, "every batch, in order")
        #expect(producerDone.wait(timeout: .now() + 5) == .success)
        #expect(queue.currentStatistics.waits >= 1 && queue.currentStatistics.waitedNanoseconds > 0)
    }

    /// A producer waiting for room is let go when the consumer abandons the queue (teardown), its batch emptied.
    @Test func abandoningReleasesAWaitingProducer() {
        let queue = BatchQueue(capacity: 1)
        let factory = { PacketBatch(linkType: .ethernet, maxPackets: 4, byteCapacity: 64) }
        let first = queue.handOff(batch([[1]]), makeBatch: factory)
        #expect(first.isEmpty, "room for one: queued without waiting")
        let released = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let second = self.batch([[2]])
            let back = queue.handOff(second) { PacketBatch(linkType: .ethernet, maxPackets: 4, byteCapacity: 64) }
            #expect(back === second && back.isEmpty, "handed back emptied, not queued")
            released.signal()
        }
        #expect(released.wait(timeout: .now() + 0.2) == .timedOut, "waits while the queue is full")
        queue.abandon()
        #expect(released.wait(timeout: .now() + 5) == .success, "let go once abandoned")
    }

    /// A recycled batch is filled again rather than a new one made.
    @Test func recycledBatchesAreReused() {
        let queue = BatchQueue(capacity: 2)
        var made = 0
        let factory = { () -> PacketBatch in
            made += 1
            return PacketBatch(linkType: .ethernet, maxPackets: 4, byteCapacity: 64)
        }
        _ = queue.handOff(batch([[1]]), makeBatch: factory)
        #expect(made == 1)
        guard case .batch(let first) = queue.pop(timeoutNanoseconds: 0) else {
            Issue.record("expected a batch")
            return
        }
        #expect(first.count == 1 && Array(first.packet(at: 0)) == [1])
        queue.recycle(first)
        let next = queue.handOff(batch([[4]]), makeBatch: factory)
        #expect(made == 1 && next === first, "the recycled batch comes back to be filled")
    }

    @Test func popTimesOutThenEnds() {
        let queue = BatchQueue(capacity: 4)
        if case .timedOut = queue.pop(timeoutNanoseconds: 1_000_000) {} else { Issue.record("expected a timeout") }
        _ = queue.handOff(batch([[9]]), makeBatch: { PacketBatch(linkType: .ethernet, maxPackets: 4, byteCapacity: 64) })
        #expect(queue.requestStop())
        #expect(!queue.requestStop(), "asked once")
        queue.finish(error: nil)
        // What was queued before the end is still delivered, then the end.
        if case .batch(let last) = queue.pop(timeoutNanoseconds: 0) { #expect(last.count == 1) } else {
            Issue.record("expected the last batch")
        }
        if case .ended = queue.pop(timeoutNanoseconds: 1_000_000_000) {} else { Issue.record("expected the end") }
    }
}
