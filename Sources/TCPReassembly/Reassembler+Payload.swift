import NetworkTypes
import PacketDecoding

/// Payload delivery: in-order bytes straight through, out-of-order pieces held within the caps, gaps, acknowledgements,
/// and what changes when the delegate changes how a connection is handled.
extension TCPReassembler {
    // MARK: - Payload

    /// Takes one segment's payload, which starts at stream offset `start`.
    func ingest(
        _ connection: TCPConnection, _ direction: Direction, _ me: DirectionState, start: Int64,
        payload: UnsafeRawBufferPointer, captured: Int, wire: Int, at time: Timestamp
    ) {
        let handling = connection.appliedHandling
        let end = start + Int64(wire)
        if start < me.nextOffset && handling == .reassemble {
            checkRetransmission(connection, direction, me, start: start, payload: payload, captured: captured, at: time)
        }
        if end <= me.nextOffset {
            // Entirely old: a retransmission (or a keep-alive probe's one stale byte).
            retransmitted(connection, direction, me, bytes: wire)
            return
        }
        if handling == .ignore {
            // Only keep the sequence position, so a later switch to another handling starts in the right place.
            if start - me.nextOffset <= limits.maxSequenceJump { me.advance(by: end - me.nextOffset) }
            return
        }
        if me.stats.firstPayloadTime == nil { me.stats.firstPayloadTime = time }
        me.stats.lastPayloadTime = time

        if start - me.nextOffset > limits.maxSequenceJump {
            counters.sequenceJumps &+= 1
            skip(connection, direction, me, to: start, at: time)
        }
        let keepBytes = handling == .reassemble
        // What we can account for: captured bytes when reassembling, the whole wire length when counting.
        let usable = keepBytes ? captured : wire
        let usableEnd = start + Int64(usable)

        if start > me.nextOffset {
            if usable > 0 { hold(connection, direction, me, start: start, payload: payload, length: usable, keepBytes: keepBytes, at: time) }
            return
        }
        let overlap = Int(me.nextOffset - start)
        if overlap > 0 { retransmitted(connection, direction, me, bytes: min(overlap, wire)) }
        if usableEnd > me.nextOffset {
            // First data wins: stop where held data begins, and let the held copy arbitrate the rest.
            let heldFrom = me.pending.first?.offset ?? Int64.max
            let directEnd = min(usableEnd, heldFrom)
            if directEnd > me.nextOffset {
                let count = directEnd - me.nextOffset
                me.advance(by: count)
                me.stats.bytes &+= UInt64(count)
                if keepBytes {
                    let slice = UnsafeRawBufferPointer(rebasing: payload[overlap..<(overlap + Int(count))])
                    delegate.connection(connection, received: slice, from: direction, at: time)
                    me.recent.append(slice, endingAt: me.nextOffset, in: &deliveryLog)
                }
            }
            if usableEnd > me.nextOffset && !connection.isClosed && connection.appliedHandling == handling {
                // The tail overlaps held segments: merge it in (copying only what they lack), then drain.
                let from = me.nextOffset
                // Count-only ranges carry no bytes (and may extend past the captured part).
                let rebased = keepBytes ? UnsafeRawBufferPointer(rebasing: payload[Int(from - start)..<usable]) : UnsafeRawBufferPointer(start: nil, count: 0)
                insertPieces(connection, direction, me, start: from, payload: rebased, length: Int(usableEnd - from), keepBytes: keepBytes)
            }
        }
        drain(connection, direction, me, at: time)
        if keepBytes && end > me.nextOffset && me.nextOffset == usableEnd && connection.appliedHandling == .reassemble {
            // The snap length cut this segment: the rest was sent but not captured.
            let limit = min(end, me.pending.first?.offset ?? Int64.max)
            gap(connection, direction, me, length: limit - me.nextOffset, at: time)
            drain(connection, direction, me, at: time)
        }
    }

