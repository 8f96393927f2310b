import FTPAnalysis
import IPReassembly
import NetworkTypes
import PacketCapture
import Reports
import TCPReassembly

/// Offline analysis on analysis workers sharded by host pair (docs/threads.md): a reader thread
/// (`ShardedReader`) numbers, decodes and routes the packets; each worker (`ShardWorker`) analyses its host
/// pairs as the one-thread loop would; this thread merges their events into the one-thread order
/// (`ShardMerger`) and runs the outputs. Session numbers are agreed through a `SessionLedger`. The outputs are
/// the one-thread run's, byte for byte, below the per-worker caps (each worker has the whole
/// `ReassemblyLimits`, `IPReassemblyLimits` and `AnalysisConfiguration.maxSessions`).
enum ShardedAnalysis {
    /// `--threads` from which the analysis is sharded: the reader, two workers, and this thread.
    static let minimumThreads = 4

    /// How `threads` are spent: the reader, this thread (the merge, and the outputs when no lane has a thread of
    /// its own), half the rest (at least two) on workers, the others on output lanes (`OutputLanes`). The outputs
    /// cost about as much as the analysis on control-heavy traffic (docs/threads.md), so both grow together.
    static func plan(threads: Int) -> (workers: Int, lanes: Int) {
        let spare = max(0, threads - 2)
        let workers = max(2, (spare + 1) / 2)
        return (workers, max(0, spare - workers))
    }

    /// Runs the analysis with `threads` threads (`plan`); nil when a thread could not be started (nothing has been
    /// read then: the caller runs the analysis its other way).
    static func run(
        captures: CaptureSet, configuration: AnalysisConfiguration, sinks: StreamingEventSink,
        progress: ((UInt64, UInt64) -> Void)?, threads: Int
    ) -> AnalysisTotals? {
        let (count, laneThreads) = plan(threads: threads)
        let reader = ShardedReader(
            captures: captures, workers: count, controlPorts: configuration.controlPorts)
        let ledger = SessionLedger(workers: count)
        guard let workers = startWorkers(feed: reader, configuration: configuration, ledger: ledger) else { return nil }
        guard reader.start() else {
            abandon(workers, feed: reader)
            return nil
        }
        let lanes = laneThreads > 0 ? OutputLanes(sinks: sinks, threads: laneThreads) : nil
        let outputs = lanes?.front ?? sinks
        ShardMerger(workers: workers, sink: outputs, streaming: outputs, progress: progress).run()
        // Every event is delivered and the lanes' threads have ended: the sinks are this thread's again.
        lanes?.finish()
        reader.join()
        for worker in workers { worker.join() }
        return totals(of: workers, readError: reader.failure)
    }

    /// A started worker for each of `feed`'s queues; nil when a thread could not be made (then the ones started
    /// have ended, and `feed`'s queues are finished: nothing may be fed).
    static func startWorkers(
        feed: ShardFeed, configuration: AnalysisConfiguration, ledger: SessionLedger
    ) -> [ShardWorker]? {
        let workers = feed.queues.indices.map {
            ShardWorker(worker: $0, configuration: configuration, feed: feed, ledger: ledger)
        }
        var started: [ShardWorker] = []
        for worker in workers {
            guard worker.start() else {
                abandon(started, feed: feed)
                return nil
            }
            started.append(worker)
        }
        return workers
    }

    /// Ends workers that were fed nothing: they end on their finished queues; what they hand over is drained.
    static func abandon(_ workers: [ShardWorker], feed: ShardFeed) {
        for queue in feed.queues { queue.finish() }
        for worker in workers {
            while let batch = worker.output.take() { worker.output.recycle(batch) }
            worker.join()
        }
    }

    /// The counters of every worker, summed (their threads have ended).
    static func totals(of workers: [ShardWorker], readError: CaptureError?) -> AnalysisTotals {
        var totals = AnalysisTotals(
            packetStats: PacketStats(), analysisStats: AnalysisStats(), reassembly: ReassemblyCounters(),
            ip: IPReassemblyCounters(), maxConnections: workers[0].reassembler.limits.maxConnections,
            ipLimits: workers[0].fragments.limits, sessions: [], findings: [], readError: readError)
        for worker in workers {
            totals.packetStats.add(worker.packetStats)
            totals.analysisStats.add(worker.analyzer.stats)
            totals.reassembly.add(worker.reassembler.counters)
            totals.ip.add(worker.fragments.counters)
        }
        return totals
    }
}

extension PacketStats {
    mutating func add(_ other: PacketStats) {
        packets += other.packets
        bytes += other.bytes
        tcpSegments += other.tcpSegments
        fragments += other.fragments
        otherPackets += other.otherPackets
        decodeErrors += other.decodeErrors
        icmpUnreachable += other.icmpUnreachable
    }
}

extension AnalysisStats {
    mutating func add(_ other: AnalysisStats) {
        tcpConnections += other.tcpConnections
        ftpSessions += other.ftpSessions
        dataConnections += other.dataConnections
        nonFTPControlConnections += other.nonFTPControlConnections
        sessionsFoundByContent += other.sessionsFoundByContent
        droppedExpectations += other.droppedExpectations
        droppedPendingCommands += other.droppedPendingCommands
        droppedSessions += other.droppedSessions
        droppedTransfers += other.droppedTransfers
    }
}

extension ReassemblyCounters {
    /// Sums another worker's counters; the buffered-bytes peak is the sum of the workers' peaks (at most that).
    mutating func add(_ other: ReassemblyCounters) {
        segments += other.segments
        connectionsSeen += other.connectionsSeen
        connectionsClosed += other.connectionsClosed
        connectionsExpired += other.connectionsExpired
        connectionsEvicted += other.connectionsEvicted
        portReuses += other.portReuses
        lateSegments += other.lateSegments
        gaps += other.gaps
        gapBytes += other.gapBytes
        retransmittedBytes += other.retransmittedBytes
        inconsistentOverlaps += other.inconsistentOverlaps
        dataAfterFIN += other.dataAfterFIN
        outOfOrderSegments += other.outOfOrderSegments
        bufferedBytes += other.bufferedBytes
        bufferedBytesPeak += other.bufferedBytesPeak
        capHits += other.capHits
        sequenceJumps += other.sequenceJumps
    }
}

extension IPReassemblyCounters {
    mutating func add(_ other: IPReassemblyCounters) {
        fragments += other.fragments
        datagramsReassembled += other.datagramsReassembled
        duplicates += other.duplicates
        overlapping += other.overlapping
        conflicting += other.conflicting
        tiny += other.tiny
        droppedOverlap += other.droppedOverlap
        droppedTimeout += other.droppedTimeout
        droppedCapacity += other.droppedCapacity
        droppedMalformed += other.droppedMalformed
        datagramsDropped += other.datagramsDropped
    }
}
