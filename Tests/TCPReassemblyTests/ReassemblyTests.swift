import NetworkTypes
import PacketDecoding
import TCPReassembly
import Testing

private let ackPush: TCPFlags = [.ack, .psh]

@Test func inOrderStreamBothWaysClosesSF() {
    let h = Harness()
    h.handshake()
    h.c(1001, ack: 5001, ackPush, bytes("USER a\r\n"))
    h.s(5001, ack: 1009, ackPush, bytes("331 ok\r\n"))
    h.c(1009, ack: 5009, [.fin, .ack])
    h.s(5009, ack: 1010, [.fin, .ack])
    let connection = try! #require(h.connection)
    #expect(h.recorder.log(0, .originator).bytes == bytes("USER a\r\n"))
    #expect(h.recorder.log(0, .responder).bytes == bytes("331 ok\r\n"))
    #expect(h.recorder.closed.count == 1)
    #expect(connection.state == .sf)
    #expect(connection.history == "ShADdFf")
    #expect(connection.sawInitialSYN && connection.sawSYNACK)
    #expect(!connection.endedWithoutClose)
    #expect(connection.originator == clientEndpoint)
    #expect(connection.stats(.originator).bytes == 8)
    #expect(connection.stats(.originator).packets == 4)
    #expect(connection.stats(.originator).firstPayloadTime != nil)
    #expect(h.reassembler.activeConnectionCount == 0)
    #expect(h.reassembler.counters.gaps == 0)
    // In-order data is never copied into the out-of-order store.
    #expect(h.reassembler.counters.bufferedBytesPeak == 0)
}

@Test func outOfOrderSegmentsAreDeliveredInOrder() {
    let h = Harness()
    h.handshake()
    h.c(1007, ack: 5001, ackPush, bytes("ghi"))
    h.c(1004, ack: 5001, ackPush, bytes("def"))
    #expect(h.recorder.log(0, .originator).bytes.isEmpty)
    h.c(1001, ack: 5001, ackPush, bytes("abc"))
    #expect(h.recorder.log(0, .originator).bytes == bytes("abcdefghi"))
    #expect(h.reassembler.counters.outOfOrderSegments == 2)
    #expect(h.reassembler.counters.bufferedBytes == 0)
    h.finish()
    #expect(h.recorder.log(0, .originator).gaps.isEmpty)
}

@Test func retransmissionsAreDroppedAndCounted() {
    let h = Harness()
    h.handshake()
    h.c(1001, ack: 5001, ackPush, bytes("abc"))
    h.c(1001, ack: 5001, ackPush, bytes("abc"))
    h.c(1004, ack: 5001, ackPush, bytes("def"))
    h.c(1004, ack: 5001, ackPush, bytes("def"))
    let connection = try! #require(h.connection)
    #expect(h.recorder.log(0, .originator).bytes == bytes("abcdef"))
    #expect(connection.stats(.originator).bytes == 6)
    #expect(connection.stats(.originator).retransmittedBytes == 6)
    #expect(h.reassembler.counters.retransmittedBytes == 6)
    #expect(connection.history.contains("T"))
}

@Test func partialOverlapDeliversOnlyTheNewTail() {
    let h = Harness()
    h.handshake()
    h.c(1001, ack: 5001, ackPush, bytes("abcdef"))
    h.c(1004, ack: 5001, ackPush, bytes("defghi"))
    #expect(h.recorder.log(0, .originator).bytes == bytes("abcdefghi"))
    #expect(h.connection?.stats(.originator).retransmittedBytes == 3)
    #expect(h.reassembler.counters.inconsistentOverlaps == 0)
}

@Test func overlappingHeldDataWinsAndInconsistencyIsCounted() {
    let h = Harness()
    h.handshake()
    h.c(1004, ack: 5001, ackPush, bytes("XYZ"))
    h.c(1001, ack: 5001, ackPush, bytes("abcdef"))
    #expect(h.recorder.log(0, .originator).bytes == bytes("abcXYZ"))
    #expect(h.reassembler.counters.inconsistentOverlaps == 1)
    // Same bytes again: consistent.
    h.c(1007, ack: 5001, ackPush, bytes("123"))
    h.c(1010, ack: 5001, ackPush, bytes("456"))
    h.c(1007, ack: 5001, ackPush, bytes("123456"))
    #expect(h.reassembler.counters.inconsistentOverlaps == 1)
}

