import NetworkTypes
import PacketDecoding

/// The segment most captures are made of: an ACK, with or without payload, on a connection past its handshake.
extension TCPReassembler {
    /// Handles the common segment — ACK set, no SYN/FIN/RST, its side anchored and out of Zeek's inactive state,
    /// the handling unchanged — and returns true; returns false, having changed nothing, for anything else, which
    /// `processGeneral` takes.
    ///
    /// Exactly what `processGeneral` does for such a segment, minus the steps that are no-ops for it: the endpoint
    /// states only move on SYN/FIN/RST or from inactive, the history letter is `D` or `A` (recorded once), and
    /// `noteControl` only counts a zero window. In-order payload of a counted or ignored connection is
    /// counted here (the data connections of a data-heavy capture), in-order whole payload of a reassembled one with
    /// nothing held is delivered here (control lines); everything else goes through `ingest`.
    @inline(__always)
    func processEstablished(
        _ connection: TCPConnection, _ direction: Direction, _ segment: TCPSegment, payload: UnsafeRawBufferPointer,
        at time: Timestamp
    ) -> Bool {
        // ACK (PSH, URG, ECE, CWR allowed), none of SYN, FIN, RST: the flag byte decides in one compare.
        let controlBits = TCPFlags.syn.rawValue | TCPFlags.fin.rawValue | TCPFlags.rst.rawValue | TCPFlags.ack.rawValue
        guard segment.flags.rawValue & controlBits == TCPFlags.ack.rawValue else { return false }
        guard !connection.isClosed, connection.handling == connection.appliedHandling else { return false }
        // The sides are the connection's tail elements (TCPConnection.swift), passed by address.
        if direction == .originator {
            return established(connection, .originator, connection.orig, connection.resp, segment, payload: payload, at: time)
        } else {
            return established(connection, .responder, connection.resp, connection.orig, segment, payload: payload, at: time)
        }
    }

    @inline(__always)
    private func established(
        _ connection: TCPConnection, _ direction: Direction, _ me: DirectionState, _ peer: DirectionState,
        _ segment: TCPSegment, payload: UnsafeRawBufferPointer, at time: Timestamp
    ) -> Bool {
        guard me.started, me.endpoint != .inactive else { return false }
        let captured = min(payload.count, max(0, segment.payloadLength))
        let wire = max(segment.wirePayloadLength, captured)
        let letter = wire > 0 ? UInt8(ascii: "D") : UInt8(ascii: "A")
        let bit: UInt64 = 1 << (UInt64(letter &- UInt8(ascii: "A")) + (direction == .originator ? 0 : 32))
        // A side's first D or A (the handshake's last ACK, each side's first data) is recorded here, where
        // `recordHistory` would record it, before the acknowledgement's gaps: it took the general path (half again
        // the instructions, three segments per connection) for one letter.
        if connection.historyMask & bit == 0 { connection.addHistory(letter, direction) }

        me.stats.packets &+= 1
        if connection.lastTime < time { connection.lastTime = time }
        if segment.window == 0 { me.progress.zeroWindows &+= 1 }
        if peer.started && connection.appliedHandling != .ignore {
            acknowledge(connection, direction.opposite, peer, ack: segment.ack, at: time)
        }
        let start = me.offset(of: segment.seq)
        if wire == 0 {
            me.noteSequence(at: start)
        } else {
            me.noteSent(start: start, length: wire, at: time)
            let handling = connection.appliedHandling
            if me.finOffset == nil && start == me.nextOffset && handling != .reassemble && me.pending.isEmpty {
                // In order with nothing held, on a side whose bytes are only counted (or passed over): what
                // `ingest` and its `drain` come to.
                if handling == .countOnly {
                    if me.stats.firstPayloadTime == nil { me.stats.firstPayloadTime = time }
                    me.stats.lastPayloadTime = time
                    me.stats.bytes &+= UInt64(wire)
                }
                me.advance(by: Int64(wire))
                if handling == .countOnly && connection.handling != handling { syncHandling(connection) }
            } else if handling == .reassemble && me.finOffset == nil && start == me.nextOffset && captured == wire
                && me.pending.isEmpty
            {
                // In order, captured whole, nothing held, on a reassembled side (a control line): straight to the
                // delegate and the recent bytes, which is what `ingest` and its `drain` come to for it.
                if me.stats.firstPayloadTime == nil { me.stats.firstPayloadTime = time }
                me.stats.lastPayloadTime = time
                me.advance(by: Int64(wire))
                me.stats.bytes &+= UInt64(wire)
                let slice = UnsafeRawBufferPointer(rebasing: payload[0..<wire])
                delegate.connection(connection, received: slice, from: direction, at: time)
                me.recent.append(slice, endingAt: me.nextOffset, in: &deliveryLog)
                if connection.handling != connection.appliedHandling { syncHandling(connection) }
            } else {
                if let fin = me.finOffset, start + Int64(wire) > fin {
                    counters.dataAfterFIN &+= 1
                    delegate.connection(
                        connection, dataAfterFINAt: UInt64(clamping: max(start, fin)), length: wire, from: direction,
                        at: time)
                }
                ingest(connection, direction, me, start: start, payload: payload, captured: captured, wire: wire, at: time)
            }
        }
        if connection.finSeen && connection.orig.stats.sawFIN && connection.resp.stats.sawFIN {
            close(connection, withoutClose: false, at: time)
        }
        if connection.finSeen || connection.idleList != .long { touch(connection) }
        return true
    }
}
