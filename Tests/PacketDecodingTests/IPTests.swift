import NetworkTypes
import PacketDecoding
import TestSupport
import Testing

@Suite struct IPv4Tests {
    @Test(arguments: [0, 1, 4, 8, 12, 40])
    func skipsIPv4Options(optionBytes: Int) throws {
        // Record-route style filler: NOPs (option 1); the builder pads to a multiple of 4.
        let options = [UInt8](repeating: 1, count: optionBytes)
        let frame = FrameBuilder.tcp(
            from: client4, to: server4, seq: 5, flags: [.psh, .ack], payload: Array("PASV\r\n".utf8),
            ipv4Options: options)
        let decoded = try #require(segment(decode(frame, .ethernet)))
        #expect(decoded.payloadOffset == 14 + 20 + (optionBytes + 3) / 4 * 4 + 20)
        #expect(payload(decoded, in: frame) == Array("PASV\r\n".utf8))
    }

    @Test func ethernetPaddingIsNotPayload() throws {
        // A bare ACK is 54 bytes; the NIC pads it to the 60-byte minimum with bytes that are not TCP payload.
        let frame = FrameBuilder.tcp(from: client4, to: server4, seq: 5, ack: 6, flags: .ack, padding: 6)
        #expect(frame.count == 60)
        let decoded = try #require(segment(decode(frame, .ethernet)))
        #expect(decoded.payloadLength == 0)
        #expect(decoded.wirePayloadLength == 0)
        #expect(decoded.payloadOffset == 54)

        let small = FrameBuilder.tcp(
            from: client4, to: server4, seq: 5, flags: .ack, payload: [0x41, 0x0A], padding: 4)
        let decodedSmall = try #require(segment(decode(small, .ethernet)))
        #expect(payload(decodedSmall, in: small) == [0x41, 0x0A])
    }

    @Test func zeroTotalLengthMeansOffload() throws {
        let data = [UInt8](repeating: 0x5A, count: 9000)
        let frame = FrameBuilder.tcp(from: client4, to: server4, seq: 5, flags: .ack, payload: data, ipLength: 0)
        let decoded = try #require(segment(decode(frame, .ethernet)))
        #expect(decoded.payloadLength == 9000)
        #expect(decoded.wirePayloadLength == 9000)
    }

    @Test func snapLengthCutShowsInWireLength() throws {
        let data = [UInt8](repeating: 0x5A, count: 1400)
        let frame = FrameBuilder.tcp(from: client4, to: server4, seq: 5, flags: .ack, payload: data)
        let cut = Array(frame[0..<96])
        let decoded = try #require(segment(decode(cut, .ethernet)))
        #expect(decoded.payloadOffset == 54)
        #expect(decoded.payloadLength == 42)
        #expect(decoded.wirePayloadLength == 1400)
    }

    @Test(arguments: [(0, true), (8, true), (1480, false), (8, false)])
    func fragmentsAreNoted(offset: Int, moreFragments: Bool) {
        let frame = FrameBuilder.ipv4Fragment(
            from: client4.address, to: server4.address, offset: offset, moreFragments: moreFragments,
            payload: [UInt8](repeating: 1, count: 64))
        guard case .fragment(let fragment) = decode(frame, .ethernet) else {
            Issue.record("not decoded as a fragment")
            return
        }
        #expect(fragment.key.source == client4.address && fragment.key.destination == server4.address)
        #expect(fragment.key.identification == 0x5151 && fragment.key.protocolNumber == 6)
        #expect(fragment.offset == offset && fragment.moreFragments == moreFragments && fragment.nextHeader == 6)
        #expect(fragment.payloadOffset == 14 + 20 && fragment.payloadLength == 64 && fragment.wirePayloadLength == 64)
    }

    @Test func dontFragmentAloneIsNotAFragment() throws {
        let frame = FrameBuilder.tcp(from: client4, to: server4, seq: 5, flags: .syn)
        #expect(Array(frame[20..<22]) == [0x40, 0x00])  // the builder sets DF, as stacks doing PMTUD do
        #expect(segment(decode(frame, .ethernet)) != nil)
    }

    @Test func headerLengthBelowFiveWordsIsMalformed() {
        var frame = FrameBuilder.tcp(from: client4, to: server4, seq: 5, flags: .syn, link: .ipv4)
        frame[0] = 0x44
        #expect(decode(frame, .ipv4) == .malformed(.badIPHeaderLength))
    }

    @Test func headerLongerThanCaptureIsTruncated() {
        var frame = FrameBuilder.tcp(from: client4, to: server4, seq: 5, flags: .syn, link: .ipv4)
        frame[0] = 0x4F
        #expect(decode(Array(frame[0..<40]), .ipv4) == .malformed(.truncatedIPHeader))
    }

