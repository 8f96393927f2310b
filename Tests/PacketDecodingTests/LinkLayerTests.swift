import NetworkTypes
import PacketDecoding
import TestSupport
import Testing

@Suite struct LinkLayerTests {
    static let cases: [(LinkType, Bool)] = allLinkTypes.flatMap { link -> [(LinkType, Bool)] in
        switch link {
        case .ipv4: return [(link, false)]
        case .ipv6: return [(link, true)]
        default: return [(link, false), (link, true)]
        }
    }

    @Test(arguments: cases)
    func decodesEveryLinkType(link: LinkType, ipv6: Bool) throws {
        let (source, destination) = ipv6 ? (client6, server6) : (client4, server4)
        let text = Array("USER anonymous\r\n".utf8)
        let frame = FrameBuilder.tcp(
            from: source, to: destination, seq: 0xFFFF_FFF0, ack: 77, flags: [.psh, .ack], window: 502, payload: text,
            link: link)
        let decoded = try #require(segment(decode(frame, link)))
        #expect(decoded.flow == FlowKey(source: source, destination: destination))
        #expect(decoded.seq == SeqNumber(0xFFFF_FFF0))
        #expect(decoded.ack == SeqNumber(77))
        #expect(decoded.flags == [.psh, .ack])
        #expect(decoded.window == 502)
        #expect(decoded.payloadOffset == FrameBuilder.linkHeaderLength(link) + (ipv6 ? 40 : 20) + 20)
        #expect(payload(decoded, in: frame) == text)
        #expect(decoded.wirePayloadLength == text.count)
    }

    /// BSD loopback families in both byte orders: the NULL link type records the capturing host's order.
    @Test(arguments: [(UInt32(2), false), (10, true), (24, true), (28, true), (30, true)], [false, true])
    func nullAcceptsEveryFamilyInEitherByteOrder(family: (UInt32, Bool), bigEndian: Bool) throws {
        let (value, ipv6) = family
        var frame = FrameBuilder.tcp(
            from: ipv6 ? client6 : client4, to: ipv6 ? server6 : server4, seq: 1, flags: .syn, link: .null)
        for index in 0..<4 {
            let shift = bigEndian ? 24 - 8 * index : 8 * index
            frame[index] = UInt8(truncatingIfNeeded: value >> UInt32(shift))
        }
        let decoded = try #require(segment(decode(frame, .null)))
        #expect(decoded.flags == .syn)
        #expect(decoded.flow.source.address.isIPv4 == !ipv6)
    }

    @Test(arguments: [UInt32(24), 28, 30, 10])
    func loopReadsNetworkByteOrder(family: UInt32) throws {
        var frame = FrameBuilder.tcp(from: client6, to: server6, seq: 1, flags: .syn, link: .loop)
        frame[0..<4] = [0, 0, 0, UInt8(family)]
        #expect(segment(decode(frame, .loop)) != nil)
    }

    @Test func unknownAddressFamilyIsOther() {
        var frame = FrameBuilder.tcp(from: client4, to: server4, seq: 1, flags: .syn, link: .null)
        frame[0..<4] = [7, 0, 0, 0]  // AF_UNIX-ish: not IP
        #expect(decode(frame, .null) == .other)
        frame[0..<4] = [0, 0, 0, 2]  // LOOP is always big-endian: 0x02000000 is not a family
        #expect(decode(frame, .null) != .other)
        frame[0..<4] = [2, 0, 0, 0]
        #expect(decode(frame, .loop) == .other)
    }

    @Test(
        arguments: [[UInt16](), [100], [100, 200], [1, 2, 3], [1, 2, 3, 4]], [LinkType.ethernet, .linuxSLL, .linuxSLL2])
    func followsVLANTags(tags: [UInt16], link: LinkType) throws {
        let frame = FrameBuilder.tcp(
            from: client4, to: server4, seq: 9, flags: .ack, payload: [1, 2, 3], link: link, vlanTags: tags)
        let decoded = try #require(segment(decode(frame, link)))
        #expect(decoded.payloadOffset == FrameBuilder.linkHeaderLength(link, vlanTags: tags.count) + 40)
        #expect(payload(decoded, in: frame) == [1, 2, 3])
    }