@Test(arguments: [UInt32(0xFFFF_FFF0), 0xFFFF_FFFF, 0x7FFF_FFF0, 0])
func sequenceWrapAround(isn: UInt32) {
    let h = Harness()
    h.handshake(client: isn, server: 0xFFFF_FFFE)
    let data = pattern(100)
    // Ten 10-byte segments, each pair swapped, crossing 2^32.
    for pair in stride(from: 0, to: 10, by: 2) {
        for index in [pair + 1, pair] {
            let offset = index * 10
            h.c(isn &+ 1 &+ UInt32(offset), ack: 0xFFFF_FFFF, ackPush, Array(data[offset..<offset + 10]))
        }
    }
    h.s(0xFFFF_FFFF, ack: isn &+ 101, ackPush, bytes("ok"))
    h.finish()
    #expect(h.recorder.log(0, .originator).bytes == data)
    #expect(h.recorder.log(0, .originator).gaps.isEmpty)
    #expect(h.recorder.log(0, .responder).bytes == bytes("ok"))
}

@Test(arguments: [
    // (first sender's port, its peer's port, first sender is the originator)
    (UInt16(21), UInt16(51234), false),
    (51234, 21, true),
    (40000, 50000, true),
    (80, 443, true),
])
func midStreamOriginatorGuess(senderPort: UInt16, peerPort: UInt16, senderIsOriginator: Bool) {
    let sender = Endpoint(address: .v4(10, 0, 0, 1), port: senderPort)
    let peer = Endpoint(address: .v4(10, 0, 0, 2), port: peerPort)
    let h = Harness(client: sender, server: peer)
    h.c(7000, ack: 3000, ackPush, bytes("220 hi\r\n"))
    h.s(3000, ack: 7008, ackPush, bytes("USER x\r\n"))
    let connection = try! #require(h.connection)
    #expect(connection.originator == (senderIsOriginator ? sender : peer))
    #expect(!connection.sawInitialSYN)
    #expect(connection.state == .oth)
    let senderDirection: Direction = senderIsOriginator ? .originator : .responder
    #expect(h.recorder.log(0, senderDirection).bytes == bytes("220 hi\r\n"))
    #expect(h.recorder.log(0, senderDirection.opposite).bytes == bytes("USER x\r\n"))
}

@Test func synAckSeenFirstMakesItsReceiverTheOriginator() {
    let h = Harness()
    h.s(5000, ack: 1001, [.syn, .ack])
    h.c(1001, ack: 5001, [.ack])
    let connection = try! #require(h.connection)
    #expect(connection.originator == clientEndpoint)
    #expect(!connection.sawInitialSYN)
    #expect(connection.sawSYNACK)
}

@Test func lostSegmentBecomesAGapAtTheRightOffset() {
    let h = Harness()
    h.handshake()
    h.c(1001, ack: 5001, ackPush, bytes("aaa"))
    h.c(1007, ack: 5001, ackPush, bytes("ccc"))
    h.c(1010, ack: 5001, ackPush, bytes("ddd"))
    #expect(h.recorder.log(0, .originator).bytes == bytes("aaa"))
    h.finish()
    let log = h.recorder.log(0, .originator)
    #expect(log.bytes == bytes("aaacccddd"))
    #expect(log.gaps.count == 1 && log.gaps[0] == (3, 3))
    #expect(log.pieces.map(\.offset) == [0, 6, 9])
    #expect(log.contiguous)
    let connection = try! #require(h.connection)
    #expect(connection.stats(.originator).missingBytes == 3)
    #expect(connection.endedWithoutClose)
    #expect(connection.history.contains("G"))
    #expect(h.reassembler.activeConnectionCount == 0)
}

