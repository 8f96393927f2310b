import FTPAnalysis
import IPReassembly
import NetworkTypes
import PacketDecoding
import TCPReassembly
import Testing

@testable import FTPScope

/// The dispatch reads a segment's payload through a pointer without checked slicing (it is the per-packet path), so it
/// checks the decoder's range against the packet itself: a range outside the packet (a decoder bug, or a batch whose
/// bytes and decode disagree) is counted as a decode error and never read.
struct PacketDispatchBoundsTests {
    static let flow = FlowKey(
        source: Endpoint(address: .v4(192, 0, 2, 1), port: 40000),
        destination: Endpoint(address: .v4(198, 51, 100, 2), port: 21))

    static func segment(offset: Int, length: Int) -> DecodedPacket {
        .tcp(
            TCPSegment(
                flow: flow, seq: SeqNumber(1000), ack: SeqNumber(0), flags: [.psh, .ack], window: 512,
                payloadOffset: offset, payloadLength: length))
    }

    /// Dispatches `decoded` over a 64-byte packet and gives the counters and the segments the reassembler took.
    static func dispatch(_ decoded: DecodedPacket) -> (stats: PacketStats, segments: UInt64) {
        let analyzer = FTPAnalyzer()
        let reassembler = TCPReassembler(delegate: analyzer)
        var stats = PacketStats()
        let packet = [UInt8](repeating: 0x41, count: 64)
        packet.withUnsafeBytes { bytes in
            stats.dispatch(
                decoded, packet: bytes, capturedLength: bytes.count, decoder: PacketDecoder(linkType: .ethernet),
                at: Timestamp(seconds: 1, nanoseconds: 0), fragments: IPReassembler(), reassembler: reassembler,
                analyzer: analyzer)
        }
        return (stats, reassembler.counters.segments)
    }

    @Test(arguments: [(60, 4), (0, 64), (64, 0)])
    func aRangeInsideThePacketIsHandedOn(offset: Int, length: Int) {
        let (stats, segments) = Self.dispatch(Self.segment(offset: offset, length: length))
        #expect(stats.tcpSegments == 1)
        #expect(stats.decodeErrors == 0)
        #expect(segments == 1)
    }

    @Test(arguments: [(60, 5), (65, 0), (-1, 4), (0, -1), (8, Int.max), (Int.max, 2), (Int.min, 8)])
    func aRangeOutsideThePacketIsADecodeErrorAndNotRead(offset: Int, length: Int) {
        let (stats, segments) = Self.dispatch(Self.segment(offset: offset, length: length))
        #expect(stats.tcpSegments == 1)
        #expect(stats.decodeErrors == 1)
        #expect(segments == 0)
    }
}
