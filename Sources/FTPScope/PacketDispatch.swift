import FTPAnalysis
import IPReassembly
import NetworkTypes
import PacketDecoding
import TCPReassembly

extension PacketStats {
    /// Decodes one borrowed packet and hands it on: TCP segments to the reassembler, IP fragments to the IP
    /// reassembler (whose whole datagrams come back here decoded), ICMP errors quoting TCP to the analyzer;
    /// everything is counted. The one per-packet step shared by offline and live analysis.
    @inline(__always)
    mutating func dispatch(
        _ packet: UnsafeRawBufferPointer, capturedLength: Int, decoder: PacketDecoder, at time: Timestamp,
        fragments: IPReassembler, reassembler: TCPReassembler<FTPAnalyzer>, analyzer: FTPAnalyzer
    ) {
        dispatch(
            decoder.decode(packet), packet: packet, capturedLength: capturedLength, decoder: decoder, at: time,
            fragments: fragments, reassembler: reassembler, analyzer: analyzer)
    }

    /// Hands on one packet already decoded (by the offline reader thread, `CaptureReader`): `packet` holds its bytes
    /// when it is TCP, ICMP or a fragment, and may be empty otherwise.
    @inline(__always)
    mutating func dispatch(
        _ decoded: DecodedPacket, packet: UnsafeRawBufferPointer, capturedLength: Int, decoder: PacketDecoder,
        at time: Timestamp, fragments: IPReassembler, reassembler: TCPReassembler<FTPAnalyzer>, analyzer: FTPAnalyzer
    ) {
        // Wrapping adds: counters of a capture never reach 2^64 (checked traps were a dozen instructions a packet on
        // the critical path).
        packets &+= 1
        bytes &+= UInt64(truncatingIfNeeded: capturedLength)
        switch decoded {
        case .tcp(let segment):
            tcpSegments &+= 1
            // The decoder puts the payload inside the packet; two unsigned compares (no traps) keep a decoder bug, or
            // a batch whose bytes and decode disagree, from reading past the packet: such a segment counts as a
            // decode error instead.
            let offset = UInt(bitPattern: segment.payloadOffset)
            guard offset <= UInt(packet.count),
                UInt(bitPattern: segment.payloadLength) <= UInt(packet.count) &- offset
            else {
                decodeErrors &+= 1
                return
            }
            let payload = UnsafeRawBufferPointer(
                start: packet.baseAddress.map { $0 + segment.payloadOffset }, count: segment.payloadLength)
            reassembler.process(segment, payload: payload, at: time)
        case .icmpUnreachable(let message):
            icmpUnreachable += 1
            analyzer.noteICMPUnreachable(message, at: time)
        case .fragment(let fragment):
            self.fragments += 1
            fragments.process(fragment, in: packet, at: time) { datagram, payload in
                dispatchReassembled(
                    datagram, payload: payload, decoder: decoder, at: time, reassembler: reassembler, analyzer: analyzer)
            }
            if fragments.hasAnomalies { Self.reportAnomalies(fragments, to: analyzer) }
        case .other:
            otherPackets += 1
        case .malformed:
            decodeErrors += 1
        }
    }

    /// Turns the IP reassembler's anomalies into findings (rare: once per host pair and kind).
    static func reportAnomalies(_ fragments: IPReassembler, to analyzer: FTPAnalyzer) {
        for anomaly in fragments.takeAnomalies() {
            let kind: EvasionObservation.Kind
            switch anomaly.kind {
            case .tinyFragment: kind = .tinyFragment
            case .conflictingOverlap: kind = .conflictingFragmentOverlap
            case .ipv6Overlap: kind = .ipv6FragmentOverlap
            }
            analyzer.noteEvasion(
                EvasionObservation(
                    kind: kind, source: anomaly.key.source, destination: anomaly.key.destination,
                    identification: anomaly.key.identification, time: anomaly.time, offset: anomaly.offset,
                    length: anomaly.length, differenceOffset: anomaly.differenceOffset, keptBytes: anomaly.keptBytes,
                    otherBytes: anomaly.otherBytes))
        }
    }

    /// A datagram the IP reassembler completed: decoded from its payload and handed on like a packet's.
    mutating func dispatchReassembled(
        _ datagram: ReassembledDatagram, payload: UnsafeRawBufferPointer, decoder: PacketDecoder, at time: Timestamp,
        reassembler: TCPReassembler<FTPAnalyzer>, analyzer: FTPAnalyzer
    ) {
        switch decoder.decodeReassembled(
            payload, capturedLength: datagram.capturedLength, key: datagram.key, nextHeader: datagram.nextHeader)
        {
        case .tcp(let segment):
            tcpSegments += 1
            let bytes = UnsafeRawBufferPointer(
                rebasing: payload[segment.payloadOffset..<(segment.payloadOffset + segment.payloadLength)])
            reassembler.process(segment, payload: bytes, at: time)
        case .icmpUnreachable(let message):
            icmpUnreachable += 1
            analyzer.noteICMPUnreachable(message, at: time)
        case .fragment, .other:
            otherPackets += 1
        case .malformed:
            decodeErrors += 1
        }
    }
}

/// The once-a-second sweep and the end of input, one sequence for every loop (offline, live, the sharded
/// analysis's workers), so that each does the same steps in the same order.
enum AnalysisSweep {
    /// Offline, idle connections are swept once per second of capture time, not per packet (the sharded reader
    /// marks the same packets).
    static let interval: Int64 = 1_000_000_000

    /// Expires IP fragments, idle connections, data channels and password-guessing runs whose time is up, as of
    /// `now`, after packet `index`; what it reports is dated `dating` (the latest packet: `DetectorEvent.clock`),
    /// `now` when not given
    /// (placing what settles in the analyzer's `order`, which only a sharded analysis reads).
    static func sweep(
        after index: UInt64, now: Timestamp, dating: Timestamp? = nil, fragments: IPReassembler,
        reassembler: TCPReassembler<FTPAnalyzer>, analyzer: FTPAnalyzer
    ) {
        analyzer.order = OrderKey(index: index, phase: .sweepClosing)
        fragments.expire(now: now)
        reassembler.expireIdle(now: now)
        analyzer.order = OrderKey(index: index, phase: .sweepExpiry)
        analyzer.expire(now: now)
        analyzer.order = OrderKey(index: index, phase: .sweepFindings)
        analyzer.clockPassed(now, dating: dating ?? now)
    }

    /// End of input: what is held is delivered, every connection closed (ending with the capture) and every
    /// session settled, as of `time`.
    static func finish(
        at time: Timestamp, fragments: IPReassembler, reassembler: TCPReassembler<FTPAnalyzer>, analyzer: FTPAnalyzer
    ) {
        fragments.finish()
        analyzer.captureEnding()
        analyzer.order = OrderKey(index: .max, phase: .finishClosing)
        reassembler.finish(at: time)
        analyzer.finish(endingAt: time)
    }
}