@Test func ackBeyondAHoleReportsTheGapImmediately() {
    let h = Harness()
    h.handshake()
    h.c(1001, ack: 5001, ackPush, bytes("aaa"))
    h.c(1007, ack: 5001, ackPush, bytes("ccc"))
    h.s(5001, ack: 1010, [.ack])
    let log = h.recorder.log(0, .originator)
    #expect(log.bytes == bytes("aaaccc"))
    #expect(log.gaps.count == 1 && log.gaps[0] == (3, 3))
    // An ACK beyond everything seen: the unseen tail is missing too.
    h.s(5001, ack: 1020, [.ack])
    #expect(h.recorder.log(0, .originator).gaps.last! == (9, 10))
    // One sequence number past the data is most likely a FIN we did not capture: not a gap.
    h.s(5001, ack: 1021, [.ack])
    #expect(h.recorder.log(0, .originator).gaps.count == 2)
}

@Test func finAckIsNotAGap() {
    let h = Harness()
    h.handshake()
    h.c(1001, ack: 5001, [.fin, .ack], bytes("bye"))
    h.s(5001, ack: 1005, [.ack])
    #expect(h.recorder.log(0, .originator).gaps.isEmpty)
    #expect(h.connection?.state == .s2)
}

@Test func missingDataBeforeAFinIsAGapAtClose() {
    let h = Harness()
    h.handshake()
    h.c(1001, ack: 5001, ackPush, bytes("aaa"))
    h.c(1010, ack: 5001, [.fin, .ack])
    h.s(5001, ack: 1001, [.fin, .ack])
    let log = h.recorder.log(0, .originator)
    #expect(log.gaps.count == 1 && log.gaps[0] == (3, 6))
    #expect(h.connection?.state == .sf)
}

@Test func outOfOrderCapGivesUpHolesAndBoundsMemory() {
    let limits = ReassemblyLimits(maxOutOfOrderBytesPerConnection: 200)
    let h = Harness(limits: limits)
    h.handshake()
    let data = pattern(310)
    // The first 10 bytes are lost; the rest arrives in order behind the hole.
    for offset in stride(from: 10, to: 310, by: 10) {
        h.c(1001 + UInt32(offset), ack: 5001, ackPush, Array(data[offset..<offset + 10]))
    }
    let counters = h.reassembler.counters
    #expect(counters.capHits >= 1)
    #expect(counters.bufferedBytesPeak <= 200)
    let log = h.recorder.log(0, .originator)
    #expect(log.gaps.count == 1 && log.gaps[0] == (0, 10))
    #expect(log.bytes == Array(data[10...]))
    #expect(h.connection?.stats(.originator).missingBytes == 10)
    #expect(counters.bufferedBytes == 0)
}

@Test func totalCapBoundsMemoryAcrossConnections() {
    let limits = ReassemblyLimits(maxOutOfOrderBytesTotal: 1000)
    let recorder = Recorder()
    let reassembler = TCPReassembler(delegate: recorder, limits: limits)
    let server = serverEndpoint
    for index in 0..<20 {
        let client = Endpoint(address: .v4(10, 0, 0, 1), port: UInt16(40000 + index))
        let flow = FlowKey(source: client, destination: server)
        for part in 1...5 {
            let segment = TCPSegment(
                flow: flow, seq: SeqNumber(UInt32(100 * part)), ack: SeqNumber(1), flags: ackPush, window: 1,
                payloadOffset: 0, payloadLength: 50)
            pattern(50).withUnsafeBytes { reassembler.process(segment, payload: $0, at: Timestamp(nanoseconds: 1)) }
        }
        #expect(reassembler.counters.bufferedBytes <= 1000)
    }
    #expect(reassembler.counters.bufferedBytesPeak <= 1000)
    #expect(reassembler.counters.capHits > 0)
    reassembler.finish(at: Timestamp(nanoseconds: 2))
    #expect(reassembler.counters.bufferedBytes == 0)
    #expect(recorder.closed.count == 20)
}

