import NetworkTypes
import PacketDecoding
import TCPReassembly
import Testing

/// Idle expiry is exact: a connection active since it was queued goes back in its place by the time of its last
/// activity (not behind a later tail), so a sweep closes exactly the connections idle past the timeout, in order
/// of (last activity, serial). A sharded analysis depends on it: each worker's lists hold part of the connections
/// and must close them when, and in the order, one reassembler with all of them would (docs/threads.md).
@Test func aConnectionActiveSinceQueuedExpiresByItsLastActivity() {
    let recorder = Recorder()
    let reassembler = TCPReassembler(delegate: recorder)
    let timeout = reassembler.limits.shortIdleTimeout
    let start = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)
    func syn(_ port: UInt16, at seconds: Int64) {
        let flow = FlowKey(source: Endpoint(address: .v4(192, 0, 2, 10), port: port), destination: serverEndpoint)
        let segment = TCPSegment(
            flow: flow, seq: SeqNumber(1), ack: SeqNumber(0), flags: .syn, window: 1, payloadOffset: 0, payloadLength: 0)
        reassembler.process(segment, payload: UnsafeRawBufferPointer(start: nil, count: 0), at: start.adding(nanoseconds: seconds * 1_000_000_000))
    }
    // Unanswered attempts A (0 s), B (10 s), C (20 s); A's SYN is sent again at 15 s.
    syn(40_001, at: 0)
    syn(40_002, at: 10)
    syn(40_003, at: 20)
    syn(40_001, at: 15)
    let ports = { recorder.closed.map(\.originator.port) }
    // A is found active (requeued at 15 s, before C); B has been idle past the timeout.
    reassembler.expireIdle(now: start.adding(nanoseconds: 15_000_000_000 + timeout - 1_000_000_000))
    #expect(ports() == [40_002])
    // One second past A's timeout: A goes, C (queued at 20 s) stays.
    reassembler.expireIdle(now: start.adding(nanoseconds: 15_000_000_000 + timeout + 1_000_000_000))
    #expect(ports() == [40_002, 40_001])
    #expect(reassembler.activeConnectionCount == 1)
}

/// Connections queued at the same time leave in order of serial, whatever order they were queued in.
@Test func tiesLeaveInOrderOfSerial() {
    let recorder = Recorder()
    let reassembler = TCPReassembler(delegate: recorder)
    let start = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)
    for (serial, port) in [(UInt64(30), UInt16(40_003)), (10, 40_001), (20, 40_002)] {
        reassembler.nextSerial = serial
        let flow = FlowKey(source: Endpoint(address: .v4(192, 0, 2, 10), port: port), destination: serverEndpoint)
        let segment = TCPSegment(
            flow: flow, seq: SeqNumber(1), ack: SeqNumber(0), flags: .syn, window: 1, payloadOffset: 0, payloadLength: 0)
        reassembler.process(segment, payload: UnsafeRawBufferPointer(start: nil, count: 0), at: start)
    }
    reassembler.expireIdle(now: start.adding(nanoseconds: reassembler.limits.shortIdleTimeout + 1))
    #expect(recorder.closed.map(\.serial) == [10, 20, 30])
}

/// Many connections found active in one sweep go back in their places together (`putBack`): later sweeps close
/// them exactly by (last activity, serial), as if each had been put back on its own. Checked against a model of
/// the rule on 200 attempts re-sent at scattered times, with ties, among attempts first seen meanwhile.
@Test func aSweepPutsManyActiveConnectionsBackInOrder() {
    let recorder = Recorder()
    let reassembler = TCPReassembler(delegate: recorder)
    let timeout = reassembler.limits.shortIdleTimeout
    let second: Int64 = 1_000_000_000
    let start = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)
    func syn(_ port: UInt16, at nanoseconds: Int64) {
        let flow = FlowKey(source: Endpoint(address: .v4(192, 0, 2, 10), port: port), destination: serverEndpoint)
        let segment = TCPSegment(
            flow: flow, seq: SeqNumber(1), ack: SeqNumber(0), flags: .syn, window: 1, payloadOffset: 0, payloadLength: 0)
        reassembler.process(segment, payload: UnsafeRawBufferPointer(start: nil, count: 0), at: start.adding(nanoseconds: nanoseconds))
    }
    // All first seen within the first second; most re-sent once between 5 s and 9 s, on a coarse grid so that
    // several share a time (ties go by serial, the order first seen).
    var lastActivity: [UInt16: Int64] = [:]
    var order: [UInt16] = []
    for index in 0..<200 {
        let port = UInt16(41_000 + index)
        syn(port, at: Int64(index) * 5_000_000)
        lastActivity[port] = Int64(index) * 5_000_000
        order.append(port)
    }
    // Re-sent attempts and 100 new ones, first seen between 5 s and 9 s, interleaved in time: when the first sweep
    // puts the re-sent ones back, the list holds the new ones, so places near its head and near its tail are
    // walked to from either end.
    var late = 0
    for index in 0..<200 where index % 7 != 0 {
        let port = UInt16(41_000 + index)
        let again = 5 * second + Int64((index * 37) % 16) * (second / 4)
        syn(port, at: again)
        lastActivity[port] = again
        if index % 2 == 0 {
            let newPort = UInt16(42_000 + late)
            late += 1
            syn(newPort, at: again + second / 8)
            lastActivity[newPort] = again + second / 8
            order.append(newPort)
        }
    }
    // The first sweep, past the first attempts' timeout, closes only the ones never re-sent and puts the others back.
    var now = timeout + second
    reassembler.expireIdle(now: start.adding(nanoseconds: now))
    let neverResent = order.filter { lastActivity[$0]! < 5 * second }
    #expect(recorder.closed.map(\.originator.port) == neverResent)
    // Later sweeps, a quarter second apart, close the rest in the model's order, each once idle past the timeout.
    let serialOf = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
    let rest = order.filter { lastActivity[$0]! >= 5 * second }.sorted {
        (lastActivity[$0]!, serialOf[$0]!) < (lastActivity[$1]!, serialOf[$1]!)
    }
    while now < timeout + 10 * second {
        now += second / 4
        reassembler.expireIdle(now: start.adding(nanoseconds: now))
        let due = rest.filter { now - lastActivity[$0]! > timeout }
        #expect(Array(recorder.closed.map(\.originator.port).dropFirst(neverResent.count)) == due)
    }
    #expect(late > 50)
    #expect(recorder.closed.count == 200 + late)
    #expect(reassembler.activeConnectionCount == 0)
}
