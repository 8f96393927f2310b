import FTPAnalysis
import IPReassembly
import NetworkTypes
import PacketCapture
import PacketDecoding
import Reports
import TCPReassembly

/// ftpscope's version, printed by `--version` and written into the JSON document.
public let ftpscopeVersion = "0.1.0"

/// Counters of the packet path.
public struct PacketStats: Sendable {
    /// Packets read.
    public var packets: UInt64 = 0
    /// Captured bytes read.
    public var bytes: UInt64 = 0
    /// TCP segments decoded.
    public var tcpSegments: UInt64 = 0
    /// IP fragments (handed to IP reassembly).
    public var fragments: UInt64 = 0
    /// Packets that are not TCP/IP.
    public var otherPackets: UInt64 = 0
    /// Malformed packets.
    public var decodeErrors: UInt64 = 0
    /// ICMP destination-unreachable messages quoting TCP.
    public var icmpUnreachable: UInt64 = 0
}

/// The result of analysing captures: what the reports need.
public struct AnalysisResult {
    /// The captures read.
    public var inputs: [InputDescription]
    /// Packet-path counters.
    public var packetStats: PacketStats
    /// Analysis counters.
    public var analysisStats: AnalysisStats
    /// Reassembly counters.
    public var reassemblyCounters: ReassemblyCounters
    /// IP reassembly counters.
    public var ipCounters = IPReassemblyCounters()
    /// Settled sessions.
    public var sessions: [FTPSession]
    /// Findings.
    public var findings: [Finding]
    /// Warnings to print (truncated captures, …).
    public var warnings: [String]

    /// Counters in the JSON document's order.
    public var stats: [(String, UInt64)] {
        [
            ("packets", packetStats.packets),
            ("bytes", packetStats.bytes),
            ("tcp_connections", analysisStats.tcpConnections),
            ("ftp_sessions", analysisStats.ftpSessions),
            ("data_connections", analysisStats.dataConnections),
            ("decode_errors", packetStats.decodeErrors),
            ("tcp_segments", packetStats.tcpSegments),
            ("ip_fragments", packetStats.fragments),
            ("non_tcp_packets", packetStats.otherPackets),
            ("icmp_unreachable", packetStats.icmpUnreachable),
            ("non_ftp_control_connections", analysisStats.nonFTPControlConnections),
            ("sessions_found_by_content", analysisStats.sessionsFoundByContent),
            ("dropped_expectations", analysisStats.droppedExpectations),
            ("dropped_pending_commands", analysisStats.droppedPendingCommands),
            ("tcp_inconsistent_retransmissions", reassemblyCounters.inconsistentOverlaps),
            ("tcp_data_after_fin", reassemblyCounters.dataAfterFIN),
            ("ip_datagrams_reassembled", ipCounters.datagramsReassembled),
            ("ip_datagrams_dropped", ipCounters.datagramsDropped),
            ("ip_fragments_duplicate", ipCounters.duplicates),
            ("ip_fragments_overlapping", ipCounters.overlapping),
            ("ip_fragments_conflicting", ipCounters.conflicting),
            ("ip_fragments_tiny", ipCounters.tiny),
            ("ip_fragments_dropped_overlap", ipCounters.droppedOverlap),
            ("ip_fragments_dropped_timeout", ipCounters.droppedTimeout),
            ("ip_fragments_dropped_capacity", ipCounters.droppedCapacity),
            ("ip_fragments_dropped_malformed", ipCounters.droppedMalformed),
        ]
    }

    /// The input of a report.
    public func reportInput(showPasswords: Bool) -> ReportInput {
        ReportInput(
            version: ftpscopeVersion, inputs: inputs, stats: stats, sessions: sessions, findings: findings,
            passwords: PasswordPolicy(showPasswords: showPasswords))
    }
}