@Test(arguments: [true, false])
func resetClosesAsRSTOOrRSTR(fromClient: Bool) {
    let h = Harness()
    h.handshake()
    h.c(1001, ack: 5001, ackPush, bytes("abc"))
    if fromClient { h.c(1004, ack: 5001, [.rst, .ack]) } else { h.s(5001, ack: 1004, [.rst, .ack]) }
    let connection = try! #require(h.connection)
    #expect(h.recorder.closed.count == 1)
    #expect(connection.state == (fromClient ? .rsto : .rstr))
    #expect(!connection.endedWithoutClose)
    #expect(connection.stats(fromClient ? .originator : .responder).sawRST)
    #expect(connection.history == (fromClient ? "ShADR" : "ShADr"))
}

@Test func unansweredSynsAreS0WithTheirCount() {
    let h = Harness()
    h.c(1000, [.syn])
    h.c(1000, [.syn])
    h.c(1000, [.syn])
    h.finish()
    let connection = try! #require(h.connection)
    #expect(h.recorder.opened.count == 1)
    #expect(connection.state == .s0)
    #expect(connection.stats(.originator).syns == 3)
    #expect(connection.history == "S")
    #expect(connection.endedWithoutClose)
}

@Test func synAnsweredByResetIsREJ() {
    let h = Harness()
    h.c(1000, [.syn])
    h.s(0, ack: 1001, [.rst, .ack])
    let connection = try! #require(h.connection)
    #expect(h.recorder.closed.count == 1)
    #expect(connection.state == .rej)
    #expect(connection.history == "Sr")
    // The client's retransmitted SYN that crossed the RST is a late packet, not a new attempt.
    h.c(1000, [.syn])
    #expect(h.recorder.opened.count == 1)
    #expect(h.reassembler.counters.lateSegments == 1)
}

/// One Zeek conn_state outcome per short script of (from client, flags), on a fresh connection.
struct StateCase: Sendable, CustomTestStringConvertible {
    var script: [(fromClient: Bool, flags: TCPFlags)]
    var expected: ConnectionState
    var testDescription: String { expected.rawValue }
}

private let stateCases: [StateCase] = [
    StateCase(script: [(true, .syn)], expected: .s0),
    StateCase(script: [(true, .syn), (false, [.syn, .ack])], expected: .s1),
    StateCase(script: [(true, .syn), (true, .rst)], expected: .rstos0),
    StateCase(script: [(true, .syn), (true, .fin)], expected: .sh),
    StateCase(script: [(false, [.syn, .ack]), (false, .rst)], expected: .rstrh),
    StateCase(script: [(false, [.syn, .ack]), (false, [.fin, .ack])], expected: .shr),
    StateCase(script: [(true, .syn), (false, [.syn, .ack]), (true, .ack), (true, [.fin, .ack])], expected: .s2),
    StateCase(script: [(true, .syn), (false, [.syn, .ack]), (true, .ack), (false, [.fin, .ack])], expected: .s3),
    StateCase(script: [(true, .ack), (false, .ack)], expected: .oth),
    StateCase(script: [(true, .syn), (false, [.rst, .ack])], expected: .rej),
    StateCase(script: [(true, .syn), (false, [.syn, .ack]), (true, .ack), (true, [.fin, .ack]), (false, [.fin, .ack])], expected: .sf),
]

@Test(arguments: stateCases)
func zeekConnectionStates(_ stateCase: StateCase) {
    let h = Harness()
    for step in stateCase.script {
        h.send(fromClient: step.fromClient, seq: step.fromClient ? 1000 : 5000, ack: step.fromClient ? 5001 : 1001, step.flags)
    }
    #expect(h.connection?.state == stateCase.expected)
}

@Test func newSynAfterCloseIsANewConnection() {
    let h = Harness()
    h.handshake()
    h.c(1001, ack: 5001, ackPush, bytes("a"))
    h.c(1002, ack: 5001, [.fin, .ack])
    h.s(5001, ack: 1003, [.fin, .ack])
    // The last ACK arrives after the close: counted, no new connection.
    h.c(1003, ack: 5002, [.ack])
    #expect(h.recorder.opened.count == 1)
    #expect(h.reassembler.counters.lateSegments == 1)
    #expect(h.connection?.history == "ShADFfA" || h.connection?.history == "ShADFf")
    h.handshake(client: 90000, server: 70000)
    h.c(90001, ack: 70001, ackPush, bytes("b"))
    #expect(h.recorder.opened.count == 2)
    #expect(h.recorder.opened[1].serial == 1)
    #expect(h.reassembler.counters.portReuses == 1)
    #expect(h.recorder.log(1, .originator).bytes == bytes("b"))
    #expect(h.reassembler.activeConnectionCount == 1)
    h.finish()
    #expect(h.recorder.closed.count == 2)
    #expect(h.recorder.closed[0].state == .sf && !h.recorder.closed[0].endedWithoutClose)
    #expect(h.recorder.closed[1].endedWithoutClose)
}

