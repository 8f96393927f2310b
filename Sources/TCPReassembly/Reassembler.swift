import NetworkTypes
import PacketDecoding

/// Tracks TCP connections and turns segments into ordered bytes, gaps and connection outcomes for a delegate.
///
/// Single-threaded and synchronous: call it from the one task that owns the packet loop. In-order payload is
/// handed to the delegate straight from the caller's borrowed buffer; only segments that arrive ahead of a hole
/// are copied, within `ReassemblyLimits`.
public final class TCPReassembler<Delegate: TCPStreamDelegate> {
    /// Receives connection events.
    public let delegate: Delegate
    /// The bounds in force.
    public let limits: ReassemblyLimits
    /// What has happened so far.
    public private(set) var counters = ReassemblyCounters()
    /// Connections open now (closed records kept to absorb trailing packets are not counted).
    public private(set) var activeConnectionCount = 0

    private var table: [FlowKey: TCPConnection] = [:]
    private var nextSerial: UInt64 = 0
    // Idle lists, least recently active first. The table owns the connections; every listed connection is in
    // the table, so the links need not retain (and a million-long chain is never released recursively).
    private unowned(unsafe) var longHead: TCPConnection?
    private unowned(unsafe) var longTail: TCPConnection?
    private unowned(unsafe) var shortHead: TCPConnection?
    private unowned(unsafe) var shortTail: TCPConnection?
    private unowned(unsafe) var closedHead: TCPConnection?
    private unowned(unsafe) var closedTail: TCPConnection?
    /// Recently used connections, direct-mapped by a cheap mix of the flow key: a hit skips hashing the key
    /// with SipHash for the table. Every entry is in the table; an entry is cleared when its connection leaves it.
    private var recent = [TCPConnection?](repeating: nil, count: TCPReassembler.recentSlots)
    private static var recentSlots: Int { 256 }  // `recentSlot` takes the top 8 bits of its mix
    /// Emptied buffers of delivered out-of-order segments, reused so steady reordering does not allocate.
    private var bufferPool: [[UInt8]] = []
    private static var poolLimit: Int { 256 }
    private static var pooledCapacityLimit: Int { 1 << 16 }

    /// Creates a reassembler.
    public init(delegate: Delegate, limits: ReassemblyLimits = .init()) {
        self.delegate = delegate
        self.limits = limits
        table.reserveCapacity(min(limits.maxConnections, 4096))
    }

