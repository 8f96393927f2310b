import FTPAnalysis
import Glibc
import NetworkTypes
import PacketCapture
import Reports

/// How a live analysis runs and when it ends.
public struct LiveAnalysisOptions: Sendable {
    /// The capture: interface, filter, snapshot length, buffer size.
    public var capture: LiveCaptureOptions
    /// Stop after this many seconds (`--duration`).
    public var duration: Double?
    /// Stop after this many packets (`--count`).
    public var count: UInt64?
    /// How often idle connections are expired, by the wall clock, in nanoseconds.
    public var sweepInterval: Int64 = 1_000_000_000
    /// End cleanly on SIGINT/SIGTERM (a second one exits at once). Off for embedding (tests), which stop the
    /// capture through the stop handle given to `onStart`.
    public var handleSignals = true
    /// `--threads`: from 2 the streamed outputs are written on a thread of their own (`OutputStage`); from
    /// `ShardedAnalysis.minimumThreads` the analysis is sharded by host pair over worker threads (`LiveShardedPath`)
    /// when the outputs are streamed (no retained sessions). The capture always runs on a thread of its own.
    public var threads = 2

    /// Options for a capture, with no bound.
    public init(capture: LiveCaptureOptions) {
        self.capture = capture
    }

    /// Options for capturing on `interface` with the default capture settings, with no bound.
    public init(interface: String) {
        self.init(capture: LiveCaptureOptions(interface: interface))
    }
}

/// Why a live analysis ended.
public enum LiveStopReason: Sendable, Hashable, CustomStringConvertible {
    /// SIGINT or SIGTERM (the signal number).
    case signal(Int32)
    /// `--duration` elapsed.
    case duration
    /// `--count` packets were analysed.
    case count
    /// `stop()` on the stop handle.
    case requested
    /// libpcap failed part-way (the interface went away); the message is in `LiveAnalysisResult.failure`.
    case captureFailed

    /// `SIGINT`, `--duration`, …
    public var description: String {
        switch self {
        case .signal(let number): return number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)"
        case .duration: return "--duration"
        case .count: return "--count"
        case .requested: return "request"
        case .captureFailed: return "capture failure"
        }
    }
}

/// Counts of what was streamed, for the final summary: kept by `LiveAnalysis` whatever the outputs.
public struct LiveTally: Sendable {
    /// Sessions recognised.
    public var sessionsStarted = 0
    /// Sessions ended, by how they ended.
    public var sessionsEnded: [SessionEnd: Int] = [:]
    /// Commands delivered.
    public var commands = 0
    /// Data channels settled, by outcome.
    public var transfers: [DataStatus: Int] = [:]
    /// Findings, by severity.
    public var findings: [Severity: Int] = [:]

    /// Nothing yet.
    public init() {}
}

/// The outcome of a live analysis: the analysis (sessions only when retained), libpcap's and the hand-over's
/// counters, and why it stopped.
public struct LiveAnalysisResult {
    /// The analysis, as for captures (one input: the interface).
    public var analysis: AnalysisResult
    /// The interface.
    public var interface: String
    /// Its link type.
    public var linkType: LinkType
    /// The BPF expression in force.
    public var filter: String
    /// libpcap's counters (received, dropped) and ftpscope's (captured, dropped between threads).
    public var capture: LiveCaptureStatistics
    /// Why it stopped.
    public var stopReason: LiveStopReason
    /// The error that ended the capture early, if any.
    public var failure: CaptureError?
    /// Seconds the capture ran.
    public var elapsedSeconds: Double
    /// What was streamed.
    public var tally: LiveTally

    /// The analysis counters followed by the live capture's.
    public var stats: [(String, UInt64)] {
        analysis.stats + [
            ("pcap_received", capture.received),
            ("pcap_dropped", capture.dropped),
            ("pcap_interface_dropped", capture.interfaceDropped),
            ("capture_waits", capture.waits),
            ("capture_wait_ms", capture.waitedNanoseconds / 1_000_000),
        ]
    }

    /// The input of a whole-document report (`--format json`).
    public func reportInput(showPasswords: Bool) -> ReportInput {
        ReportInput(
            version: ftpscopeVersion, inputs: analysis.inputs, stats: stats, sessions: analysis.sessions,
            findings: analysis.findings, passwords: PasswordPolicy(showPasswords: showPasswords))
    }
}