@Test func newSynWithAnotherIsnOnAFinishedLiveConnectionIsPortReuse() {
    let h = Harness()
    h.handshake()
    h.c(1001, ack: 5001, ackPush, bytes("abc"))
    h.c(1004, ack: 5001, [.fin, .ack])  // the server's FIN was never captured
    h.c(77777, [.syn])
    #expect(h.recorder.opened.count == 2)
    #expect(h.recorder.closed.count == 1)
    #expect(h.recorder.closed[0].state == .s2)
}

@Test func countOnlyCountsOnceWithoutDelivering() {
    let h = Harness(handling: .countOnly)
    h.handshake()
    h.c(1001, ack: 5001, ackPush, bytes("aaa"))
    h.c(1001, ack: 5001, ackPush, bytes("aaa"))
    h.c(1007, ack: 5001, ackPush, bytes("ccc"))
    h.c(1004, ack: 5001, ackPush, bytes("bbb"))
    h.c(1007, ack: 5001, ackPush, bytes("ccc"))
    h.c(1010, ack: 5001, ackPush, [], wire: 1000)  // snap length 0: counted from the IP length
    h.finish()
    let connection = try! #require(h.connection)
    #expect(h.recorder.receivedCalls == 0)
    #expect(connection.stats(.originator).bytes == 1009)
    #expect(connection.stats(.originator).missingBytes == 0)
    #expect(connection.stats(.originator).retransmittedBytes == 6)
}

@Test func countOnlyStillCountsLoss() {
    let h = Harness(handling: .countOnly)
    h.handshake()
    h.c(1001, ack: 5001, ackPush, bytes("aaa"))
    h.c(1007, ack: 5001, ackPush, bytes("ccc"))
    h.finish()
    let connection = try! #require(h.connection)
    #expect(connection.stats(.originator).bytes == 6)
    #expect(connection.stats(.originator).missingBytes == 3)
}

@Test func switchingToIgnoreDropsHeldData() {
    let h = Harness()
    h.recorder.onReceive = { $0.handling = .ignore }
    h.handshake()
    h.c(1007, ack: 5001, ackPush, bytes("ccc"))
    #expect(h.reassembler.counters.bufferedBytes > 0)
    h.c(1001, ack: 5001, ackPush, bytes("aaa"))
    #expect(h.recorder.receivedCalls == 1)
    #expect(h.reassembler.counters.bufferedBytes == 0)
    h.c(1004, ack: 5001, ackPush, bytes("bbb"))
    h.finish()
    #expect(h.recorder.receivedCalls == 1)
    #expect(h.recorder.log(0, .originator).gaps.isEmpty)
}

@Test func switchingToCountOnlyKeepsCounting() {
    let h = Harness()
    h.handshake()
    h.c(1007, ack: 5001, ackPush, bytes("ccc"))
    h.connection?.handling = .countOnly
    h.c(1001, ack: 5001, ackPush, bytes("aaa"))
    h.c(1004, ack: 5001, ackPush, bytes("bbb"))
    h.finish()
    #expect(h.recorder.receivedCalls == 0)
    #expect(h.connection?.stats(.originator).bytes == 9)
    #expect(h.connection?.stats(.originator).missingBytes == 0)
}

@Test func snapLengthCutIsAGap() {
    let h = Harness()
    h.handshake()
    h.c(1001, ack: 5001, ackPush, bytes("abc"), wire: 10)
    h.c(1011, ack: 5001, ackPush, bytes("xyz"))
    let log = h.recorder.log(0, .originator)
    #expect(log.bytes == bytes("abcxyz"))
    #expect(log.gaps.count == 1 && log.gaps[0] == (3, 7))
}

