import FTPAnalysis
import Glibc
import NetworkTypes
import Reports

/// The outputs on a thread of their own: the analysis thread queues its events (and watermark advances) in
/// batches, and the output thread hands them, in the same order, to the sinks (text summary, timelines, JSON
/// document, HTML report). On control-heavy captures the outputs cost about as much as the analysis, so this
/// third stage of `--threads` (after the reader) lets the two run side by side (docs/threads.md).
///
/// What makes it safe to hand the sinks what the analysis made: every `AnalysisEvent` is a value except a
/// command's record, which the analysis does not write once its event is made (`CommandLog`), and the session at
/// `sessionEnded`, which the analysis no longer changes once it has ended when it keeps no sessions and extracts
/// nothing (see `AnalysisEvent`); `OfflineAnalysis` uses the stage only then. The sinks are touched by the
/// output thread alone between `start()` and `finish()`, and by the caller only before and after (thread creation
/// and `pthread_join` order those accesses) — hence `@unchecked Sendable`. The queue is itself thread-safe.
final class OutputStage: StreamingEventSink, @unchecked Sendable {
    /// Events per hand-over.
    static let batchItems = 128
    /// Hand-overs in flight offline: at most 16 × `batchItems` events wait (≈ 1 MiB on the control-heavy benchmark).
    ///
    /// The output thread works in bursts (a session's whole JSON document when it ends, a watermark's rows), and so
    /// does the analysis (a second's sweep, a session's end). With four hand-overs (512 events, well under a
    /// millisecond of analysis) the analysis thread, the critical path on control-heavy captures, waited for room
    /// 170–220 times a run, 120–160 ms in all of a 1.4 s run, while the output thread itself waited for events
    /// 250–320 ms: the two took turns instead of running side by side. With 16, the analysis waited 3–13 times,
    /// 3–10 ms; peak memory +0.8 MiB (32: the same waits, +1.9 MiB). Figures: Benchmarks/README.md.
    static let depth = 16
    /// Live capture's hand-overs in flight. Live flushes after every captured batch, so each hand-over holds a few
    /// events and four of them were ≈ 1 000 packets of lead: whenever the output thread paused for a few
    /// milliseconds (a write to a slow file, a burst of ended sessions) the analysis waited for it, the capture
    /// queue filled and packets were dropped (1.5 % of the samples looped at 127 k packets/s). At most
    /// 64 × `batchItems` events wait (a few MiB).
    static let liveDepth = 64

    private let sinks: StreamingEventSink
    private let queue: HandOffQueue<OutputBatch>
    private var filling = OutputBatch()
    private var thread: pthread_t?

    /// A stage in front of `sinks`; nothing runs on another thread until `start()`. `wakeAt`: see `HandOffQueue`
    /// (offline runs wake the output thread for two batches at a time; live ones, which flush, for each).
    init(sinks: StreamingEventSink, wakeAt: Int = 1, depth: Int = OutputStage.depth) {
        self.sinks = sinks
        queue = HandOffQueue(capacity: depth, wakeAt: wakeAt)
    }

    /// Starts the output thread. False when no thread could be made (then do not use the stage).
    func start() -> Bool {
        thread = startThread { self.run() }
        return thread != nil
    }

    // MARK: - The analysis thread's side

    func analysis(_ event: AnalysisEvent) { take(event) }

    func take(_ event: consuming AnalysisEvent) {
        filling.append(consume event)
        if filling.count >= OutputStage.batchItems { handOver() }
    }

    func advance(watermark: Timestamp?) {
        filling.append(advance: watermark)
        if filling.count >= OutputStage.batchItems { handOver() }
    }

    /// Live runs flush after each captured batch: what is queued goes to the output thread now, not when a
    /// batch of events has filled, so lines appear as events settle.
    /// It never waits for room: when every hand-over is in flight, what is queued stays in the batch being
    /// filled and goes with the next hand-over (the output thread, behind, has earlier events to write first).
    func flush() {
        // One flush per batch, after its last item: the batch being filled may wait through several captured
        // batches, and one flush then writes what all of them settled.
        filling.flushAfter = true
        guard filling.count > 0, let next = queue.offer(filling, make: OutputBatch.init) else { return }
        filling = next
    }

    /// Hands over what is queued, lets the output thread deliver everything, and waits for it to end. After this
    /// the sinks are the caller's again.
    func finish() {
        handOver()
        queue.finish()
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private func handOver() {
        guard filling.count > 0 else { return }
        // The output thread never abandons the queue, so `put` always returns a batch.
        filling = queue.put(filling, make: OutputBatch.init) ?? OutputBatch()
    }

    // MARK: - The output thread

    private func run() {
        while let batch = queue.take() {
            batch.drain(into: sinks)
            if batch.flushAfter { sinks.flush() }
            batch.flushAfter = false
            queue.recycle(batch)
        }
    }
}

/// Events on their way to the output thread, in reused storage of `OutputStage.batchItems` slots.
///
/// Each event is copied in once and moved out once: an array iterated by `for`
/// copied every event again on the output thread and destroyed both copies (the events carry strings and arrays,
/// so each copy is retains). Items were an enum of an event or an advance, moved out of their slot to be delivered
/// and taken apart: three copies of the event's bytes each (171 k `memcpy` calls on `c01.pcap`), and on the
/// analysis thread an item was made and then copied into its slot.
final class OutputBatch {
    /// The events, in the slots that `advances` says hold one (the others are uninitialised).
    private let events = UnsafeMutablePointer<AnalysisEvent>.allocate(capacity: OutputStage.batchItems)
    /// Per slot: nil when it holds an event, else the watermark of a watermark advance (itself optional).
    private let advances = UnsafeMutablePointer<Timestamp??>.allocate(capacity: OutputStage.batchItems)
    /// Items held, in slots `0..<count`.
    private(set) var count = 0
    /// The sinks flush once this batch's items are delivered (live capture: after every captured batch).
    var flushAfter = false

    init() {}

    deinit {
        for index in 0..<count where advances[index] == nil { (events + index).deinitialize(count: 1) }
        events.deallocate()
        advances.deallocate()
    }

    /// Adds an event; the batch must not be full (`OutputStage` hands it over when it is).
    func append(_ event: consuming AnalysisEvent) {
        precondition(count < OutputStage.batchItems, "output batch overfilled")
        (events + count).initialize(to: consume event)
        advances[count] = nil
        count += 1
    }

    /// Adds a watermark advance; the batch must not be full.
    func append(advance watermark: Timestamp?) {
        precondition(count < OutputStage.batchItems, "output batch overfilled")
        advances[count] = .some(watermark)
        count += 1
    }

    /// Hands every item, in order, to `sinks`, moving each event out; the batch is empty afterwards.
    func drain(into sinks: StreamingEventSink) {
        let held = count
        count = 0
        for index in 0..<held {
            if let watermark = advances[index] {
                sinks.advance(watermark: watermark)
            } else {
                // Moved out, not lent in place: read through the pointer, the event was copied (every string and
                // array in it retained) for the call, in case a sink changed the slot meanwhile.
                sinks.analysis((events + index).move())
            }
        }
    }
}
