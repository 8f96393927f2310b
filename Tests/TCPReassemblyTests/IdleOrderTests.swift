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