/// Live analysis: a `LiveCapture` on its own thread feeds batches to the same pipeline as `OfflineAnalysis`
/// (decoder → reassembler → FTP analysis), run on the caller's thread (`LiveSerialPath`) or, with `threads` 4 and
/// more, sharded by host pair over worker threads (`LiveShardedPath`); events stream to `eventSink` as they settle.
public enum LiveAnalysis {
    /// Captures on `options.capture.interface` and analyses until a signal, `duration`, `count`, a stop request or
    /// a capture failure; then closes what is open (sessions end as `capture_end`) and returns.
    ///
    /// Idle connections are expired once a second by the wall clock, so memory stays flat on a long run when
    /// `configuration.retainSessions` is false. `onStart` is called once the capture is active, on the caller's
    /// thread, with the capture (its `stopHandle` stops it from any thread).
    /// Throws only when the capture can't start (no such interface, no permission, invalid filter).
    public static func run(
        options: LiveAnalysisOptions, configuration: AnalysisConfiguration = AnalysisConfiguration(),
        eventSink: AnalysisEventSink? = nil, onStart: ((LiveCapture) -> Void)? = nil
    ) throws(CaptureError) -> LiveAnalysisResult {
        let capture = try LiveCapture(options: options.capture)
        // Workers sharded by host pair when the outputs stream what they are handed, as offline: a run that keeps
        // its sessions (`--format json` writes them at the end) would find them spread over the workers.
        var sharded: LiveShardedPath?
        if options.threads >= ShardedAnalysis.minimumThreads, !configuration.retainSessions,
            let sinks = eventSink as? StreamingEventSink
        {
            sharded = LiveShardedPath.start(
                threads: options.threads, configuration: configuration, sinks: sinks, capture: options.capture)
        }
        let path: LivePacketPath =
            sharded
            ?? LiveSerialPath(configuration: configuration, eventSink: eventSink, outputThread: options.threads > 1)

        let signals = options.handleSignals ? StopSignals.install() : nil
        defer { signals?.restore() }
        let started = monotonicClock()
        let deadline = options.duration.map { started + Int64(($0 * 1e9).rounded()) }
        capture.start()
        onStart?(capture)

        var stopReason: LiveStopReason?
        func stop(_ reason: LiveStopReason) {
            guard stopReason == nil else { return }
            stopReason = reason
            capture.stop()
        }
        let limit = options.count
        var nextSweep = started + options.sweepInterval
        var nextWatermark = started
        loop: while true {
            // Wake at least every 100 ms to notice signals and the deadline promptly.
            let wait = capture.nextBatch(timeoutNanoseconds: 100_000_000)
            switch wait {
            case .batch(let batch):
                if stopReason != .count {
                    path.take(batch, limit: limit)
                    if let limit, path.packets >= limit { stop(.count) }
                }
                capture.recycle(batch)
                let now = monotonicClock()
                let watermarkDue = now >= nextWatermark
                if watermarkDue { nextWatermark = now + 50_000_000 }
                path.settle(watermarkDue: watermarkDue)
            case .timedOut:
                break
            case .ended:
                break loop
            }
            let now = monotonicClock()
            if let signals, let number = signals.received { stop(.signal(number)) }
            if let deadline, now >= deadline { stop(.duration) }
            if now >= nextSweep {
                nextSweep = now + options.sweepInterval
                // Wall-clock time, not packet time: a quiet link must still expire what went idle.
                let wall = Timestamp.now
                path.sweep(now: wall > path.lastTime ? wall : path.lastTime)
            }
        }
        let failure = capture.failure
        if failure != nil && stopReason == nil { stopReason = .captureFailed }
        let lastTime = path.lastTime
        let totals = path.finish(at: lastTime > .zero ? lastTime : Timestamp.now)

        let statistics = capture.statistics
        var warnings: [String] = []
        if let failure { warnings.append("\(capture.interface): \(failure.message)") }
        let input = InputDescription(
            path: capture.interface, format: "live", linkType: capture.linkType.description,
            packets: totals.packetStats.packets, bytes: totals.packetStats.bytes, firstTime: path.firstTime,
            lastTime: lastTime > .zero ? lastTime : nil, truncated: false, warning: failure?.message)
        let analysis = AnalysisResult(
            inputs: [input], packetStats: totals.packetStats, analysisStats: totals.analysisStats,
            reassemblyCounters: totals.reassembly, ipCounters: totals.ip, sessions: totals.sessions,
            findings: totals.findings, warnings: warnings)
        return LiveAnalysisResult(
            analysis: analysis, interface: capture.interface, linkType: capture.linkType,
            filter: capture.filterExpression, capture: statistics, stopReason: stopReason ?? .requested,
            failure: failure, elapsedSeconds: Double(monotonicClock() - started) / 1e9, tally: path.tally)
    }

    static func monotonicClock() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}

extension Timestamp {
    /// The wall clock (CLOCK_REALTIME), as libpcap stamps packets.
    static var now: Timestamp {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp(seconds: Int64(now.tv_sec), nanoseconds: Int64(now.tv_nsec))
    }
}

/// Counts events for the summary and passes them on.
final class TallySink: AnalysisEventSink {
    private(set) var tally = LiveTally()
    private let next: AnalysisEventSink?

    init(forwardingTo next: AnalysisEventSink?) {
        self.next = next
    }

    func analysis(_ event: AnalysisEvent) {
        count(event)
        next?.analysis(event)
    }

    func take(_ event: consuming AnalysisEvent) {
        count(event)
        next?.take(consume event)
    }

    private func count(_ event: borrowing AnalysisEvent) {
        switch event {
        case .sessionStarted: tally.sessionsStarted += 1
        case .sessionEnded(let session): tally.sessionsEnded[session.endState, default: 0] += 1
        case .command: tally.commands += 1
        case .transfer(_, let transfer): tally.transfers[transfer.status, default: 0] += 1
        case .finding(let finding): tally.findings[finding.severity, default: 0] += 1
        case .reply, .tlsStarted, .gap: break
        }
    }
}
