import FTPAnalysis
import Glibc
import NetworkTypes
import Reports
import Testing

@testable import FTPScope

/// Live capture's output stage must never make the analysis wait for a slow output: when every hand-over is in
/// flight, `flush` keeps what is queued for the next one instead of waiting for room (a wait there filled the
/// capture queue and dropped packets). Nothing is lost or reordered on the way.
@Suite struct LiveOutputStageTests {
    final class Box {
        var value = -1
        init(_ value: Int = -1) { self.value = value }
    }

    @Test func offerQueuesOnlyWhenThereIsRoomAndKeepsOrder() {
        let queue = HandOffQueue<Box>(capacity: 2)
        var made = 0
        let make = { made += 1; return Box() }
        #expect(queue.offer(Box(1), make: make) != nil)
        #expect(queue.offer(Box(2), make: make) != nil)
        let third = Box(3)
        #expect(queue.offer(third, make: make) == nil, "a full queue takes nothing and hands nothing back")
        #expect(made == 2)
        #expect(queue.take()?.value == 1)
        #expect(queue.offer(third, make: make) != nil, "room again after a take")
        #expect(queue.take()?.value == 2)
        #expect(queue.take()?.value == 3)
        queue.abandon()
        #expect(queue.offer(Box(4), make: make) == nil, "nothing is queued for a consumer that has gone")
    }

    /// A sink whose first flush blocks until the test releases it (or ten seconds pass: then `timedOut` tells that
    /// the caller was stuck waiting for the output thread, which is the failure this suite guards against).
    final class StalledSink: StreamingEventSink, @unchecked Sendable {
        private var mutex = pthread_mutex_t()
        private var released = pthread_cond_t()
        private var isReleased = false
        // Written on the output thread only; read after `OutputStage.finish` joined it.
        var watermarks: [Timestamp?] = []
        var flushes = 0
        var timedOut = false

        init() {
            pthread_mutex_init(&mutex, nil)
            pthread_cond_init(&released, nil)
        }

        func analysis(_ event: AnalysisEvent) {}
        func advance(watermark: Timestamp?) { watermarks.append(watermark) }

        func flush() {
            flushes += 1
            pthread_mutex_lock(&mutex)
            var deadline = timespec()
            clock_gettime(CLOCK_REALTIME, &deadline)
            deadline.tv_sec += 10
            while !isReleased {
                if pthread_cond_timedwait(&released, &mutex, &deadline) == ETIMEDOUT {
                    timedOut = true
                    break
                }
            }
            pthread_mutex_unlock(&mutex)
        }

        func release() {
            pthread_mutex_lock(&mutex)
            isReleased = true
            pthread_cond_broadcast(&released)
            pthread_mutex_unlock(&mutex)
        }
    }

    @Test func flushNeverWaitsForAStalledOutputThread() {
        let sink = StalledSink()
        let stage = OutputStage(sinks: sink, depth: 2)
        #expect(stage.start())
        // Each round is one watermark and one flush: the first hand-over stalls the output thread in the sink's
        // flush, the next two fill the queue, and the rest must pile up in the batch being filled (50 rounds stay
        // below a batch's 128 items, where a hand-over has to wait for room).
        let rounds = 50
        for round in 1...rounds {
            stage.advance(watermark: Timestamp(seconds: Int64(round), nanoseconds: 0))
            stage.flush()
        }
        sink.release()
        stage.finish()
        #expect(!sink.timedOut, "flush waited for the stalled output thread")
        #expect(sink.watermarks == (1...rounds).map { Timestamp(seconds: Int64($0), nanoseconds: 0) })
        // One flush per hand-over, not one per round: the rounds that piled up share their batch's flush.
        #expect(sink.flushes >= 2 && sink.flushes < rounds, "\(sink.flushes) flushes for \(rounds) rounds")
    }
}