@Test func finishFlushesHeldDataAndClosesEverything() {
    let h = Harness()
    h.handshake()
    h.c(1005, ack: 5001, ackPush, bytes("held"))
    h.s(5001, ack: 1001, ackPush, bytes("220"))
    #expect(h.reassembler.activeConnectionCount == 1)
    #expect(h.reassembler.connection(for: FlowKey(source: serverEndpoint, destination: clientEndpoint)) != nil)
    h.finish()
    let log = h.recorder.log(0, .originator)
    #expect(log.gaps.count == 1 && log.gaps[0] == (0, 4))
    #expect(log.bytes == bytes("held"))
    #expect(h.recorder.closed.count == 1 && h.recorder.closed[0].endedWithoutClose)
    #expect(h.recorder.closed[0].state == .s1)
    #expect(h.reassembler.activeConnectionCount == 0)
    #expect(h.reassembler.connection(for: FlowKey(source: clientEndpoint, destination: serverEndpoint)) == nil)
}

@Test func idleConnectionsExpire() {
    let h = Harness()
    h.handshake()  // established: long timeout
    // An unanswered attempt on another port of the same reassembler.
    let other = Endpoint(address: .v4(192, 0, 2, 10), port: 60000)
    let flow = FlowKey(source: other, destination: serverEndpoint)
    let syn = TCPSegment(flow: flow, seq: SeqNumber(1), ack: SeqNumber(0), flags: .syn, window: 1, payloadOffset: 0, payloadLength: 0)
    h.reassembler.process(syn, payload: UnsafeRawBufferPointer(start: nil, count: 0), at: h.now)
    #expect(h.reassembler.activeConnectionCount == 2)
    h.reassembler.expireIdle(now: h.now.adding(nanoseconds: 30_000_000_000))
    #expect(h.reassembler.activeConnectionCount == 2)
    h.reassembler.expireIdle(now: h.now.adding(nanoseconds: 61_000_000_000))
    #expect(h.reassembler.activeConnectionCount == 1)
    #expect(h.recorder.closed.count == 1 && h.recorder.closed[0].state == .s0 && h.recorder.closed[0].endedWithoutClose)
    h.reassembler.expireIdle(now: h.now.adding(nanoseconds: 16 * 60 * 1_000_000_000))
    #expect(h.reassembler.activeConnectionCount == 0)
    #expect(h.recorder.closed.count == 2 && h.recorder.closed[1].state == .s1)
    #expect(h.reassembler.counters.connectionsExpired == 2)
}

/// A closed connection's record absorbs TIME-WAIT stragglers for `closedLinger` (5 s, Zeek's tcp_close_delay),
/// then goes; a half-closed one keeps the one-minute timeout.
@Test func closedRecordsLingerFiveSecondsHalfClosedOnesAMinute() {
    let h = Harness()
    h.handshake()
    h.c(1001, ack: 5001, [.fin, .ack])
    h.s(5001, ack: 1002, [.fin, .ack])
    #expect(h.recorder.closed.count == 1)
    h.c(1002, ack: 5002, .ack)  // the last ACK: a straggler of the finished connection
    #expect(h.reassembler.counters.lateSegments == 1)
    #expect(h.reassembler.trackedConnectionCount == 1)
    h.reassembler.expireIdle(now: h.now.adding(nanoseconds: 4_000_000_000))
    #expect(h.reassembler.trackedConnectionCount == 1, "kept within the linger")
    h.reassembler.expireIdle(now: h.now.adding(nanoseconds: 6_000_000_000))
    #expect(h.reassembler.trackedConnectionCount == 0, "gone after it")
    #expect(h.reassembler.counters.connectionsExpired == 0, "a closed record is not an expired connection")

    let half = Harness()
    half.handshake()
    half.c(1001, ack: 5001, [.fin, .ack])
    half.reassembler.expireIdle(now: half.now.adding(nanoseconds: 6_000_000_000))
    #expect(half.reassembler.activeConnectionCount == 1)
    half.reassembler.expireIdle(now: half.now.adding(nanoseconds: 61_000_000_000))
    #expect(half.reassembler.activeConnectionCount == 0)
    #expect(half.recorder.closed.count == 1 && half.recorder.closed[0].endedWithoutClose)
}

