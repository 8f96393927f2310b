import NetworkTypes
import PacketDecoding
import TestSupport
import Testing

/// The test-support conversation builder, checked through the decoder (so each proves the other).
@Suite struct ConversationBuilderTests {
    func decodeAll(_ builder: ConversationBuilder) throws -> [TCPSegment] {
        try builder.packets.map { try #require(segment(decode($0.1, builder.link))) }
    }

    @Test(arguments: [LinkType.ethernet, .linuxSLL2, .null, .raw])
    func scriptedSessionHasConsistentNumbers(link: LinkType) throws {
        var c = ConversationBuilder(
            client: client4, server: server4, link: link, start: Timestamp(nanoseconds: 1_000), clientISN: 100,
            serverISN: 0xFFFF_FFFE)
        c.handshake()
        c.serverSends("220 ready\r\n")
        c.clientSends("USER a\r\n")
        c.serverSends("331 ok\r\n")
        c.clientFIN()
        c.serverFIN()
        let segments = try decodeAll(c)
        #expect(
            segments.map(\.flags) == [
                .syn, [.syn, .ack], .ack, [.psh, .ack], [.psh, .ack], [.psh, .ack], [.fin, .ack], .ack, [.fin, .ack],
                .ack,
            ])
        let toServer = FlowKey(source: client4, destination: server4)
        #expect(
            segments.map { $0.flow == toServer } == [true, false, true, false, true, false, true, false, false, true])
        // Client: SYN at 100, data from 101 (8 bytes), FIN at 109, final ACK from 110.
        #expect(segments.filter { $0.flow == toServer }.map(\.seq.rawValue) == [100, 101, 101, 109, 110])
        // Server: ISN wraps: SYN at 0xFFFFFFFE, 11 + 8 bytes of data from 0xFFFFFFFF, ACK and FIN at 18.
        #expect(segments.filter { $0.flow != toServer }.map(\.seq.rawValue) == [0xFFFF_FFFE, 0xFFFF_FFFF, 10, 18, 18])
        #expect(segments[8].ack.rawValue == 110)  // the server's FIN acknowledges the client's FIN
        #expect(segments[9].ack.rawValue == 19)
        #expect(payload(segments[4], in: c.packets[4].1) == Array("USER a\r\n".utf8))
        #expect(c.packets.map(\.0.nanoseconds) == (1...10).map { 1_000 + Int64($0) * 1_000_000 })
    }

    @Test func shortEthernetFramesArePadded() {
        var c = ConversationBuilder(client: client4, server: server4)
        c.handshake()
        #expect(c.packets.allSatisfy { $0.1.count == 60 })
        c.padShortEthernetFrames = false
        c.ack(from: .server)
        #expect(c.packets.last?.1.count == 54)
    }

    @Test func synRefused() throws {
        var c = ConversationBuilder(client: client6, server: server6, clientISN: 7)
        c.synRefused()
        let segments = try decodeAll(c)
        #expect(segments.map(\.flags) == [.syn, [.rst, .ack]])
        #expect(segments[1].ack.rawValue == 8)
        #expect(segments[1].seq.rawValue == 0)
        #expect(segments[1].flow == FlowKey(source: server6, destination: client6))
    }

    @Test func synUnansweredBacksOff() throws {
        var c = ConversationBuilder(client: client4, server: server4, start: .zero, clientISN: 55)
        c.synUnanswered(count: 3)
        let segments = try decodeAll(c)
        #expect(segments.map(\.seq.rawValue) == [55, 55, 55])
        #expect(segments.allSatisfy { $0.flags == .syn })
        #expect(c.packets.map(\.0.nanoseconds) == [1_000_000, 1_001_000_000, 3_001_000_000])
    }

    @Test func resetAndLargeSends() throws {
        var c = ConversationBuilder(client: client4, server: server4, clientISN: 0, serverISN: 0)
        c.handshake()
        c.maximumSegmentSize = 1000
        c.serverSends([UInt8](repeating: 0x42, count: 2500))
        c.reset(from: .client)
        let segments = try decodeAll(c)
        #expect(segments[3...5].map(\.payloadLength) == [1000, 1000, 500])
        #expect(segments[3...5].map(\.seq.rawValue) == [1, 1001, 2001])
        #expect(segments[5].flags == [.psh, .ack])
        #expect(segments[6].flags == [.rst, .ack])
        #expect(segments[6].ack.rawValue == 2501)
    }

    @Test func interleaveKeepsTimeOrder() {
        var control = ConversationBuilder(client: client4, server: server4, start: .zero, step: 10)
        var data = ConversationBuilder(
            client: Endpoint(address: client4.address, port: 40000),
            server: Endpoint(address: server4.address, port: 20), start: Timestamp(nanoseconds: 5), step: 10)
        control.handshake()
        data.handshake()
        let merged = ConversationBuilder.interleave([control.packets, data.packets])
        #expect(merged.map(\.0.nanoseconds) == [10, 15, 20, 25, 30, 35])
    }

    @Test func appendAndWaitMoveTheClock() {
        var c = ConversationBuilder(client: client4, server: server4, start: .zero)
        c.wait(nanoseconds: 5_000_000_000)
        c.append(
            FrameBuilder.icmpUnreachable(
                reporter: server4.address, quotedFrom: client4, quotedTo: server4, quotedSeq: 1))
        #expect(c.packets.map(\.0.nanoseconds) == [5_001_000_000])
        #expect(unreachable(decode(c.packets[0].1, .ethernet)) != nil)
    }
}