    @Test func totalLengthShorterThanHeaderIsMalformed() {
        let frame = FrameBuilder.tcp(from: client4, to: server4, seq: 5, flags: .syn, link: .ipv4, ipLength: 19)
        #expect(decode(frame, .ipv4) == .malformed(.badIPHeaderLength))
    }

    @Test func totalLengthTooShortForTCPHeader() {
        let frame = FrameBuilder.tcp(from: client4, to: server4, seq: 5, flags: .syn, link: .ipv4, ipLength: 30)
        #expect(decode(frame, .ipv4) == .malformed(.truncatedTCPHeader))
    }

    @Test func otherProtocolsAreOther() {
        let udp = FrameBuilder.frame(
            ipPacket: FrameBuilder.ipPacket(
                from: client4.address, to: server4.address, protocol: 17, payload: [0, 53, 0, 53, 0, 8, 0, 0]),
            link: .ethernet)
        #expect(decode(udp, .ethernet) == .other)
        let echo = FrameBuilder.frame(
            ipPacket: FrameBuilder.ipPacket(
                from: client4.address, to: server4.address, protocol: 1, payload: [8, 0, 0, 0, 0, 1, 0, 1]),
            link: .ethernet)
        #expect(decode(echo, .ethernet) == .other)
    }

    @Test func checksumsAreValid() {
        let frame = FrameBuilder.tcp(
            from: client4, to: server4, seq: 5, flags: .ack, payload: Array("hello".utf8), link: .ipv4,
            ipv4Options: [1, 1, 1, 1])
        #expect(FrameBuilder.internetChecksum(Array(frame[0..<24])) == 0)
        let pseudo: [UInt8] = [192, 0, 2, 10, 198, 51, 100, 20, 0, 6, 0, UInt8(frame.count - 24)]
        #expect(FrameBuilder.internetChecksum(pseudo + Array(frame[24...])) == 0)
    }
}

@Suite struct IPv6Tests {
    static let chains: [[IPv6ExtensionHeader]] = [
        [],
        [.hopByHop()],
        [
            .hopByHop(optionBytes: 14), .destinationOptions(), .routing(segments: 2),
            .destinationOptions(optionBytes: 1),
        ],
        [.hopByHop(), .routing(), .fragment(), .authentication(), .destinationOptions()],
        [.authentication(icvBytes: 20)],
        [.fragment(offset: 0, moreFragments: false, identification: 7)],  // atomic fragment, RFC 6946
    ]

    @Test(arguments: chains)
    func walksExtensionHeaders(chain: [IPv6ExtensionHeader]) throws {
        let text = Array("RETR file\r\n".utf8)
        let frame = FrameBuilder.tcp(
            from: client6, to: server6, seq: 5, flags: [.psh, .ack], payload: text, ipv6ExtensionHeaders: chain)
        let decoded = try #require(segment(decode(frame, .ethernet)))
        let chainLength = chain.reduce(0) { $0 + $1.bytes(nextHeader: 6).count }
        #expect(decoded.payloadOffset == 14 + 40 + chainLength + 20)
        #expect(payload(decoded, in: frame) == text)
        #expect(decoded.flow == FlowKey(source: client6, destination: server6))
    }

    @Test(arguments: [(0, true), (8, false), (1232, true)])
    func fragmentsAreNoted(offset: Int, moreFragments: Bool) {
        let frame = FrameBuilder.ipv6Fragment(
            from: client6.address, to: server6.address, offset: offset, moreFragments: moreFragments,
            payload: [UInt8](repeating: 1, count: 64))
        guard case .fragment(let fragment) = decode(frame, .ethernet) else {
            Issue.record("not decoded as a fragment")
            return
        }
        #expect(fragment.key.isIPv6 && fragment.key.identification == 0x5151 && fragment.key.protocolNumber == 0)
        #expect(fragment.offset == offset && fragment.moreFragments == moreFragments && fragment.nextHeader == 6)
        #expect(fragment.payloadOffset == 14 + 40 + 8 && fragment.payloadLength == 64)
        let behindOptions = FrameBuilder.frame(
            ipPacket: FrameBuilder.ipPacket(
                from: client6.address, to: server6.address, protocol: 6, payload: [UInt8](repeating: 1, count: 24),
                ipv6ExtensionHeaders: [.hopByHop(), .fragment(offset: offset, moreFragments: moreFragments)]),
            link: .raw)
        guard case .fragment(let behind) = decode(behindOptions, .raw) else {
            Issue.record("not decoded as a fragment behind hop-by-hop options")
            return
        }
        #expect(behind.offset == offset && behind.payloadOffset == 40 + 8 + 8 && behind.payloadLength == 24)
    }

