import FTPAnalysis
import Glibc
import NetworkTypes
import PacketCapture
import PacketDecoding
import Reports

/// Live capture on analysis workers sharded by host pair (`--threads` 4 and more; docs/threads.md, "Sharded live
/// capture"). The live loop's thread does for each captured batch what the offline `ShardedReader` does for a
/// file: decodes and numbers every packet, asks `ShardRouter` for its worker and appends it to that worker's
/// `DecodedBatch`. `ShardWorker`s analyse their host pairs; `ShardMerger`, on a merge thread of its own, puts their
/// events in the one-thread order, counts them (`TallySink`) and hands them to the outputs (or to output lanes),
/// flushing after every round.
///
/// Where it differs from the offline reader:
/// - A round ends after every captured batch that put packets in it and at every sweep, not when a batch is full:
///   rows must appear as promptly as the one-thread loop's, which flushes after every captured batch. (A batch
///   that fills part-way through a captured batch ends a round there too, as offline.)
/// - Sweeps are by the wall clock (`LiveAnalysis.run` calls `sweep` once a second), marked as ticks in every
///   worker's batch, so every worker sweeps after the same packet.
/// - About every 50 ms after a batch, a watermark tick (no sweep) asks each worker for its watermark, the capture
///   clock standing in when nothing is pending: the merger gives the outputs the earliest, which is the one-thread
///   loop's `pendingWatermark ?? lastTime`. Sweep ticks give one too.
///
/// Why `@unchecked Sendable` is safe: everything but `queues` and `endTime` is touched by the loop's thread alone.
/// The queues are thread-safe; `endTime` is written before the queues finish and read by a worker only once its
/// queue has finished (the queue's lock orders the two). The merge thread touches only the workers' output queues,
/// the tally and the sinks, which the loop's thread reads again only after joining it.
final class LiveShardedPath: LivePacketPath, ShardFeed, @unchecked Sendable {
    let queues: [HandOffQueue<DecodedBatch>]
    private(set) var endTime = Timestamp.zero
    private var router: ShardRouter
    private var batches: [DecodedBatch]
    private let batchPackets: Int
    private let batchBytes: Int
    private let lanes: OutputLanes?
    private let tallySink: TallySink
    private var workers: [ShardWorker] = []
    private var merge: pthread_t?
    private(set) var packets: UInt64 = 0
    private var bytes: UInt64 = 0
    private(set) var firstTime: Timestamp?
    private(set) var lastTime = Timestamp.zero
    /// Packets or ticks in the batches that the workers have not been sent yet.
    private var pending = false

    /// Starts the workers, the output lanes and the merge thread for `threads` (`ShardedAnalysis.plan`: the loop's
    /// thread stands for the reader); nil when a thread could not be started (nothing has been captured yet: the
    /// caller takes the one-thread path). Worker batches are as large as the capture's (`capture.batchPackets`,
    /// `capture.batchBytes`), so a captured batch fits in one round.
    static func start(
        threads: Int, configuration: AnalysisConfiguration, sinks: StreamingEventSink, capture: LiveCaptureOptions
    ) -> LiveShardedPath? {
        let (count, laneThreads) = ShardedAnalysis.plan(threads: threads)
        let lanes = laneThreads > 0 ? OutputLanes(sinks: sinks, threads: laneThreads) : nil
        let outputs = lanes?.front ?? sinks
        let path = LiveShardedPath(
            workers: count, controlPorts: configuration.controlPorts, batchPackets: capture.batchPackets,
            batchBytes: capture.batchBytes, lanes: lanes, tally: TallySink(forwardingTo: outputs))
        let ledger = SessionLedger(workers: count)
        guard let workers = ShardedAnalysis.startWorkers(feed: path, configuration: configuration, ledger: ledger)
        else {
            lanes?.finish()
            return nil
        }
        path.workers = workers
        var merger = ShardMerger(workers: workers, sink: path.tallySink, streaming: outputs, progress: nil)
        merger.flushesEveryRound = true
        guard let thread = startThread({ merger.run() }) else {
            ShardedAnalysis.abandon(workers, feed: path)
            lanes?.finish()
            return nil
        }
        path.merge = thread
        return path
    }