/// Offline analysis: captures → decoder → reassembler → FTP analysis, as one synchronous loop, or with the reading and
/// decoding on a thread of its own (`threads`).
public enum OfflineAnalysis {
    /// Reads every capture (in time order, as one stream) and analyses it. `eventSink` receives events as they
    /// settle (streaming outputs); `dataSink`, when given, receives the payload of data connections (file
    /// extraction: see `Extraction`), which makes the analysis reassemble them. When the event sink is a
    /// `StreamingEventSink` it is also told, once per second of capture time, the analyzer's watermark
    /// (`advance(watermark:)`), so time-ordered outputs can write what has settled. `progress` is called about once per second of capture time and every 65 536 packets with packets
    /// and bytes read so far.
    /// `threads` above 1 reads and decodes on a reader thread while this thread analyses (`AnalysisThreads`); the
    /// result is the same for every value.
    /// Throws only when a capture cannot be opened; damage inside a capture becomes a warning.
    public static func run(
        paths: [String], configuration: AnalysisConfiguration = AnalysisConfiguration(), filter: String? = nil,
        eventSink: AnalysisEventSink? = nil, dataSink: DataChannelSink? = nil,
        progress: ((UInt64, UInt64) -> Void)? = nil, threads: Int = 1
    ) throws(CaptureError) -> AnalysisResult {
        let captures = try CaptureSet(paths: paths)
        if let filter, !filter.isEmpty { try captures.setFilter(filter) }
        // Enough threads for workers: the analysis sharded by host pair (ShardedAnalysis.swift), when what the
        // outputs are handed is final (as for the output thread below).
        if threads >= ShardedAnalysis.minimumThreads, !configuration.retainSessions, dataSink == nil,
            let sinks = eventSink as? StreamingEventSink,
            let totals = ShardedAnalysis.run(
                captures: captures, configuration: configuration, sinks: sinks, progress: progress, threads: threads)
        {
            return result(captures: captures, configuration: configuration, totals: totals)
        }
        let analyzer = FTPAnalyzer(configuration: configuration)
        // With threads to spare, the outputs run on a thread of their own, when what they are handed is final
        // (no retained sessions, no extraction: see `OutputStage`).
        // Two threads: the reader and one output thread; each thread more goes to another independent output.
        var lanes: OutputLanes?
        if threads > 1, !configuration.retainSessions, dataSink == nil, let sinks = eventSink as? StreamingEventSink {
            lanes = OutputLanes(sinks: sinks, threads: threads - 1, wakeAt: 2)
        }
        analyzer.eventSink = lanes?.front ?? eventSink
        analyzer.dataSink = dataSink
        let streaming = lanes?.front ?? (eventSink as? StreamingEventSink)
        let reassembler = TCPReassembler(delegate: analyzer)
        let fragments = IPReassembler()
        var packetStats = PacketStats()
        var lastTime = Timestamp.zero
        var nextExpiry = Timestamp.zero
        var readError: CaptureError?
        // The once-a-second sweep, kept out of line: inlined into `step`, its calls cost the per-packet path
        // registers (6 instructions a packet more on the control-heavy benchmark when the sweep gained one call).
        @inline(never) func sweep() {
            AnalysisSweep.sweep(
                after: packetStats.packets, now: lastTime, fragments: fragments, reassembler: reassembler,
                analyzer: analyzer)
            nextExpiry = lastTime.adding(nanoseconds: AnalysisSweep.interval)
            streaming?.advance(watermark: analyzer.pendingWatermark)
            progress?(packetStats.packets, packetStats.bytes)
        }
        // The one per-packet step of both loops below, so the threaded run does exactly what the plain one does.
        func step(
            _ decoded: DecodedPacket, packet: UnsafeRawBufferPointer, capturedLength: Int, linkType: LinkType,
            time: Timestamp
        ) {
            if time > lastTime { lastTime = time }
            packetStats.dispatch(
                decoded, packet: packet, capturedLength: capturedLength, decoder: PacketDecoder(linkType: linkType),
                at: time, fragments: fragments, reassembler: reassembler, analyzer: analyzer)
            if lastTime >= nextExpiry {
                sweep()
            } else if packetStats.packets & 0xFFFF == 0 {
                // A dense capture can hold millions of packets in a second: progress by count too.
                progress?(packetStats.packets, packetStats.bytes)
            }
        }
        let reader = threads > 1 ? CaptureReader(captures: captures) : nil
        if let reader, reader.start() {
            // Pipelined: the reader thread reads and decodes, this thread analyses, batch by batch.
            while let batch = reader.queue.take() {
                // Read in place: `for entry in` copied each 144-byte entry out of the array before its fields
                // were passed on (a score of moves per packet).
                batch.entries.withUnsafeBufferPointer { entries in
                    var entry = entries.baseAddress!
                    let end = entry + entries.count
                    while entry < end {
                        batch.prefetch(after: entry, end: end)
                        step(
                            entry.pointee.decoded, packet: batch.bytes(of: entry.pointee),
                            capturedLength: entry.pointee.capturedLength, linkType: entry.pointee.linkType,
                            time: entry.pointee.time)
                        entry += 1
                    }
                }
                batch.reset()
                reader.queue.recycle(batch)
            }
            reader.join()
            readError = reader.failure
        } else {
            // One thread (`threads` 1, or no thread could be started): today's plain synchronous loop.
            while true {
                let more: Bool
                do {
                    more = try captures.next { header, linkType, packet in
                        step(
                            PacketDecoder(linkType: linkType).decode(packet), packet: packet,
                            capturedLength: header.capturedLength, linkType: linkType, time: header.time)
                    }
                } catch {
                    readError = error
                    more = false
                }
                if !more { break }
            }
        }
        AnalysisSweep.finish(at: lastTime, fragments: fragments, reassembler: reassembler, analyzer: analyzer)
        // Every event is delivered and the output thread has ended: the sinks are this thread's again.
        lanes?.finish()
        let totals = AnalysisTotals(
            packetStats: packetStats, analysisStats: analyzer.stats, reassembly: reassembler.counters,
            ip: fragments.counters, maxConnections: reassembler.limits.maxConnections, ipLimits: fragments.limits,
            sessions: analyzer.sessions, findings: analyzer.findings, readError: readError)
        return result(captures: captures, configuration: configuration, totals: totals)
    }

