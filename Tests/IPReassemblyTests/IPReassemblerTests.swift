import IPReassembly
import NetworkTypes
import PacketDecoding
import TestSupport
import Testing

/// The IP reassembly stage alone: fragments given as values over their own byte buffers.
@Suite struct IPReassemblerTests {
    static let key4 = FragmentKey(
        source: .v4(192, 0, 2, 1), destination: .v4(198, 51, 100, 2), identification: 7, protocolNumber: 6)
    static let key6 = FragmentKey(
        source: .v6(0x2001_0db8_0000_0000, 1), destination: .v6(0x2001_0db8_0000_0000, 2), identification: 7,
        protocolNumber: 0)

    /// A datagram payload of `length` bytes, each byte its index mod 251.
    static func payload(_ length: Int) -> [UInt8] { (0..<length).map { UInt8($0 % 251) } }

    /// The fragments (offset, bytes, more) of `payload` in pieces of `size`.
    static func split(_ payload: [UInt8], size: Int) -> [(Int, [UInt8], Bool)] {
        stride(from: 0, to: payload.count, by: size).map { offset in
            let end = min(offset + size, payload.count)
            return (offset, Array(payload[offset..<end]), end < payload.count)
        }
    }

    /// Feeds fragments; returns the datagrams completed (their bytes).
    static func feed(
        _ reassembler: IPReassembler, _ key: FragmentKey, _ fragments: [(Int, [UInt8], Bool)],
        at time: Timestamp = Timestamp(nanoseconds: 1_000_000_000)
    ) -> [[UInt8]] {
        var completed: [[UInt8]] = []
        for (offset, bytes, more) in fragments {
            let fragment = IPFragment(
                key: key, offset: offset, moreFragments: more, nextHeader: 6, payloadOffset: 0,
                payloadLength: bytes.count)
            bytes.withUnsafeBytes { packet in
                reassembler.process(fragment, in: packet, at: time) { datagram, payload in
                    #expect(datagram.length == payload.count)
                    completed.append(Array(payload))
                }
            }
        }
        return completed
    }

