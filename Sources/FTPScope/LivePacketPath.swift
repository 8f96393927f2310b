import FTPAnalysis
import IPReassembly
import NetworkTypes
import PacketCapture
import PacketDecoding
import Reports
import TCPReassembly

/// Where the live loop (`LiveAnalysis.run`) puts what it captures: one analysis on the loop's own thread
/// (`LiveSerialPath`), or workers sharded by host pair (`LiveShardedPath`, `--threads` 4 and more). The loop keeps
/// the clocks and the stop logic (signals, `--duration`, `--count`, stop requests, capture failure) and tells the
/// path when a batch came, when to give the outputs a watermark and when to sweep; the path does the analysis.
protocol LivePacketPath: AnyObject {
    /// Packets taken so far (what `--count` bounds).
    var packets: UInt64 { get }
    /// The first and the latest packet time taken (zero before any).
    var firstTime: Timestamp? { get }
    var lastTime: Timestamp { get }

    /// Analyses the batch's packets, stopping once `limit` packets have been taken in all.
    func take(_ batch: PacketBatch, limit: UInt64?)
    /// After a captured batch: makes what settled reach the outputs, and when `watermarkDue` (every ≈ 50 ms) tells
    /// them how far time has got.
    func settle(watermarkDue: Bool)
    /// The once-a-second sweep, by the wall clock (`now` is never before the last packet).
    func sweep(now: Timestamp)
    /// The end: closes everything open as of `time` (sessions end as `capture_end`), lets the outputs take every
    /// event, and returns what was counted. After this the sinks are the caller's again.
    func finish(at time: Timestamp) -> AnalysisTotals
    /// What was streamed (valid after `finish`).
    var tally: LiveTally { get }
}

/// The one-thread live path: the very per-packet step of `OfflineAnalysis`, on the live loop's thread, with the
/// streamed outputs on a thread of their own when `outputThread` (`OutputStage`).
final class LiveSerialPath: LivePacketPath {
    private let analyzer: FTPAnalyzer
    private let reassembler: TCPReassembler<FTPAnalyzer>
    private let fragments = IPReassembler()
    private let stage: OutputStage?
    private let outputs: AnalysisEventSink?
    private let tallySink: TallySink
    private var packetStats = PacketStats()
    private(set) var firstTime: Timestamp?
    private(set) var lastTime = Timestamp.zero

    init(configuration: AnalysisConfiguration, eventSink: AnalysisEventSink?, outputThread: Bool) {
        // The outputs on a thread of their own when what they are handed is final (no retained sessions; live
        // runs extract nothing): the analysis thread keeps up with more packets (see `OutputStage`).
        var stage: OutputStage?
        if outputThread, !configuration.retainSessions, let sinks = eventSink as? StreamingEventSink {
            let candidate = OutputStage(sinks: sinks, depth: OutputStage.liveDepth)
            if candidate.start() { stage = candidate }
        }
        self.stage = stage
        outputs = stage ?? eventSink
        tallySink = TallySink(forwardingTo: outputs)
        analyzer = FTPAnalyzer(configuration: configuration)
        analyzer.eventSink = tallySink
        reassembler = TCPReassembler(delegate: analyzer)
    }

    var packets: UInt64 { packetStats.packets }
    var tally: LiveTally { tallySink.tally }

    func take(_ batch: PacketBatch, limit: UInt64?) {
        let decoder = PacketDecoder(linkType: batch.linkType)
        for index in 0..<batch.count {
            if let limit, packetStats.packets >= limit { break }
            let header = batch.header(at: index)
            let time = header.time
            if time > lastTime { lastTime = time }
            if firstTime == nil { firstTime = time }
            packetStats.dispatch(
                batch.packet(at: index), capturedLength: header.capturedLength, decoder: decoder, at: time,
                fragments: fragments, reassembler: reassembler, analyzer: analyzer)
        }
    }

    func settle(watermarkDue: Bool) {
        // Live outputs write what has settled after every batch, so rows appear as events complete. The watermark
        // (a walk over every open session) is worked out at most every 50 ms: per batch it cost more than the
        // batch's packets when thousands of sessions were open.
        guard let streaming = outputs as? StreamingEventSink else { return }
        if watermarkDue { streaming.advance(watermark: analyzer.pendingWatermark ?? lastTime) }
        streaming.flush()
    }

    func sweep(now: Timestamp) {
        AnalysisSweep.sweep(
            after: packetStats.packets, now: now, dating: lastTime, fragments: fragments, reassembler: reassembler,
            analyzer: analyzer)
        // What the sweep settled (idle connections closed, data channels whose time is up, guessing runs gone
        // quiet) is written now: on a quiet link no batch follows to do it (the sharded path ends a round here).
        settle(watermarkDue: true)
    }

    func finish(at time: Timestamp) -> AnalysisTotals {
        AnalysisSweep.finish(at: time, fragments: fragments, reassembler: reassembler, analyzer: analyzer)
        // Every event is delivered and the output thread has ended: the sinks are this thread's again.
        stage?.finish()
        return AnalysisTotals(
            packetStats: packetStats, analysisStats: analyzer.stats, reassembly: reassembler.counters,
            ip: fragments.counters, maxConnections: reassembler.limits.maxConnections, ipLimits: fragments.limits,
            sessions: analyzer.sessions, findings: analyzer.findings, readError: nil)
    }
}
