import NetworkTypes
import Testing

@testable import PacketCapture

/// The hand-over between the capture thread and the analysis thread: batches keep their packets, a full queue drops
/// whole batches (counted) instead of blocking the producer, and the end is seen once everything was taken.
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

    @Test func fullQueueDropsWholeBatchesWithoutWaiting() {
        let queue = BatchQueue(capacity: 2)
        var made = 0
        let factory = { () -> PacketBatch in
            made += 1
            return PacketBatch(linkType: .ethernet, maxPackets: 4, byteCapacity: 64)
        }
        var current = batch([[1]])
        current = queue.handOff(current, makeBatch: factory)
        current = batch([[2], [2]])
        current = queue.handOff(current, makeBatch: factory)
        let third = batch([[3], [3], [3]])
        let back = queue.handOff(third, makeBatch: factory)
        #expect(back === third && back.isEmpty, "dropped and handed back empty")
        #expect(queue.currentStatistics.droppedBatches == 1)
        #expect(queue.currentStatistics.queueDroppedPackets == 3)
        #expect(made == 2)

        guard case .batch(let first) = queue.pop(timeoutNanoseconds: 0) else {
            Issue.record("expected a batch")
            return
        }
        #expect(first.count == 1 && Array(first.packet(at: 0)) == [1])
        queue.recycle(first)
        // The recycled batch is reused rather than a new one made.
        _ = queue.handOff(batch([[4]]), makeBatch: factory)
        #expect(made == 2)
        guard case .batch(let second) = queue.pop(timeoutNanoseconds: 0) else {
            Issue.record("expected a batch")
            return
        }
        #expect(second.count == 2)
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