    @Test(arguments: [8, 16, 24, 1480])
    func anyOrderGivesTheDatagram(size: Int) {
        let payload = Self.payload(3000)
        let fragments = Self.split(payload, size: size)
        // A random order leaves up to one piece per two fragments: 400 bytes stay within the 64-piece limit.
        let short = Self.payload(400)
        var generator = SplitMix64(seed: UInt64(size))
        let orders: [([UInt8], [(Int, [UInt8], Bool)])] = [
            (payload, fragments), (payload, fragments.reversed()), (payload, fragments.flatMap { [$0, $0] }),
            (short, Self.split(short, size: size).shuffled(using: &generator)),
        ]
        for (index, (expected, order)) in orders.enumerated() {
            for key in [Self.key4, Self.key6] {
                let reassembler = IPReassembler()
                let completed = Self.feed(reassembler, key, order)
                #expect(completed == [expected], "order \(index), \(key)")
                #expect(
                    reassembler.datagramsInFlight == (index == 2 && fragments.count > 1 ? 1 : 0),
                    "a duplicate after completion starts anew")
                #expect(reassembler.counters.datagramsReassembled == 1)
                #expect(reassembler.counters.conflicting == 0)
            }
        }
    }

    @Test func ipv4OverlapsKeepTheFirstBytesAndReportTheOther() throws {
        let payload = Self.payload(64)
        var forged = Array(payload[8..<32])
        forged[4] ^= 0xFF
        let reassembler = IPReassembler()
        let completed = Self.feed(
            reassembler, Self.key4,
            [(0, Array(payload[0..<16]), true), (8, forged, true), (16, Array(payload[16..<64]), false)])
        #expect(completed == [payload], "first wins: the forged bytes at 12 never replace the held ones")
        #expect(reassembler.counters.overlapping == 2)
        #expect(reassembler.counters.conflicting == 1)
        let anomalies = reassembler.takeAnomalies()
        #expect(anomalies.map(\.kind) == [.tinyFragment, .conflictingOverlap])
        let anomaly = try #require(anomalies.last)
        #expect(anomaly.differenceOffset == 12)
        #expect(anomaly.keptBytes.first == payload[12])
        #expect(anomaly.otherBytes.first == payload[12] ^ 0xFF)
        #expect(reassembler.takeAnomalies().isEmpty)
    }

    @Test func ipv6OverlapDiscardsTheWholeDatagram() throws {
        let payload = Self.payload(64)
        let reassembler = IPReassembler()
        let completed = Self.feed(
            reassembler, Self.key6,
            [(0, Array(payload[0..<16]), true), (8, Array(payload[8..<24]), true), (24, Array(payload[24..<64]), false)])
        #expect(completed.isEmpty, "RFC 5722: an overlapping IPv6 fragment discards the datagram")
        #expect(reassembler.counters.droppedOverlap == 3, "the two held fragments and the one still to come")
        #expect(reassembler.takeAnomalies().map(\.kind) == [.tinyFragment, .ipv6Overlap])
        reassembler.expire(now: Timestamp(nanoseconds: 62_000_000_000))
        #expect(reassembler.datagramsInFlight == 0)
    }

    @Test func incompleteDatagramsTimeOut() {
        let reassembler = IPReassembler()
        _ = Self.feed(reassembler, Self.key4, [(0, Self.payload(16), true)])
        _ = Self.feed(reassembler, Self.key6, [(0, Self.payload(16), true)])
        reassembler.expire(now: Timestamp(nanoseconds: 15_000_000_000))
        #expect(reassembler.datagramsInFlight == 2, "15 s from the first fragment have not passed yet")
        reassembler.expire(now: Timestamp(nanoseconds: 16_000_000_000))
        #expect(reassembler.datagramsInFlight == 1, "IPv4 gives up after 15 s (RFC 791)")
        reassembler.expire(now: Timestamp(nanoseconds: 61_000_000_000))
        #expect(reassembler.datagramsInFlight == 0, "IPv6 after 60 s (RFC 8200)")
        #expect(reassembler.counters.droppedTimeout == 2)
        #expect(reassembler.counters.datagramsDropped == 2)
    }

    @Test func impossibleFragmentsAreDropped() {
        let reassembler = IPReassembler()
        // Past 65 535 bytes (the ping of death).
        _ = Self.feed(reassembler, Self.key4, [(65_528, Self.payload(16), false)])
        #expect(reassembler.counters.droppedMalformed == 1)
        // A last fragment that contradicts one already held.
        _ = Self.feed(reassembler, Self.key4, [(32, Self.payload(16), true), (0, Self.payload(16), false)])
        #expect(reassembler.counters.droppedMalformed == 3)
        #expect(reassembler.datagramsInFlight == 0)
    }

    @Test func tinyFirstFragmentIsReported() throws {
        let reassembler = IPReassembler()
        let payload = Self.payload(40)
        let completed = Self.feed(reassembler, Self.key4, Self.split(payload, size: 8))
        #expect(completed == [payload])
        #expect(reassembler.counters.tiny == 1)
        #expect(try #require(reassembler.takeAnomalies().first).kind == .tinyFragment)
    }

    /// A flood of datagrams that never complete stays within the limits and is counted.
    @Test func floodOfIncompleteDatagramsStaysBounded() {
        let limits = IPReassemblyLimits(maxDatagrams: 256, maxBufferedBytes: 1 << 20)
        let reassembler = IPReassembler(limits: limits)
        let bytes = Self.payload(64)
        let count = 20_000
        bytes.withUnsafeBytes { packet in
            for index in 0..<count {
                let key = FragmentKey(
                    source: .v4(192, 0, 2, 1), destination: .v4(198, 51, 100, 2), identification: UInt32(index),
                    protocolNumber: 6)
                let fragment = IPFragment(
                    key: key, offset: 8 * (index % 100), moreFragments: true, nextHeader: 6, payloadOffset: 0,
                    payloadLength: 64)
                reassembler.process(fragment, in: packet, at: Timestamp(nanoseconds: Int64(index))) { _, _ in
                    Issue.record("nothing completes")
                }
                #expect(reassembler.datagramsInFlight <= 256)
                #expect(reassembler.bytesInFlight <= limits.maxBufferedBytes)
            }
        }
        #expect(reassembler.counters.fragments == UInt64(count))
        #expect(reassembler.counters.droppedCapacity == UInt64(count - 256))
    }

    /// A slot reused with the buffer it kept must not take the datagrams in flight past the byte budget (found by
    /// FuzzIPReassembly: a kept buffer was counted back in without a check).
    @Test func keptBuffersStayWithinTheByteBudget() {
        let limits = IPReassemblyLimits(maxDatagrams: 4, maxBufferedBytes: 65_536, retainedBufferBytes: 1024)
        let reassembler = IPReassembler(limits: limits)
        let small = Self.payload(16)
        // Two small datagrams in flight together, then completed: two free slots with 1024-byte buffers.
        let keys = (0..<2).map {
            FragmentKey(
                source: Self.key4.source, destination: Self.key4.destination, identification: UInt32($0),
                protocolNumber: 6)
        }
        for key in keys { _ = Self.feed(reassembler, key, [(0, small, true)]) }
        for key in keys { #expect(Self.feed(reassembler, key, [(16, small, false)]).count == 1) }
        // One datagram takes the whole budget, then another starts in a slot with a kept buffer.
        _ = Self.feed(reassembler, Self.key4, [(65_000, Self.payload(64), true)])
        #expect(reassembler.bytesInFlight <= limits.maxBufferedBytes)
        let other = FragmentKey(
            source: Self.key4.source, destination: Self.key4.destination, identification: 99, protocolNumber: 6)
        _ = Self.feed(reassembler, other, [(0, small, true)])
        #expect(reassembler.bytesInFlight <= limits.maxBufferedBytes)
        reassembler.finish()
        #expect(reassembler.bytesInFlight == 0)
    }

    /// Scattered fragments of one datagram beyond the piece limit give it up instead of growing without bound.
    @Test func scatteredFragmentsHitThePieceLimit() {
        let reassembler = IPReassembler(limits: IPReassemblyLimits(maxPiecesPerDatagram: 8))
        let fragments = (0..<20).map { (16 * $0, Self.payload(8), true) }
        _ = Self.feed(reassembler, Self.key4, fragments)
        #expect(reassembler.counters.droppedCapacity == 18)
        #expect(reassembler.datagramsInFlight == 1, "the fragments after the drop start a new datagram")
    }

    /// The decoder's view: a reassembled TCP datagram decodes as the unfragmented packet would.
    @Test func reassembledDatagramDecodesAsTCP() throws {
        let client = Endpoint(address: .v4(192, 0, 2, 1), port: 40000)
        let server = Endpoint(address: .v4(198, 51, 100, 2), port: 21)
        let frame = FrameBuilder.tcp(
            from: client, to: server, seq: 1000, ack: 2000, flags: [.ack, .psh], payload: Array("USER alice\r\n".utf8))
        let decoder = PacketDecoder(linkType: .ethernet)
        guard case .tcp(let whole) = decoder.decode(frame.withUnsafeBytes { $0 }) else {
            Issue.record("the frame is TCP")
            return
        }
        let transport = Array(frame[34...])
        let segment = decoder.decodeReassembled(
            transport.withUnsafeBytes { $0 }, capturedLength: transport.count, key: Self.key4, nextHeader: 6)
        guard case .tcp(let rebuilt) = segment else {
            Issue.record("reassembled payload is TCP")
            return
        }
        #expect(rebuilt.flow == whole.flow && rebuilt.seq == whole.seq && rebuilt.payloadLength == 12)
        #expect(rebuilt.payloadOffset == whole.payloadOffset - 34)
    }
}