    private init(
        workers: Int, controlPorts: Set<UInt16>, batchPackets: Int, batchBytes: Int, lanes: OutputLanes?,
        tally: TallySink
    ) {
        self.batchPackets = batchPackets
        self.batchBytes = batchBytes
        self.lanes = lanes
        tallySink = tally
        queues = (0..<workers).map { _ in HandOffQueue(capacity: ShardedReader.depth) }
        router = ShardRouter(shards: workers, controlPorts: controlPorts)
        batches = []
        batches = (0..<workers).map { _ in makeBatch() }
    }

    private func makeBatch() -> DecodedBatch {
        DecodedBatch(maxPackets: batchPackets, byteCapacity: batchBytes)
    }

    var tally: LiveTally { tallySink.tally }

    func take(_ batch: PacketBatch, limit: UInt64?) {
        let linkType = batch.linkType
        let decoder = PacketDecoder(linkType: linkType)
        for position in 0..<batch.count {
            if let limit, packets >= limit { break }
            let header = batch.header(at: position)
            let packet = batch.packet(at: position)
            let time = header.time
            if time > lastTime { lastTime = time }
            if firstTime == nil { firstTime = time }
            let decoded = decoder.decode(packet)
            let copy = DecodedBatch.keepsBytes(of: decoded)
            let worker = router.shard(of: decoded, packet: packet, at: time)
            if !batches[worker].isEmpty && !batches[worker].hasRoom(for: copy ? packet.count : 0) { endRound() }
            packets += 1
            bytes += UInt64(header.capturedLength)
            batches[worker].append(
                decoded, bytes: packet, copy: copy, capturedLength: header.capturedLength, time: time,
                linkType: linkType, index: packets)
            pending = true
        }
    }

    func settle(watermarkDue: Bool) {
        if watermarkDue { tick(sweeps: false, at: lastTime) }
        if pending { endRound() }
    }

    func sweep(now: Timestamp) {
        tick(sweeps: true, at: now)
        router.expire(now: now)
        endRound()
    }

    func finish(at time: Timestamp) -> AnalysisTotals {
        if pending { endRound() }
        endTime = time
        for queue in queues { queue.finish() }
        // The workers end their input as the one-thread loop does (`AnalysisSweep.finish`); the merger delivers
        // the last round and the findings of the end, and flushes.
        if let merge { pthread_join(merge, nil) }
        merge = nil
        // Every event is delivered and the lanes' threads have ended: the sinks are the caller's again.
        lanes?.finish()
        for worker in workers { worker.join() }
        return ShardedAnalysis.totals(of: workers, readError: nil)
    }

    /// Marks a sweep or a watermark after the packets so far, in every worker's batch.
    private func tick(sweeps: Bool, at time: Timestamp) {
        for batch in batches {
            batch.ticks.append(
                DecodedBatch.Tick(
                    after: batch.entries.count, index: packets, time: time, packets: packets, bytes: bytes,
                    sweeps: sweeps, idleWatermark: lastTime))
        }
        pending = true
    }

    /// Sends every worker its batch of the round (empty or not: each hears of every tick, and the merger takes
    /// one batch from each per round). Waits while a worker is four rounds behind; meanwhile the capture thread
    /// queues batches, and past its queue waits, the packets held in the kernel's capture buffer.
    private func endRound() {
        for worker in batches.indices {
            batches[worker].lastIndex = packets
            batches[worker].lastBytes = bytes
            // Workers never abandon their queue, so `put` always gives a batch back.
            batches[worker] = queues[worker].put(batches[worker], make: makeBatch) ?? makeBatch()
        }
        pending = false
    }
}