    @Test func qinqTagTypes() throws {
        // 802.1ad outer + 802.1Q inner, as built; then the outer TPID swapped for the legacy 0x9100.
        var frame = FrameBuilder.tcp(from: client6, to: server6, seq: 9, flags: .ack, vlanTags: [10, 20])
        #expect(Array(frame[12..<14]) == [0x88, 0xA8])
        #expect(Array(frame[16..<18]) == [0x81, 0x00])
        #expect(segment(decode(frame, .ethernet)) != nil)
        frame[12..<14] = [0x91, 0x00]
        #expect(segment(decode(frame, .ethernet)) != nil)
    }

    @Test func tooManyVLANTagsIsOther() {
        let frame = FrameBuilder.tcp(from: client4, to: server4, seq: 9, flags: .ack, vlanTags: [1, 2, 3, 4, 5])
        #expect(decode(frame, .ethernet) == .other)
    }

    @Test func truncatedVLANTagIsMalformed() {
        let frame = FrameBuilder.tcp(from: client4, to: server4, seq: 9, flags: .ack, vlanTags: [1, 2])
        #expect(decode(Array(frame[0..<16]), .ethernet) == .malformed(.truncatedLinkHeader))
        #expect(decode(Array(frame[0..<20]), .ethernet) == .malformed(.truncatedLinkHeader))
        #expect(decode(Array(frame[0..<22]), .ethernet) == .malformed(.truncatedIPHeader))
    }

    @Test(arguments: [UInt16(0x0806), 0x88CC, 0x0026, 0x8847])
    func nonIPEtherTypesAreOther(etherType: UInt16) {
        for link in [LinkType.ethernet, .linuxSLL, .linuxSLL2] {
            let frame = FrameBuilder.frame(
                etherType: etherType, payload: [UInt8](repeating: 0x45, count: 46), link: link, vlanTags: [5])
            #expect(decode(frame, link) == .other)
        }
    }

    @Test(arguments: [LinkType.ethernet, .linuxSLL, .linuxSLL2, .null, .loop])
    func shortLinkHeaderIsMalformed(link: LinkType) {
        let length = FrameBuilder.linkHeaderLength(link)
        for count in 0..<length {
            #expect(decode([UInt8](repeating: 0, count: count), link) == .malformed(.truncatedLinkHeader))
        }
    }

    @Test func rawPicksVersionByNibble() {
        let v4 = FrameBuilder.tcp(from: client4, to: server4, seq: 1, flags: .syn, link: .raw)
        let v6 = FrameBuilder.tcp(from: client6, to: server6, seq: 1, flags: .syn, link: .raw)
        #expect(segment(decode(v4, .raw))?.flow.source == client4)
        #expect(segment(decode(v6, .raw))?.flow.source == client6)
        var bad = v4
        bad[0] = 0x55
        #expect(decode(bad, .raw) == .malformed(.badIPVersion))
        #expect(decode([], .raw) == .malformed(.truncatedIPHeader))
    }

    @Test func versionMustMatchTheLinkType() {
        let v4 = FrameBuilder.tcp(from: client4, to: server4, seq: 1, flags: .syn, link: .raw)
        let v6 = FrameBuilder.tcp(from: client6, to: server6, seq: 1, flags: .syn, link: .raw)
        #expect(decode(v4, .ipv6) == .malformed(.badIPVersion))
        #expect(decode(v6 + [UInt8](repeating: 0, count: 40), .ipv4) == .malformed(.badIPVersion))
        var ethernet = FrameBuilder.tcp(from: client4, to: server4, seq: 1, flags: .syn)
        ethernet[12..<14] = [0x86, 0xDD]
        #expect(decode(ethernet + [UInt8](repeating: 0, count: 40), .ethernet) == .malformed(.badIPVersion))
    }

    @Test func unsupportedLinkTypeIsOther() {
        let frame = FrameBuilder.tcp(from: client4, to: server4, seq: 1, flags: .syn, link: .raw)
        #expect(decode(frame, .unsupported(147)) == .other)
    }
}
