// Fuzz target: the TCP reassembler. The input is a list of 8-byte segment records over four connections that
// share a server endpoint:
//   0: flags (SYN, FIN, RST, ACK, PSH bits as in the TCP header)
//   1: bit 0 direction (1 = server→client), bits 1–2 connection, bit 3 payload differs from the sender's stream
//      (an inconsistent retransmission), bit 4 snap length cut (wire length larger than captured)
//   2–3: sequence offset from the side's initial sequence number (signed 16 bits; scaled by 2^16 when bit 7 of
//        byte 6 is set, to reach wrap-around and the sequence-jump limit); a SYN always carries the ISN itself
//   4: payload length
//   5: time step in milliseconds (255 = ten seconds, to cross idle timeouts)
//   6, 7: ack offset / spare
// Payload bytes are a function of their sequence number, so every retransmission of the same range is identical
// unless bit 3 says otherwise. The delegate checks the reassembler's promises:
// - each connection is opened once, gets bytes and gaps only while open, and is closed exactly once;
// - in each direction of a reassembled connection, a gap starts exactly where the bytes delivered so far (and earlier gaps) end;
// - without inconsistent retransmissions, every delivered byte is the sender's byte at that stream position;
// - held out-of-order memory never exceeds the overall cap, and nothing is held or open after `finish`.
#if canImport(Glibc)
import Glibc
#endif
import NetworkTypes
import PacketDecoding
import TCPReassembly
import FuzzSupport

/// The byte a sender puts at sequence number `seq`; 31 is odd, so the sequence number mod 256 is recoverable.
@inline(__always) private func patternByte(_ seq: UInt32) -> UInt8 { UInt8(truncatingIfNeeded: seq &* 31 &+ 7) }
/// Inverse of `patternByte` mod 256 (31 × 223 ≡ 1 mod 256).
@inline(__always) private func seqLowByte(of byte: UInt8) -> UInt8 { (byte &- 7) &* 223 }

private final class Checker: TCPStreamDelegate {
    final class SideState {
        var next: UInt64 = 0
        /// Low byte of the sequence number at stream offset 0, learnt from the first delivered byte.
        var base: UInt8?
    }
    final class State {
        var closed = false
        /// Count-only connections deliver no bytes, so their gaps only have to move forward.
        var countOnly = false
        var sides = [SideState(), SideState()]
    }
    var states: [ObjectIdentifier: State] = [:]
    /// Strong references, so no ObjectIdentifier is reused while the run lasts.
    var connections: [TCPConnection] = []
    var checkContent = true

    func connectionOpened(_ connection: TCPConnection) -> StreamHandling {
        check(states[ObjectIdentifier(connection)] == nil, "connection opened twice")
        let state = State()
        states[ObjectIdentifier(connection)] = state
        connections.append(connection)
        // Mostly reassembled (the control-channel path); one connection in four only counted (the data path).
        state.countOnly = connection.originator.port == 40003 || connection.responder.port == 40003
        return state.countOnly ? .countOnly : .reassemble
    }

    func connection(
        _ connection: TCPConnection, received data: UnsafeRawBufferPointer, from direction: Direction, at time: Timestamp
    ) {
        guard let state = states[ObjectIdentifier(connection)] else { failCheck("bytes before open") }
        check(!state.closed, "bytes after close")
        check(!state.countOnly, "bytes delivered on a count-only connection")
        check(!data.isEmpty, "empty delivery")
        let side = state.sides[direction.rawValue]
        if checkContent {
            if side.base == nil { side.base = seqLowByte(of: data[0]) &- UInt8(truncatingIfNeeded: side.next) }
            let base = side.base!
            for (index, byte) in data.enumerated() {
                let low = base &+ UInt8(truncatingIfNeeded: side.next &+ UInt64(index))
                check(byte == patternByte(UInt32(low)), "byte out of place at offset \(side.next + UInt64(index))")
            }
        }
        side.next += UInt64(data.count)
    }

    func connection(
        _ connection: TCPConnection, gapAt offset: UInt64, length: UInt64, from direction: Direction, at time: Timestamp
    ) {
        guard let state = states[ObjectIdentifier(connection)] else { failCheck("gap before open") }
        check(!state.closed, "gap after close")
        check(length > 0, "empty gap")
        let side = state.sides[direction.rawValue]
        if state.countOnly {
            check(offset >= side.next, "count-only gap at \(offset) goes back before \(side.next)")
            side.next = offset + length
            return
        }
        check(offset == side.next, "gap at \(offset), stream at \(side.next)")
        side.next += length
    }