@Test func fullTableEvictsTheLeastRecentlyActive() {
    let limits = ReassemblyLimits(maxConnections: 2)
    let recorder = Recorder()
    let reassembler = TCPReassembler(delegate: recorder, limits: limits)
    for index in 0..<3 {
        let client = Endpoint(address: .v4(10, 0, 0, 1), port: UInt16(40000 + index))
        let segment = TCPSegment(
            flow: FlowKey(source: client, destination: serverEndpoint), seq: SeqNumber(1), ack: SeqNumber(0),
            flags: .syn, window: 1, payloadOffset: 0, payloadLength: 0)
        reassembler.process(segment, payload: UnsafeRawBufferPointer(start: nil, count: 0), at: Timestamp(nanoseconds: Int64(index)))
    }
    #expect(reassembler.activeConnectionCount == 2)
    #expect(reassembler.counters.connectionsEvicted == 1)
    #expect(recorder.closed.count == 1 && recorder.closed[0].originator.port == 40000)
}

/// The data connection of the corpus trace bigtransfer.pcap (a 5.4 GB RETR thinned to ten payload segments across
/// two sequence wraps), segment for segment as tcpdump shows it; Zeek reports resp_bytes 5416666670, missed_bytes
/// 5416642848, history ShAdgfFa.
@Test func thinnedFiveGigabyteTransferKeepsOffsets() {
    let client = Endpoint(address: .v4(192, 168, 56, 1), port: 59764)
    let server = Endpoint(address: .v4(192, 168, 56, 101), port: 37150)
    let h = Harness(client: client, server: server)
    let cISN: UInt32 = 3_007_178_435
    let c1 = cISN + 1
    h.c(cISN, [.syn])
    h.s(3_914_442_133, ack: c1, [.syn, .ack])
    h.c(c1, ack: 3_914_442_134, [.ack])
    h.s(3_914_442_134, ack: c1, [.ack], pattern(14480))
    h.c(c1, ack: 3_914_456_614, [.ack])
    h.s(4_294_812_326, ack: c1, ackPush, pattern(752))
    h.c(c1, ack: 4_294_812_326, [.ack])
    h.c(c1, ack: 238_246, [.ack])
    h.s(238_246, ack: c1, ackPush, pattern(752))
    h.c(c1, ack: 1_912_709_798, [.ack])
    h.s(1_912_709_798, ack: c1, ackPush, pattern(752))
    h.s(1_958_191_782, ack: c1, ackPush, pattern(752))
    h.c(c1, ack: 1_958_191_782, [.ack])
    h.c(c1, ack: 3_880_231_590, [.ack])
    h.s(3_880_231_590, ack: c1, ackPush, pattern(752))
    h.s(3_922_564_950, ack: c1, [.ack], pattern(2896))
    h.c(c1, ack: 3_922_564_950, [.ack])
    h.c(c1, ack: 4_294_943_398, [.ack])
    h.s(4_294_943_398, ack: c1, ackPush, pattern(752))
    h.c(c1, ack: 238_246, [.ack])
    h.s(238_246, ack: c1, ackPush, pattern(752))
    h.s(741_173_030, ack: c1, [.fin, .psh, .ack], pattern(1182))
    h.c(c1, ack: 741_173_030, [.ack])
    h.c(c1, ack: 741_174_213, [.fin, .ack])
    h.s(741_174_213, ack: c1 + 1, [.ack])

    let connection = try! #require(h.connection)
    let responder = connection.stats(.responder)
    #expect(responder.bytes == 23822)
    #expect(responder.missingBytes == 5_416_642_848)
    #expect(responder.bytes + responder.missingBytes == 5_416_666_670)
    #expect(connection.history == "ShAdgfFa")
    #expect(connection.state == .sf)
    let log = h.recorder.log(0, .responder)
    #expect(log.contiguous)
    #expect(log.pieces.count == 10)
    #expect(log.pieces.last?.offset == 5_416_665_488)
    #expect(log.position == 5_416_666_670)
}
