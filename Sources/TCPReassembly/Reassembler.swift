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
    public internal(set) var counters = ReassemblyCounters()
    /// Connections open now (closed records kept to absorb trailing packets are not counted).
    public internal(set) var activeConnectionCount = 0

    /// Connections by flow (FlowTable.swift); owns them.
    let table: FlowTable
    /// The serial the next new connection gets (then counted up). A sharded analysis sets it to the capture's packet
    /// index before each packet, so serials order connections the same way in every worker (docs/threads.md).
    public var nextSerial: UInt64 = 0
    // Idle lists, least recently active first. The table owns the connections; every listed connection is in
    // the table, so the links need not retain (and a million-long chain is never released recursively). They are
    // `Unmanaged`, as `TCPConnection.idleNext`: linking costs no reference counting.
    var longHead: Unmanaged<TCPConnection>?
    var longTail: Unmanaged<TCPConnection>?
    var shortHead: Unmanaged<TCPConnection>?
    var shortTail: Unmanaged<TCPConnection>?
    var closedHead: Unmanaged<TCPConnection>?
    var closedTail: Unmanaged<TCPConnection>?
    /// Connections a sweep found active since they were queued, put back on their list after it (`expire`).
    var requeued: [Unmanaged<TCPConnection>] = []
    /// The bytes last delivered on every reassembled side, for comparing retransmissions (`RecentBytes`).
    var deliveryLog = DeliveryLog()
    /// Emptied buffers of delivered out-of-order segments, reused so steady reordering does not allocate.
    var bufferPool: [[UInt8]] = []
    static var poolLimit: Int { 256 }
    static var pooledCapacityLimit: Int { 1 << 16 }

    /// Creates a reassembler.
    public init(delegate: Delegate, limits: ReassemblyLimits = .init()) {
        self.delegate = delegate
        self.limits = limits
        table = FlowTable(capacity: min(limits.maxConnections, 4096))
    }

    /// Connection records held, closed ones still absorbing stragglers included.
    public var trackedConnectionCount: Int { table.count }

    /// A live (not yet closed) connection carrying `flow` in either direction.
    public func connection(for flow: FlowKey) -> TCPConnection? {
        guard let connection = table.connection(for: flow), !connection.isClosed else { return nil }
        return connection
    }

    // MARK: - Segments

    /// One segment; `payload` is borrowed (valid only during the call) and holds the captured payload bytes.
    public func process(_ segment: TCPSegment, payload: UnsafeRawBufferPointer, at time: Timestamp) {
        counters.segments &+= 1
        var forward = true
        let index = table.find(
            segment.flowHash, PackedEndpoint(segment.flow.source), PackedEndpoint(segment.flow.destination),
            forward: &forward)
        guard index >= 0 else {
            process(segment, on: create(segment, at: time), isNew: true, payload: payload, at: time)
            return
        }
        // The table holds the connection for the whole call (only the port-reuse path of `processGeneral` removes
        // it, and keeps it alive itself until done with it): borrowed without retain/release.
        let held = table.connection(at: index)
        let done = held._withUnsafeGuaranteedRef { connection in
            processEstablished(connection, forward ? .originator : .responder, segment, payload: payload, at: time)
        }
        if done { return }
        held._withUnsafeGuaranteedRef { processGeneral(segment, existing: $0, payload: payload, at: time) }
    }

    /// Every kind of segment on a connection held: port reuse, late segments of closed ones, handshakes, closes,
    /// data. (A segment of no connection held makes one: `process(_:on:isNew:payload:at:)`.)
    func processGeneral(
        _ segment: TCPSegment, existing: TCPConnection, payload: UnsafeRawBufferPointer, at time: Timestamp
    ) {
        let flags = segment.flags
        let isSYN = flags.contains(.syn)
        let hasACK = flags.contains(.ack)

        if isSYN && !hasACK && startsNewConnection(existing, segment) {
            counters.portReuses &+= 1
            // `existing` is lent by the table, which lets go of it here: kept alive until this branch is done.
            let kept = Unmanaged.passRetained(existing)
            defer { kept.release() }
            if !existing.isClosed { close(existing, withoutClose: true, at: time) }
            unlink(existing)
            table.remove(existing)
            process(segment, on: create(segment, at: time), isNew: true, payload: payload, at: time)
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
        } else {
            // Lent for the call (the table holds it): no retain/release pair around the segment's handling.
            process(segment, on: existing, isNew: false, payload: payload, at: time)
        }
    }

    /// `processGeneral` once the segment's connection is known (`isNew`: just made for it).
    private func process(
        _ segment: TCPSegment, on connection: TCPConnection, isNew: Bool, payload: UnsafeRawBufferPointer,
        at time: Timestamp
    ) {
        // The sides are the connection's tail elements (TCPConnection.swift), passed by address.
        if direction(of: segment, in: connection) == .originator {
            process(
                segment, connection, .originator, connection.orig, connection.resp, isNew: isNew, payload: payload,
                at: time)
        } else {
            process(
                segment, connection, .responder, connection.resp, connection.orig, isNew: isNew, payload: payload,
                at: time)
        }
    }

    private func process(
        _ segment: TCPSegment, _ connection: TCPConnection, _ direction: Direction, _ me: DirectionState,
        _ peer: DirectionState, isNew: Bool, payload: UnsafeRawBufferPointer, at time: Timestamp
    ) {
        let flags = segment.flags
        let isSYN = flags.contains(.syn)
        let hasACK = flags.contains(.ack)
        let isFIN = flags.contains(.fin)
        let isRST = flags.contains(.rst)
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

        // The peer acknowledging bytes we never saw proves they were sent: they are a gap, not a delay. Done before
        // this segment's own payload: what it acknowledges was sent before it, so a reply (here) comes after the
        // command it answers (held beyond the gap there) — otherwise a forward jump pairs replies with nothing.
        if hasACK && !isRST && peer.started && connection.appliedHandling != .ignore && !connection.isClosed {
            acknowledge(connection, direction.opposite, peer, ack: segment.ack, at: time)
        }

        if me.started && !isRST {
            let start = me.offset(of: dataSeq)
            if wire == 0 {
                me.noteSequence(at: start)
            } else {
                me.noteSent(start: start, length: wire, at: time)
                if let fin = me.finOffset, start + Int64(wire) > fin {
                    // Data beyond the sender's FIN. RFC 9293 (CLOSE-WAIT) tells the receiver to ignore it, but
                    // receivers that answer it exist (a QUIT after the FIN answered 221 in a report against
                    // Suricata): it is delivered, as those hosts saw it, and flagged so a reader knows.
                    counters.dataAfterFIN &+= 1
                    delegate.connection(
                        connection, dataAfterFINAt: UInt64(clamping: max(start, fin)), length: wire, from: direction, at: time)
                }
                ingest(connection, direction, me, start: start, payload: payload, captured: captured, wire: wire, at: time)
            }
            if isFIN && me.finOffset == nil { me.finOffset = start + Int64(wire) }
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

    func direction(of segment: TCPSegment, in connection: TCPConnection) -> Direction {
        segment.flow.source == connection.originator ? .originator : .responder
    }

    /// Whether a SYN (without ACK) on an existing entry opens a new connection on the same ports.
    func startsNewConnection(_ existing: TCPConnection, _ segment: TCPSegment) -> Bool {
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

    func create(_ segment: TCPSegment, at time: Timestamp) -> TCPConnection {
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
        let connection = TCPConnection.make(
            originator: sourceOpens ? source : destination,
            responder: sourceOpens ? destination : source,
            sawInitialSYN: flags.contains(.syn) && !flags.contains(.ack),
            firstTime: time,
            serial: nextSerial)
        nextSerial &+= 1
        table.insert(connection, hash: segment.flowHash)
        activeConnectionCount += 1
        counters.connectionsSeen &+= 1
        return connection
    }

    // MARK: - Zeek state and history

    /// Zeek's per-endpoint TCP state machine (TCPSessionAdapter: UpdateInactiveState and friends), reduced to
    /// what `conn_state` reads.
    func updateEndpoints(_ connection: TCPConnection, _ direction: Direction, flags: TCPFlags, payloadLength: Int) {
        let me = connection.side(direction)
        let peer = connection.side(direction.opposite)
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
    func recordHistory(_ connection: TCPConnection, _ direction: Direction, flags: TCPFlags, payloadLength: Int) {
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
}