    /// A segment that repeats bytes already delivered: compared with them (as far back as `RecentBytes` holds);
    /// different content is reported to the delegate. Policy: the bytes delivered first stand — a receiving
    /// host has already acknowledged and handed them to the application, so no stack lets a later copy replace
    /// them.
    func checkRetransmission(
        _ connection: TCPConnection, _ direction: Direction, _ me: DirectionState, start: Int64,
        payload: UnsafeRawBufferPointer, captured: Int, at time: Timestamp
    ) {
        let seen = UnsafeRawBufferPointer(rebasing: payload[0..<min(captured, payload.count)])
        guard let difference = me.recent.firstDifference(seen, at: start, in: &deliveryLog) else { return }
        counters.inconsistentOverlaps &+= 1
        // Evidence from the start of the repeated part (up to 64 bytes of each version).
        let from = max(start, me.recent.startOffset(in: &deliveryLog))
        let kept = me.recent.bytes(from: from, length: 64, in: &deliveryLog)
        let otherEnd = min(seen.count, Int(from - start) + 64)
        let other = Array(seen[Int(from - start)..<otherEnd])
        delegate.connection(
            connection, conflictingRetransmissionAt: UInt64(clamping: difference), kept: kept, other: other,
            keptFrom: UInt64(clamping: from), from: direction, at: time)
    }

    func retransmitted(_ connection: TCPConnection, _ direction: Direction, _ me: DirectionState, bytes: Int) {
        guard bytes > 0 else { return }
        me.stats.retransmittedBytes &+= UInt64(bytes)
        counters.retransmittedBytes &+= UInt64(bytes)
        connection.addHistory(UInt8(ascii: "T"), direction)
    }

    /// Holds a segment that is ahead of the next expected byte, or gives up the holes before it when a cap is hit.
    func hold(
        _ connection: TCPConnection, _ direction: Direction, _ me: DirectionState, start: Int64,
        payload: UnsafeRawBufferPointer, length: Int, keepBytes: Bool, at time: Timestamp
    ) {
        let cost = (keepBytes ? length : 0) + limits.outOfOrderEntryOverhead
        let connectionCost = connection.orig.pendingCost + connection.resp.pendingCost
        if connectionCost + cost > limits.maxOutOfOrderBytesPerConnection
            || counters.bufferedBytes + cost > limits.maxOutOfOrderBytesTotal
        {
            // Out of room: the holes before this segment are now gaps; the segment itself is then in order and
            // goes straight through without being copied.
            counters.capHits &+= 1
            skip(connection, direction, me, to: start, at: time)
            guard !connection.isClosed, connection.appliedHandling != .ignore else { return }
            ingest(connection, direction, me, start: start, payload: payload, captured: keepBytes ? length : 0, wire: length, at: time)
            return
        }
        counters.outOfOrderSegments &+= 1
        insertPieces(connection, direction, me, start: start, payload: payload, length: length, keepBytes: keepBytes)
    }

    /// Inserts the parts of `[start, start + length)` not already held; where held data overlaps, the held copy
    /// wins and differing bytes are counted as an inconsistent retransmission.
    func insertPieces(
        _ connection: TCPConnection, _ direction: Direction, _ me: DirectionState, start: Int64,
        payload: UnsafeRawBufferPointer, length: Int, keepBytes: Bool
    ) {
        let end = start + Int64(length)
        // First held entry that ends after `start` (binary search; entries are sorted and disjoint).
        var low = 0
        var high = me.pending.count
        while low < high {
            let mid = (low + high) / 2
            if me.pending[mid].end <= start { low = mid + 1 } else { high = mid }
        }
        var index = low
        var cursor = start
        var duplicate = 0
        var inconsistent = false
        while cursor < end {
            if index < me.pending.count && me.pending[index].offset < end {
                let heldStart = me.pending[index].offset
                if cursor < heldStart {
                    addPending(me, offset: cursor, payload: payload, from: Int(cursor - start), length: Int(heldStart - cursor), keepBytes: keepBytes)
                    index += 1
                    cursor = heldStart
                }
                let heldEnd = me.pending[index].end
                let overlapEnd = min(end, heldEnd)
                if overlapEnd > cursor {
                    duplicate += Int(overlapEnd - cursor)
                    if keepBytes && !inconsistent && me.pending[index].hasBytes {
                        inconsistent = !me.pending[index].bytes.withUnsafeBytes { held in
                            var position = cursor
                            while position < overlapEnd {
                                if held[Int(position - heldStart)] != payload[Int(position - start)] { return false }
                                position += 1
                            }
                            return true
                        }
                    }
                    cursor = overlapEnd
                }
                index += 1
            } else {
                addPending(me, offset: cursor, payload: payload, from: Int(cursor - start), length: Int(end - cursor), keepBytes: keepBytes)
                cursor = end
            }
        }
        if duplicate > 0 { retransmitted(connection, direction, me, bytes: duplicate) }
        if inconsistent { counters.inconsistentOverlaps &+= 1 }
    }