    @Test(arguments: [UInt8(50), 59, 17])
    func noTCPBehindTheChain(next: UInt8) {
        let frame = FrameBuilder.frame(
            ipPacket: FrameBuilder.ipPacket(
                from: client6.address, to: server6.address, protocol: next, payload: [UInt8](repeating: 0, count: 32),
                ipv6ExtensionHeaders: [.destinationOptions()]),
            link: .ipv6)
        #expect(decode(frame, .ipv6) == .other)
    }

    @Test func overlongChainIsMalformed() {
        let chain = [IPv6ExtensionHeader](
            repeating: .destinationOptions(), count: PacketDecoder.maxExtensionHeaders + 1)
        let frame = FrameBuilder.tcp(from: client6, to: server6, seq: 1, flags: .syn, ipv6ExtensionHeaders: chain)
        #expect(decode(frame, .ethernet) == .malformed(.badExtensionHeader))
        let longest = [IPv6ExtensionHeader](repeating: .destinationOptions(), count: PacketDecoder.maxExtensionHeaders)
        let accepted = FrameBuilder.tcp(from: client6, to: server6, seq: 1, flags: .syn, ipv6ExtensionHeaders: longest)
        #expect(segment(decode(accepted, .ethernet)) != nil)
    }

    @Test func extensionHeaderPastTheEndIsMalformed() {
        var frame = FrameBuilder.tcp(
            from: client6, to: server6, seq: 1, flags: .syn, link: .ipv6, ipv6ExtensionHeaders: [.hopByHop()])
        frame[41] = 200  // hop-by-hop header claims 1608 bytes
        #expect(decode(frame, .ipv6) == .malformed(.badExtensionHeader))
        // The declared payload length bounds the chain even when more bytes were captured.
        let short = FrameBuilder.tcp(
            from: client6, to: server6, seq: 1, flags: .syn, link: .ipv6, ipv6ExtensionHeaders: [.hopByHop()],
            ipLength: 4)
        #expect(decode(short, .ipv6) == .malformed(.badExtensionHeader))
    }

    @Test func zeroPayloadLengthMeansOffload() throws {
        let data = [UInt8](repeating: 7, count: 3000)
        let frame = FrameBuilder.tcp(
            from: client6, to: server6, seq: 1, flags: .ack, payload: data, link: .linuxSLL2, ipLength: 0)
        let decoded = try #require(segment(decode(frame, .linuxSLL2)))
        #expect(decoded.payloadLength == 3000)
        #expect(decoded.wirePayloadLength == 3000)
    }

    @Test func paddingAndSnapLength() throws {
        let frame = FrameBuilder.tcp(from: client6, to: server6, seq: 1, flags: .ack, payload: [1, 2, 3], padding: 9)
        let decoded = try #require(segment(decode(frame, .ethernet)))
        #expect(payload(decoded, in: frame) == [1, 2, 3])
        let cut = try #require(segment(decode(Array(frame[0..<(frame.count - 11)]), .ethernet)))
        #expect(cut.payloadLength == 1)
        #expect(cut.wirePayloadLength == 3)
    }

    @Test func truncatedFixedHeader() {
        let frame = FrameBuilder.tcp(from: client6, to: server6, seq: 1, flags: .syn, link: .ipv6)
        #expect(decode(Array(frame[0..<39]), .ipv6) == .malformed(.truncatedIPHeader))
    }
}

@Suite struct TCPHeaderTests {
    @Test func skipsTCPOptions() throws {
        let frame = FrameBuilder.tcp(
            from: client4, to: server4, seq: 100, flags: .syn, window: 64240, tcpOptions: FrameBuilder.synOptions())
        #expect(frame[14 + 20 + 12] >> 4 == 10)
        let decoded = try #require(segment(decode(frame, .ethernet)))
        #expect(decoded.payloadOffset == 14 + 20 + 40)
        #expect(decoded.payloadLength == 0)
        #expect(decoded.window == 64240)
    }

    @Test(arguments: [UInt8(0), 1, 4])
    func dataOffsetBelowFiveIsMalformed(words: UInt8) {
        var frame = FrameBuilder.tcp(
            from: client4, to: server4, seq: 1, flags: .ack, payload: [1, 2, 3, 4], link: .ipv4)
        frame[32] = words << 4
        #expect(decode(frame, .ipv4) == .malformed(.badTCPHeaderLength))
    }