    /// The `recent` slot of a (canonical) flow key: ports and addresses folded and multiplied (Fibonacci hashing).
    @inline(__always) private static func recentSlot(_ key: FlowKey) -> Int {
        func bits(_ address: IPAddress) -> UInt64 {
            switch address {
            case .v4(let value): return UInt64(value)
            case .v6(let high, let low): return high ^ low
            }
        }
        let ports = UInt64(key.source.port) << 16 | UInt64(key.destination.port)
        let mixed = (bits(key.source.address) &* 31 ^ bits(key.destination.address) ^ ports) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> 56)
    }

    /// Connection records held, closed ones still absorbing stragglers included.
    public var trackedConnectionCount: Int { table.count }

    /// A live (not yet closed) connection carrying `flow` in either direction.
    public func connection(for flow: FlowKey) -> TCPConnection? {
        guard let connection = table[flow.canonical], !connection.isClosed else { return nil }
        return connection
    }

    // MARK: - Segments

    /// One segment; `payload` is borrowed (valid only during the call) and holds the captured payload bytes.
    public func process(_ segment: TCPSegment, payload: UnsafeRawBufferPointer, at time: Timestamp) {
        counters.segments &+= 1
        let flags = segment.flags
        let isSYN = flags.contains(.syn)
        let hasACK = flags.contains(.ack)
        let isFIN = flags.contains(.fin)
        let isRST = flags.contains(.rst)
        let key = segment.flow.canonical

        let connection: TCPConnection
        var isNew = false
        let slot = TCPReassembler.recentSlot(key)
        let found: TCPConnection?
        if let cached = recent[slot], cached.key == key {
            found = cached
        } else {
            found = table[key]
            if let found { recent[slot] = found }
        }
        if let existing = found {
            if isSYN && !hasACK && startsNewConnection(existing, segment) {
                counters.portReuses &+= 1
                if !existing.isClosed { close(existing, withoutClose: true, at: time) }
                unlink(existing)
                table.removeValue(forKey: key)
                recent[slot] = nil
                connection = create(segment, key: key, at: time)
                isNew = true
            } else if existing.isClosed {
                // RFC 9293 section 3.6: after the close, the peer's last ACK and retransmitted FINs still flow
                // (TIME-WAIT). They belong to the finished connection: count them, report nothing.
                // Zeek's history keeps recording them too (the final ACK is the `a` of `ShAdDaFfa`-style strings).
                counters.lateSegments &+= 1
                let lateDirection = direction(of: segment, in: existing)
                let side = existing.side(lateDirection)
                side.stats.packets &+= 1
                recordHistory(existing, lateDirection, flags: flags, payloadLength: max(segment.wirePayloadLength, payload.count))
                if isSYN { side.stats.syns &+= 1 }
                if existing.lastTime < time { existing.lastTime = time }
                touch(existing)
                return
            } else {
                connection = existing
            }
        } else {
            connection = create(segment, key: key, at: time)
            isNew = true
        }

        let direction = direction(of: segment, in: connection)
        // The connection owns both sides for the whole call: borrowing them without retain/release is safe and
        // saves two atomic pairs per segment.
        unowned(unsafe) let me = connection.side(direction)
        unowned(unsafe) let peer = connection.side(direction.opposite)
        let captured = min(payload.count, max(0, segment.payloadLength))
        let wire = max(segment.wirePayloadLength, captured)

        me.stats.packets &+= 1
        if connection.lastTime < time { connection.lastTime = time }
        updateEndpoints(connection, direction, flags: flags, payloadLength: wire)
        recordHistory(connection, direction, flags: flags, payloadLength: wire)
        if isSYN {
            me.stats.syns &+= 1
            if hasACK && direction == .responder { connection.sawSYNACK = true }
        }
        if isFIN {
            me.stats.sawFIN = true
            connection.finSeen = true
        }
        if isRST { me.stats.sawRST = true }
        me.noteControl(fin: isFIN, rst: isRST, syn: isSYN, ack: hasACK, window: segment.window, at: time)

        if isNew {
            connection.handling = delegate.connectionOpened(connection)
        }
        syncHandling(connection)

        // RFC 9293 section 3.4: the SYN occupies one sequence number, so data starts at ISN + 1.
        let dataSeq = isSYN ? segment.seq.advanced(by: 1) : segment.seq
        if isSYN {
            // A SYN re-anchors a side that has not moved yet (a retransmitted SYN with a new ISN included).
            if !me.started || (me.nextOffset == 0 && me.pending.isEmpty) {
                me.anchor(at: dataSeq)
                me.synSeq = segment.seq
            }
        } else if !me.started && !isRST {
            // Mid-stream: the first segment's seq is where this side's stream begins for us. (A RST's seq is not
            // trusted: a RST answering a SYN may carry 0, RFC 9293 section 3.10.7.1.)
            me.anchor(at: segment.seq)
        }

        if me.started && !isRST {
            let start = me.offset(of: dataSeq)
            if wire == 0 {
                me.noteSequence(at: start)
            } else {
                me.noteSent(start: start, length: wire)
                ingest(connection, direction, me, start: start, payload: payload, captured: captured, wire: wire, at: time)
            }
            if isFIN && me.finOffset == nil { me.finOffset = start + Int64(wire) }
        }

        // The peer acknowledging bytes we never saw proves they were sent: they are a gap, not a delay.
        if hasACK && !isRST && peer.started && connection.appliedHandling != .ignore && !connection.isClosed {
            acknowledge(connection, direction.opposite, peer, ack: segment.ack, at: time)
        }

        // Close promptly on RST, or once both sides sent FIN (the last ACK is not waited for).
        if isRST {
            connection.closedByRST = true
            close(connection, withoutClose: false, at: time)
        } else if connection.orig.stats.sawFIN && connection.resp.stats.sawFIN {
            close(connection, withoutClose: false, at: time)
        }
        touch(connection)
    }

    private func direction(of segment: TCPSegment, in connection: TCPConnection) -> Direction {
        segment.flow.source == connection.originator ? .originator : .responder
    }

    /// Whether a SYN (without ACK) on an existing entry opens a new connection on the same ports.
    private func startsNewConnection(_ existing: TCPConnection, _ segment: TCPSegment) -> Bool {
        let sender = existing.side(direction(of: segment, in: existing))
        let sameISN = sender.synSeq == segment.seq
        if existing.isClosed {
            // A SYN with the old ISN right after a RST crossed the RST in flight: a retransmission, not a retry.
            return !(existing.closedByRST && sameISN)
        }
        if sameISN { return false }
        // A live connection is replaced only when it evidently finished or carried data we missed the end of;
        // an unanswered attempt that retries with another ISN stays one connection (its SYN count grows).
        let o = existing.orig.stats
        let r = existing.resp.stats
        let carriedData = o.bytes + o.missingBytes + r.bytes + r.missingBytes > 0
        return o.sawFIN || r.sawFIN || carriedData
    }

    private func create(_ segment: TCPSegment, key: FlowKey, at time: Timestamp) -> TCPConnection {
        if table.count >= limits.maxConnections { evictOne(at: time) }
        let flags = segment.flags
        let source = segment.flow.source
        let destination = segment.flow.destination
        let sourceOpens: Bool
        if flags.contains(.syn) {
            // The SYN sender opens; a SYN-ACK seen first is the acceptor's answer, so its receiver opened.
            sourceOpens = !flags.contains(.ack)
        } else {
            // Mid-stream: assume the sender opened, unless it talks from a privileged port to an ephemeral one,
            // which is what servers do.
            sourceOpens = !(source.port < 1024 && destination.port >= 1024)
        }
        let connection = TCPConnection(
            originator: sourceOpens ? source : destination,
            responder: sourceOpens ? destination : source,
            sawInitialSYN: flags.contains(.syn) && !flags.contains(.ack),
            firstTime: time,
            serial: nextSerial)
        connection.key = key
        nextSerial &+= 1
        table[key] = connection
        activeConnectionCount += 1
        counters.connectionsSeen &+= 1
        return connection
    }

    // MARK: - Zeek state and history

    /// Zeek's per-endpoint TCP state machine (TCPSessionAdapter: UpdateInactiveState and friends), reduced to
    /// what `conn_state` reads.
    private func updateEndpoints(_ connection: TCPConnection, _ direction: Direction, flags: TCPFlags, payloadLength: Int) {
        unowned(unsafe) let me = connection.side(direction)
        unowned(unsafe) let peer = connection.side(direction.opposite)
        let isOrig = direction == .originator
        let syn = flags.contains(.syn)
        let ack = flags.contains(.ack)
        let fin = flags.contains(.fin)
        let rst = flags.contains(.rst)
        switch me.endpoint {
        case .inactive:
            if syn {
                if isOrig {
                    me.endpoint = ack ? .synAckSent : .synSent
                } else {
                    // The acceptor's SYN(-ACK) establishes both sides as far as Zeek is concerned.
                    if peer.endpoint == .synSent { peer.endpoint = .established }
                    me.endpoint = .established
                }
            }
            if fin { me.endpoint = .closed }
            if rst { me.endpoint = .reset }
            if me.endpoint == .inactive {
                if !isOrig && payloadLength == 0 && peer.endpoint == .synSent {
                    // Some stacks ACK a SYN before answering it; that does not make a partial connection.
                } else if ack && peer.endpoint == .established {
                    me.endpoint = .established
                } else {
                    me.endpoint = .partial
                }
            }
        case .synSent, .synAckSent:
            if fin { me.endpoint = .closed }
            if rst { me.endpoint = .reset }
        case .partial, .established:
            if syn && !ack && me.endpoint == .partial && peer.endpoint == .inactive { me.endpoint = .synSent }
            if fin { me.endpoint = .closed }
            if rst { me.endpoint = .reset }
        case .closed:
            if rst { me.endpoint = .reset }
        case .reset:
            break
        }
    }

    /// Zeek's history letters: one control letter per packet when exactly one of SYN/FIN/RST is set, I for
    /// FIN+RST, Q for other combinations, else D for payload or A for a pure ACK.
    private func recordHistory(_ connection: TCPConnection, _ direction: Direction, flags: TCPFlags, payloadLength: Int) {
        let syn = flags.contains(.syn)
        let fin = flags.contains(.fin)
        let rst = flags.contains(.rst)
        let controlBits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0)
        if controlBits > 1 {
            connection.addHistory(fin && rst ? UInt8(ascii: "I") : UInt8(ascii: "Q"), direction)
        } else if syn {
            connection.addHistory(flags.contains(.ack) ? UInt8(ascii: "H") : UInt8(ascii: "S"), direction)
        } else if fin {
            connection.addHistory(UInt8(ascii: "F"), direction)
        } else if rst {
            connection.addHistory(UInt8(ascii: "R"), direction)
        } else if payloadLength > 0 {
            connection.addHistory(UInt8(ascii: "D"), direction)
        } else if flags.contains(.ack) {
            connection.addHistory(UInt8(ascii: "A"), direction)
        }
    }

    // MARK: - Payload

    /// Takes one segment's payload, which starts at stream offset `start`.
    private func ingest(
        _ connection: TCPConnection, _ direction: Direction, _ me: DirectionState, start: Int64,
        payload: UnsafeRawBufferPointer, captured: Int, wire: Int, at time: Timestamp
    ) {
        let handling = connection.appliedHandling
        let end = start + Int64(wire)
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

    private func retransmitted(_ connection: TCPConnection, _ direction: Direction, _ me: DirectionState, bytes: Int) {
        guard bytes > 0 else { return }
        me.stats.retransmittedBytes &+= UInt64(bytes)
        counters.retransmittedBytes &+= UInt64(bytes)
        connection.addHistory(UInt8(ascii: "T"), direction)
    }

    /// Holds a segment that is ahead of the next expected byte, or gives up the holes before it when a cap is hit.
    private func hold(
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
    private func insertPieces(
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

    private func addPending(_ me: DirectionState, offset: Int64, payload: UnsafeRawBufferPointer, from: Int, length: Int, keepBytes: Bool) {
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

    private func charge(_ me: DirectionState, _ cost: Int) {
        me.pendingCost += cost
        counters.bufferedBytes += cost
        if counters.bufferedBytes > counters.bufferedBytesPeak { counters.bufferedBytesPeak = counters.bufferedBytes }
    }

    private func recycle(_ bytes: inout [UInt8]) {
        var buffer: [UInt8] = []
        swap(&buffer, &bytes)
        guard buffer.capacity > 0, buffer.capacity <= Self.pooledCapacityLimit, bufferPool.count < Self.poolLimit else { return }
        buffer.removeAll(keepingCapacity: true)
        bufferPool.append(buffer)
    }

    /// Delivers held segments that have become contiguous with the stream.
    private func drain(_ connection: TCPConnection, _ direction: Direction, _ me: DirectionState, at time: Timestamp) {
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
                        delegate.connection(connection, received: UnsafeRawBufferPointer(rebasing: bytes[skipCount...]), from: direction, at: time)
                    }
                }
            }
            recycle(&entry.bytes)
        }
    }

    /// Moves the stream to `target`, reporting the holes on the way as gaps and delivering held data between them.
    private func skip(_ connection: TCPConnection, _ direction: Direction, _ me: DirectionState, to target: Int64, at time: Timestamp) {
        while me.nextOffset < target {
            if let first = me.pending.first, first.offset < target {
                if first.offset > me.nextOffset { gap(connection, direction, me, length: first.offset - me.nextOffset, at: time) }
                drain(connection, direction, me, at: time)
            } else {
                gap(connection, direction, me, length: target - me.nextOffset, at: time)
            }
        }
    }

    private func gap(_ connection: TCPConnection, _ direction: Direction, _ me: DirectionState, length: Int64, at time: Timestamp) {
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
    private func acknowledge(_ connection: TCPConnection, _ direction: Direction, _ side: DirectionState, ack: SeqNumber, at time: Timestamp) {
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
    private func syncHandling(_ connection: TCPConnection) {
        let wanted = connection.handling
        guard wanted != connection.appliedHandling else { return }
        connection.appliedHandling = wanted
        adapt(connection.orig, to: wanted)
        adapt(connection.resp, to: wanted)
    }

    private func adapt(_ side: DirectionState, to handling: StreamHandling) {
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

    private func dropPending(_ side: DirectionState) {
        for index in side.pending.indices { recycle(&side.pending[index].bytes) }
        side.pending.removeAll(keepingCapacity: true)
        counters.bufferedBytes -= side.pendingCost
        side.pendingCost = 0
    }

    // MARK: - Closing and expiry

    /// Delivers what is held (with the holes before it as gaps), then reports the connection closed.
    private func close(_ connection: TCPConnection, withoutClose: Bool, at time: Timestamp) {
        guard !connection.isClosed else { return }
        if connection.appliedHandling != .ignore {
            flush(connection, .originator, at: time)
            flush(connection, .responder, at: time)
        }
        dropPending(connection.orig)
        dropPending(connection.resp)
        connection.endedWithoutClose = withoutClose
        connection.isClosed = true
        activeConnectionCount -= 1
        counters.connectionsClosed &+= 1
        delegate.connectionClosed(connection)
    }

    private func flush(_ connection: TCPConnection, _ direction: Direction, at time: Timestamp) {
        let side = connection.side(direction)
        guard side.started else { return }
        var target = side.pending.last?.end ?? side.nextOffset
        // Bytes before a captured FIN were sent even if we never saw them.
        if let fin = side.finOffset, fin > target { target = fin }
        if target > side.nextOffset { skip(connection, direction, side, to: target, at: time) }
    }

    /// Expire connections idle longer than their timeout as of `now` (calls `connectionClosed` with
    /// `endedWithoutClose`). Cost is proportional to what expires, so the caller may call it often.
    public func expireIdle(now: Timestamp) {
        expire(list: .closed, timeout: limits.closedLinger, now: now)
        expire(list: .short, timeout: limits.shortIdleTimeout, now: now)
        expire(list: .long, timeout: limits.idleTimeout, now: now)
    }

    private func head(of list: IdleList) -> TCPConnection? {
        switch list {
        case .long: return longHead
        case .short: return shortHead
        case .closed: return closedHead
        case .none: return nil
        }
    }

    private func expire(list: IdleList, timeout: Int64, now: Timestamp) {
        while let head = head(of: list), head.queuedTime.nanoseconds(to: now) > timeout {
            if head.lastTime.nanoseconds(to: now) <= timeout {
                // Active since it was queued (see `touch`): it goes to the back now, in its turn.
                requeue(head)
                continue
            }
            unlink(head)
            if !head.isClosed {
                counters.connectionsExpired &+= 1
                close(head, withoutClose: true, at: now)
            }
            remove(head)
        }
    }

    private func evictOne(at time: Timestamp) {
        // Closed records and unanswered attempts go first, then the least recently active connection.
        var candidate = closedHead ?? shortHead ?? longHead
        while let head = candidate, head.lastTime > head.queuedTime {
            // Active since it was queued: not the least recently active after all.
            requeue(head)
            candidate = closedHead ?? shortHead ?? longHead
        }
        guard let victim = candidate else { return }
        unlink(victim)
        if !victim.isClosed {
            counters.connectionsEvicted &+= 1
            close(victim, withoutClose: true, at: time)
        }
        remove(victim)
    }

    private func remove(_ connection: TCPConnection) {
        if table[connection.key] === connection { table.removeValue(forKey: connection.key) }
        let slot = TCPReassembler.recentSlot(connection.key)
        if recent[slot] === connection { recent[slot] = nil }
    }

    /// End of input: deliver what is held (gaps before it), close every live connection in order of first
    /// packet (`endedWithoutClose` = true), and forget all records.
    public func finish(at time: Timestamp) {
        var live: [TCPConnection] = []
        for connection in table.values where !connection.isClosed { live.append(connection) }
        live.sort { $0.serial < $1.serial }
        for connection in live { close(connection, withoutClose: true, at: time) }
        for connection in table.values {
            connection.idleNext = nil
            connection.idlePrev = nil
            connection.idleList = .none
        }
        shortHead = nil
        shortTail = nil
        longHead = nil
        longTail = nil
        closedHead = nil
        closedTail = nil
        for slot in recent.indices { recent[slot] = nil }
        table.removeAll()
    }

    // MARK: - Idle lists

    private func idleClass(_ connection: TCPConnection) -> IdleList {
        if connection.isClosed { return .closed }
        if connection.finSeen { return .short }
        // An answered connection never turns back into an unanswered attempt.
        if connection.idleList == .long { return .long }
        if connection.orig.endpoint == .synSent && connection.resp.endpoint == .inactive { return .short }
        return .long
    }

    /// Called for every segment: puts a connection on the idle list its state calls for.
    ///
    /// Lists are kept lazily: a connection that stays on its list is not moved to the back on each segment (that
    /// relinking was a tenth of the data-heavy benchmark). Each list is ordered by `queuedTime`, when the
    /// connection was put there; expiry and eviction look at `lastTime` and send a connection that has been
    /// active since it was queued to the back instead. So each connection moves at most once per timeout.
    private func touch(_ connection: TCPConnection) {
        let list = idleClass(connection)
        if connection.idleList == list { return }
        unlink(connection)
        append(connection, to: list)
    }

    /// Sends a connection to the back of its list, queued as of its last activity.
    private func requeue(_ connection: TCPConnection) {
        let list = connection.idleList
        unlink(connection)
        append(connection, to: list)
    }

    private func append(_ connection: TCPConnection, to list: IdleList) {
        connection.idleList = list
        switch list {
        case .short:
            connection.queuedTime = queueTime(connection, after: shortTail)
            connection.idlePrev = shortTail
            if let tail = shortTail { tail.idleNext = connection } else { shortHead = connection }
            shortTail = connection
        case .closed:
            connection.queuedTime = queueTime(connection, after: closedTail)
            connection.idlePrev = closedTail
            if let tail = closedTail { tail.idleNext = connection } else { closedHead = connection }
            closedTail = connection
        case .long, .none:
            connection.queuedTime = queueTime(connection, after: longTail)
            connection.idlePrev = longTail
            if let tail = longTail { tail.idleNext = connection } else { longHead = connection }
            longTail = connection
        }
    }

    /// The connection's last activity, but never before the list's tail: the list stays ordered by `queuedTime`.
    private func queueTime(_ connection: TCPConnection, after tail: TCPConnection?) -> Timestamp {
        guard let tail, tail.queuedTime > connection.lastTime else { return connection.lastTime }
        return tail.queuedTime
    }

    private func unlink(_ connection: TCPConnection) {
        let list = connection.idleList
        guard list != .none else { return }
        let previous = connection.idlePrev
        let next = connection.idleNext
        if let previous {
            previous.idleNext = next
        } else {
            switch list {
            case .short: shortHead = next
            case .closed: closedHead = next
            case .long, .none: longHead = next
            }
        }
        if let next {
            next.idlePrev = previous
        } else {
            switch list {
            case .short: shortTail = previous
            case .closed: closedTail = previous
            case .long, .none: longTail = previous
            }
        }
        connection.idlePrev = nil
        connection.idleNext = nil
        connection.idleList = .none
    }
}