    /// The result of a run: its counters, the inputs' summaries and the warnings.
    static func result(captures: CaptureSet, configuration: AnalysisConfiguration, totals: AnalysisTotals) -> AnalysisResult {
        var warnings: [String] = []
        var inputs: [InputDescription] = []
        for summary in captures.summaries {
            if let warning = summary.warning { warnings.append("\(summary.path): \(warning)") }
            inputs.append(
                InputDescription(
                    path: summary.path, format: summary.format + (summary.compressed ? "+gzip" : ""),
                    linkType: summary.linkType.description, packets: summary.packets, bytes: summary.bytes,
                    firstTime: summary.firstTime, lastTime: summary.lastTime, truncated: summary.truncated,
                    warning: summary.warning))
        }
        if let readError = totals.readError { warnings.append(readError.message) }
        // Hard limits reached: said once each, so a flood never passes silently (docs/limits.md).
        let counters = totals.reassembly
        if counters.connectionsEvicted > 0 {
            warnings.append(
                "\(counters.connectionsEvicted) connections evicted before they ended: more than \(totals.maxConnections) tracked at once (ReassemblyLimits.maxConnections)")
        }
        if counters.capHits > 0 {
            warnings.append(
                "out-of-order data given up as gaps \(counters.capHits) times: the reassembly buffer caps were reached (ReassemblyLimits)")
        }
        let ip = totals.ip
        if ip.droppedCapacity > 0 {
            warnings.append(
                "\(ip.droppedCapacity) IP fragments dropped: the IP reassembly limits were reached (IPReassemblyLimits: \(totals.ipLimits.maxDatagrams) datagrams, \(totals.ipLimits.maxBufferedBytes) bytes)")
        }
        if totals.analysisStats.droppedSessions > 0 {
            warnings.append(
                "\(totals.analysisStats.droppedSessions) control connections not analysed: more than \(configuration.maxSessions) sessions at once (AnalysisConfiguration.maxSessions)")
        }
        return AnalysisResult(
            inputs: inputs, packetStats: totals.packetStats, analysisStats: totals.analysisStats,
            reassemblyCounters: totals.reassembly, ipCounters: totals.ip, sessions: totals.sessions,
            findings: totals.findings, warnings: warnings)
    }
}

/// What an analysis counted and kept, from one analyzer or summed over a sharded analysis's workers.
struct AnalysisTotals {
    var packetStats: PacketStats
    var analysisStats: AnalysisStats
    var reassembly: ReassemblyCounters
    var ip: IPReassemblyCounters
    /// The limits, for the warnings.
    var maxConnections: Int
    var ipLimits: IPReassemblyLimits
    var sessions: [FTPSession]
    var findings: [Finding]
    var readError: CaptureError?
}