    @Test func dataOffsetBeyondThePacketIsMalformed() {
        var frame = FrameBuilder.tcp(
            from: client4, to: server4, seq: 1, flags: .ack, payload: [1, 2, 3, 4], link: .ipv4)
        frame[32] = 15 << 4  // 60-byte header in a 24-byte segment
        #expect(decode(frame, .ipv4) == .malformed(.badTCPHeaderLength))
        // Cut by the snap length inside the options: the header itself is truncated.
        let options = FrameBuilder.tcp(
            from: client4, to: server4, seq: 1, flags: .syn, tcpOptions: FrameBuilder.synOptions(), link: .ipv4)
        #expect(decode(Array(options[0..<50]), .ipv4) == .malformed(.truncatedTCPHeader))
    }

    @Test(arguments: [
        TCPFlags.syn, [.syn, .ack], [.fin, .ack], [.rst], [.rst, .ack], [.psh, .ack, .urg, .ece, .cwr],
    ])
    func readsFlags(flags: TCPFlags) {
        let frame = FrameBuilder.tcp(from: server4, to: client4, seq: 1, ack: 2, flags: flags)
        #expect(segment(decode(frame, .ethernet))?.flags == flags)
    }
}

@Suite struct ICMPTests {
    @Test(arguments: [LinkType.ethernet, .linuxSLL, .raw], [UInt8(3), 1, 13])
    func icmpUnreachableQuotingASYN(link: LinkType, code: UInt8) throws {
        let router = IPAddress.v4(203, 0, 113, 1)
        let frame = FrameBuilder.icmpUnreachable(
            reporter: router, quotedFrom: client4, quotedTo: server4, quotedSeq: 0xDEAD_BEEF, code: code, link: link)
        let record = try #require(unreachable(decode(frame, link)))
        #expect(record.reporter == router)
        #expect(record.quotedFlow == FlowKey(source: client4, destination: server4))
        #expect(record.quotedSeq == SeqNumber(0xDEAD_BEEF))
        #expect(record.code == code)
        #expect(!record.isICMPv6)
    }

    @Test(arguments: [[IPv6ExtensionHeader](), [.hopByHop(), .destinationOptions()]])
    func icmpv6UnreachableQuotingASYN(quotedChain: [IPv6ExtensionHeader]) throws {
        let router = IPAddress("2001:db8:ffff::1")!
        let frame = FrameBuilder.icmpUnreachable(
            reporter: router, quotedFrom: client6, quotedTo: server6, quotedSeq: 42, code: 1,
            quotedIPv6ExtensionHeaders: quotedChain, link: .linuxSLL2)
        let record = try #require(unreachable(decode(frame, .linuxSLL2)))
        #expect(record.reporter == router)
        #expect(record.quotedFlow == FlowKey(source: client6, destination: server6))
        #expect(record.quotedSeq == SeqNumber(42))
        #expect(record.isICMPv6)
        #expect(record.reason == "administratively prohibited")
    }

    @Test func quoteTooShortIsOther() {
        let router = IPAddress.v4(203, 0, 113, 1)
        let short = FrameBuilder.icmpUnreachable(
            reporter: router, quotedFrom: client4, quotedTo: server4, quotedSeq: 1, quotedBytes: 27)
        #expect(decode(short, .ethernet) == .other)
        let router6 = IPAddress("2001:db8:ffff::1")!
        let short6 = FrameBuilder.icmpUnreachable(
            reporter: router6, quotedFrom: client6, quotedTo: server6, quotedSeq: 1, quotedBytes: 47)
        #expect(decode(short6, .ethernet) == .other)
        let enough6 = FrameBuilder.icmpUnreachable(
            reporter: router6, quotedFrom: client6, quotedTo: server6, quotedSeq: 1, quotedBytes: 48)
        #expect(unreachable(decode(enough6, .ethernet)) != nil)
    }

    @Test func otherICMPv6IsOther() {
        let echo = FrameBuilder.frame(
            ipPacket: FrameBuilder.ipPacket(
                from: client6.address, to: server6.address, protocol: 58, payload: [128, 0, 0, 0, 0, 1, 0, 1]),
            link: .ethernet)
        #expect(decode(echo, .ethernet) == .other)
    }

    @Test func icmpChecksumsAreValid() {
        let frame = FrameBuilder.icmpUnreachable(
            reporter: .v4(203, 0, 113, 1), quotedFrom: client4, quotedTo: server4, quotedSeq: 1, link: .ipv4)
        #expect(FrameBuilder.internetChecksum(Array(frame[0..<20])) == 0)
        #expect(FrameBuilder.internetChecksum(Array(frame[20...])) == 0)
    }
}
