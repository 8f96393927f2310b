import FTPAnalysis
import Glibc
import IPReassembly
import NetworkTypes
import PacketDecoding
import TCPReassembly

/// What one worker settled in one round, each event with its place in the one-thread order.
final class ShardEvents {
    enum Item {
        case event(AnalysisEvent)
        /// The worker's watermark after a sweep (its earliest pending time), with the capture's progress then.
        case watermark(Timestamp?, packets: UInt64, bytes: UInt64)
    }

    private(set) var keys: [OrderKey] = []
    private(set) var items: [Item] = []

    func append(_ key: OrderKey, _ item: consuming Item) {
        keys.append(key)
        items.append(item)
    }

    /// Hands the item at `position` over, leaving a placeholder (the batch is reset after the merge).
    func take(_ position: Int) -> Item {
        var item = Item.watermark(nil, packets: 0, bytes: 0)
        swap(&item, &items[position])
        return item
    }

    func reset() {
        keys.removeAll(keepingCapacity: true)
        items.removeAll(keepingCapacity: true)
    }
}

/// Records the analyzer's events with the key it stands at (`FTPAnalyzer.order`).
final class ShardEventLog: AnalysisEventSink {
    unowned(unsafe) var analyzer: FTPAnalyzer?
    var batch = ShardEvents()

    func analysis(_ event: AnalysisEvent) { batch.append(analyzer!.order, .event(event)) }
    func take(_ event: consuming AnalysisEvent) { batch.append(analyzer!.order, .event(event)) }
}

/// What feeds the workers of a sharded analysis: the offline reader (`ShardedReader`) or the live capture's loop
/// (`LiveShardedPath`). Each worker takes its rounds from `queues[worker]`; once that queue has finished, `endTime`
/// is where the input ended (the feeder sets it before it finishes the queues, whose lock orders that write before
/// the worker's read).
protocol ShardFeed: AnyObject, Sendable {
    var queues: [HandOffQueue<DecodedBatch>] { get }
    var endTime: Timestamp { get }
}

/// One analysis worker: its own IP reassembly, TCP reassembly and FTP analysis over the packets of its host pairs,
/// doing per packet and per sweep what `OfflineAnalysis`'s one-thread loop does, and recording the events.
final class ShardWorker: @unchecked Sendable {
    let worker: Int
    let output = HandOffQueue<ShardEvents>(capacity: ShardedReader.depth)
    let analyzer: FTPAnalyzer
    let reassembler: TCPReassembler<FTPAnalyzer>
    let fragments = IPReassembler()
    private(set) var packetStats = PacketStats()
    private let log = ShardEventLog()
    private let input: HandOffQueue<DecodedBatch>
    private let ledger: SessionLedger
    private let feed: ShardFeed
    private var thread: pthread_t?

    init(worker: Int, configuration: AnalysisConfiguration, feed: ShardFeed, ledger: SessionLedger) {
        self.worker = worker
        self.feed = feed
        self.ledger = ledger
        input = feed.queues[worker]
        analyzer = FTPAnalyzer(configuration: configuration)
        reassembler = TCPReassembler(delegate: analyzer)
        analyzer.numbering = WorkerNumbering(ledger: ledger, worker: worker)
        log.analyzer = analyzer
        analyzer.eventSink = log
    }

    func start() -> Bool {
        thread = startThread { self.run() }
        return thread != nil
    }

    func join() {
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private func run() {
        while let batch = input.take() {
            var tick = 0
            let ticks = batch.ticks
            for (position, entry) in batch.entries.enumerated() {
                while tick < ticks.count && ticks[tick].after <= position {
                    sweep(ticks[tick])
                    tick += 1
                }
                analyzer.order = .packet(entry.index)
                reassembler.nextSerial = entry.index
                packetStats.dispatch(
                    entry.decoded, packet: batch.bytes(of: entry), capturedLength: entry.capturedLength,
                    decoder: PacketDecoder(linkType: entry.linkType), at: entry.time, fragments: fragments,
                    reassembler: reassembler, analyzer: analyzer)
            }
            while tick < ticks.count {
                sweep(ticks[tick])
                tick += 1
            }
            let next = OrderKey.packet(batch.lastIndex + 1)
            batch.reset()
            input.recycle(batch)
            ledger.advance(worker, to: next)
            guard deliver() else { return }
        }
        // End of input, as the one-thread loop ends it.
        AnalysisSweep.finish(at: feed.endTime, fragments: fragments, reassembler: reassembler, analyzer: analyzer)
        ledger.advance(worker, to: SessionLedger.end)
        _ = deliver()
        output.finish()
    }

    /// The sweep the one-thread loop makes after packet `tick.index` (unless the tick is a live watermark alone),
    /// and the watermark it then gives.
    private func sweep(_ tick: DecodedBatch.Tick) {
        if tick.sweeps {
            // Live, findings the sweep reports are dated at the latest packet, as the one-thread live loop dates them.
            AnalysisSweep.sweep(
                after: tick.index, now: tick.time, dating: tick.idleWatermark, fragments: fragments,
                reassembler: reassembler, analyzer: analyzer)
        }
        log.batch.append(
            OrderKey(index: tick.index, phase: .watermark),
            .watermark(analyzer.pendingWatermark ?? tick.idleWatermark, packets: tick.packets, bytes: tick.bytes))
    }

    /// Hands the round's events to the merger; false when it stopped taking them.
    private func deliver() -> Bool {
        guard let next = output.put(log.batch, make: { ShardEvents() }) else { return false }
        log.batch = next
        return true
    }
}
