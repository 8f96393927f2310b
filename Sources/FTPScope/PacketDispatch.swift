import FTPAnalysis
import NetworkTypes
import PacketDecoding
import TCPReassembly

extension PacketStats {
    /// Decodes one borrowed packet and hands it on: TCP segments to the reassembler, ICMP errors quoting TCP to
    /// the analyzer; everything is counted. The one per-packet step shared by offline and live analysis.
    @inline(__always)
    mutating func dispatch(
        _ packet: UnsafeRawBufferPointer, capturedLength: Int, decoder: PacketDecoder, at time: Timestamp,
        reassembler: TCPReassembler<FTPAnalyzer>, analyzer: FTPAnalyzer
    ) {
        packets += 1
        bytes += UInt64(capturedLength)
        switch decoder.decode(packet) {
        case .tcp(let segment):
            tcpSegments += 1
            let payload = UnsafeRawBufferPointer(
                rebasing: packet[segment.payloadOffset..<(segment.payloadOffset + segment.payloadLength)])
            reassembler.process(segment, payload: payload, at: time)
        case .icmpUnreachable(let message):
            icmpUnreachable += 1
            analyzer.noteICMPUnreachable(message, at: time)
        case .fragment:
            fragments += 1
        case .other:
            otherPackets += 1
        case .malformed:
            decodeErrors += 1
        }
    }
}