    func connectionClosed(_ connection: TCPConnection) {
        guard let state = states[ObjectIdentifier(connection)] else { failCheck("close before open") }
        check(!state.closed, "closed twice")
        state.closed = true
    }
}

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let checker = Checker()
    // Small caps, so the fuzzer reaches them with short inputs.
    let limits = ReassemblyLimits(
        maxOutOfOrderBytesPerConnection: 1500, maxOutOfOrderBytesTotal: 2500, maxConnections: 3,
        idleTimeout: 30_000_000_000, shortIdleTimeout: 5_000_000_000, maxSequenceJump: 1 << 20,
        outOfOrderEntryOverhead: 48)
    let reassembler = TCPReassembler(delegate: checker, limits: limits)
    let server = Endpoint(address: .v4(0xC000_0202), port: 21)
    var time = Timestamp(nanoseconds: 1_700_000_000_000_000_000)
    var payload = [UInt8](repeating: 0, count: 255)
    var record = 0
    // Content is checked only when no record asks for an inconsistent retransmission.
    checker.checkContent = !stride(from: 1, to: size, by: 8).contains { input[$0] & 0x08 != 0 }
    while record + 8 <= size {
        let r = UnsafeBufferPointer(rebasing: input[record..<(record + 8)])
        record += 8
        let flags = TCPFlags(rawValue: r[0] & 0x1F)
        let fromServer = r[1] & 1 == 1
        let connectionIndex = UInt16((r[1] >> 1) & 3)
        let client = Endpoint(address: .v4(0xC000_0201), port: 40000 + connectionIndex)
        // Initial sequence numbers: one side near the 2^32 wrap, to exercise serial arithmetic.
        let isn: UInt32 = fromServer ? 0x4000_0000 &+ UInt32(connectionIndex) : 0xFFFF_FF00 &- UInt32(connectionIndex)
        let peerISN: UInt32 = fromServer ? 0xFFFF_FF00 &- UInt32(connectionIndex) : 0x4000_0000 &+ UInt32(connectionIndex)
        var offset = Int64(Int16(bitPattern: UInt16(r[2]) | UInt16(r[3]) << 8))
        if r[6] & 0x80 != 0 { offset *= 1 << 16 }
        let seq = flags.contains(.syn) ? isn : isn &+ UInt32(truncatingIfNeeded: offset)
        let length = Int(r[4])
        let flip: UInt8 = r[1] & 0x08 != 0 ? 0x55 : 0
        // The SYN occupies the ISN, so data carried on a SYN starts at ISN + 1.
        let dataSeq = flags.contains(.syn) ? seq &+ 1 : seq
        for index in 0..<length { payload[index] = patternByte(dataSeq &+ UInt32(index)) ^ flip }
        let wire = r[1] & 0x10 != 0 ? length + Int(r[7]) : length
        time = time.adding(nanoseconds: r[5] == 255 ? 10_000_000_000 : Int64(r[5]) * 1_000_000)
        let segment = TCPSegment(
            flow: fromServer ? FlowKey(source: server, destination: client) : FlowKey(source: client, destination: server),
            seq: SeqNumber(seq), ack: SeqNumber(peerISN &+ UInt32(r[6] & 0x7F)), flags: flags, window: 65535,
            payloadOffset: 0, payloadLength: length, wirePayloadLength: wire)
        payload.withUnsafeBytes { reassembler.process(segment, payload: UnsafeRawBufferPointer(rebasing: $0[0..<length]), at: time) }
        check(reassembler.counters.bufferedBytes <= limits.maxOutOfOrderBytesTotal, "overall cap exceeded")
        check(reassembler.counters.bufferedBytes >= 0, "negative held bytes")
        if record % 64 == 0 { reassembler.expireIdle(now: time) }
    }
    reassembler.finish(at: time)
    check(reassembler.counters.bufferedBytes == 0, "bytes still held after finish")
    for state in checker.states.values { check(state.closed, "connection never closed") }
    return 0
}