    func addPending(_ me: DirectionState, offset: Int64, payload: UnsafeRawBufferPointer, from: Int, length: Int, keepBytes: Bool) {
        var bytes: [UInt8] = []
        if keepBytes {
            bytes = bufferPool.popLast() ?? []
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: payload[from..<(from + length)]))
        }
        let entry = PendingSegment(offset: offset, length: length, bytes: bytes)
        // Usually the newest segment is the furthest ahead: appending is the common case.
        if let last = me.pending.last, last.offset > offset {
            var low = 0
            var high = me.pending.count
            while low < high {
                let mid = (low + high) / 2
                if me.pending[mid].offset < offset { low = mid + 1 } else { high = mid }
            }
            me.pending.insert(entry, at: low)
        } else {
            me.pending.append(entry)
        }
        charge(me, (keepBytes ? length : 0) + limits.outOfOrderEntryOverhead)
    }

    func charge(_ me: DirectionState, _ cost: Int) {
        me.pendingCost += cost
        counters.bufferedBytes += cost
        if counters.bufferedBytes > counters.bufferedBytesPeak { counters.bufferedBytesPeak = counters.bufferedBytes }
    }

    func recycle(_ bytes: inout [UInt8]) {
        var buffer: [UInt8] = []
        swap(&buffer, &bytes)
        guard buffer.capacity > 0, buffer.capacity <= Self.pooledCapacityLimit, bufferPool.count < Self.poolLimit else { return }
        buffer.removeAll(keepingCapacity: true)
        bufferPool.append(buffer)
    }

    /// Delivers held segments that have become contiguous with the stream.
    func drain(_ connection: TCPConnection, _ direction: Direction, _ me: DirectionState, at time: Timestamp) {
        while true {
            if connection.handling != connection.appliedHandling { syncHandling(connection) }
            guard let first = me.pending.first, first.offset <= me.nextOffset else { return }
            var entry = me.pending.removeFirst()
            let cost = (entry.hasBytes ? entry.length : 0) + limits.outOfOrderEntryOverhead
            me.pendingCost -= cost
            counters.bufferedBytes -= cost
            if entry.end > me.nextOffset {
                let skipCount = Int(me.nextOffset - entry.offset)
                let count = entry.length - skipCount
                me.advance(by: Int64(count))
                me.stats.bytes &+= UInt64(count)
                if entry.hasBytes && connection.appliedHandling == .reassemble {
                    entry.bytes.withUnsafeBytes { bytes in
                        let slice = UnsafeRawBufferPointer(rebasing: bytes[skipCount...])
                        delegate.connection(connection, received: slice, from: direction, at: time)
                        me.recent.append(slice, endingAt: me.nextOffset, in: &deliveryLog)
                    }
                }
            }
            recycle(&entry.bytes)
        }
    }

    /// Moves the stream to `target`, reporting the holes on the way as gaps and delivering held data between them.
    func skip(_ connection: TCPConnection, _ direction: Direction, _ me: DirectionState, to target: Int64, at time: Timestamp) {
        while me.nextOffset < target {
            if let first = me.pending.first, first.offset < target {
                if first.offset > me.nextOffset { gap(connection, direction, me, length: first.offset - me.nextOffset, at: time) }
                drain(connection, direction, me, at: time)
            } else {
                gap(connection, direction, me, length: target - me.nextOffset, at: time)
            }
        }
    }

    func gap(_ connection: TCPConnection, _ direction: Direction, _ me: DirectionState, length: Int64, at time: Timestamp) {
        guard length > 0 else { return }
        let offset = me.nextOffset
        me.advance(by: length)
        guard connection.appliedHandling != .ignore else { return }
        me.stats.missingBytes &+= UInt64(length)
        counters.gaps &+= 1
        counters.gapBytes &+= UInt64(length)
        connection.addHistory(UInt8(ascii: "G"), direction)
        delegate.connection(connection, gapAt: UInt64(offset), length: UInt64(length), from: direction, at: time)
    }

    /// The peer acknowledged up to `ack`: whatever of that we have not seen is missing from the capture.
    /// Inlined into the segment paths (once per segment): nearly every ACK only moves the progress counters, and
    /// the call had cost about as much as that; the rare jump over unseen bytes calls `skip`.
    @inline(__always)
    func acknowledge(_ connection: TCPConnection, _ direction: Direction, _ side: DirectionState, ack: SeqNumber, at time: Timestamp) {
        let acked = side.offset(of: ack)
        side.noteAcknowledged(upTo: acked)
        var limit = acked
        if let fin = side.finOffset {
            // The FIN occupies the sequence number after the data (RFC 9293 section 3.4); its ACK is not data.
            limit = min(limit, fin)
        } else if acked - side.nextOffset <= 1 {
            // One unexplained sequence number is most likely an uncaptured FIN, not a lost byte.
            return
        }
        guard limit > side.nextOffset else { return }
        skip(connection, direction, side, to: limit, at: time)
    }

    // MARK: - Handling changes

    /// Brings the buffers in line with the handling the delegate chose.
    func syncHandling(_ connection: TCPConnection) {
        let wanted = connection.handling
        guard wanted != connection.appliedHandling else { return }
        connection.appliedHandling = wanted
        adapt(connection.orig, to: wanted)
        adapt(connection.resp, to: wanted)
    }

    func adapt(_ side: DirectionState, to handling: StreamHandling) {
        switch handling {
        case .ignore:
            dropPending(side)
        case .countOnly:
            // Keep the ranges so later fills are still counted once; the bytes themselves are no longer needed.
            for index in side.pending.indices where side.pending[index].hasBytes {
                let length = side.pending[index].length
                recycle(&side.pending[index].bytes)
                side.pendingCost -= length
                counters.bufferedBytes -= length
            }
        case .reassemble:
            // Ranges held while counting have no bytes to deliver: forget them; they become gaps if never resent.
            if side.pending.contains(where: { !$0.hasBytes }) {
                var kept: [PendingSegment] = []
                for var entry in side.pending {
                    if entry.hasBytes {
                        kept.append(entry)
                    } else {
                        side.pendingCost -= limits.outOfOrderEntryOverhead
                        counters.bufferedBytes -= limits.outOfOrderEntryOverhead
                        recycle(&entry.bytes)
                    }
                }
                side.pending = kept
            }
        }
    }

    func dropPending(_ side: DirectionState) {
        // Nearly every side holds nothing when its connection goes: walking and emptying its list retained and
        // released the list's storage (twice per connection).
        if side.pending.isEmpty {
            counters.bufferedBytes -= side.pendingCost
            side.pendingCost = 0
            return
        }
        for index in side.pending.indices { recycle(&side.pending[index].bytes) }
        side.pending.removeAll(keepingCapacity: true)
        counters.bufferedBytes -= side.pendingCost
        side.pendingCost = 0
    }
}
