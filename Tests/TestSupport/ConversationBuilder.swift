import NetworkTypes

/// Scripts one TCP connection as a list of timestamped frames, keeping sequence and acknowledgement numbers and
/// the clock in step, for synthetic captures (`PcapWriter`) and pipeline tests.
///
/// ```swift
/// var control = ConversationBuilder(client: client, server: server)
/// control.handshake()
/// control.serverSends("220 ready\r\n")
/// control.clientSends("USER anonymous\r\n")
/// control.clientFIN()
/// control.serverFIN()
/// let frames = control.packets
/// ```
///
/// Every segment acknowledges everything the peer has sent so far (after the handshake), so the peer's data is
/// acknowledged by the next segment going the other way; call `ack(from:)` for a pure ACK. The clock advances by
/// `step` before each packet. Several builders' packets are merged in time order with `interleave(_:)`.
public struct ConversationBuilder: Sendable {
    /// One end of the connection.
    public enum Side: Sendable, Equatable {
        /// The side that opened the connection.
        case client
        /// The side that was connected to.
        case server
    }

    /// The connecting endpoint.
    public var client: Endpoint
    /// The listening endpoint.
    public var server: Endpoint
    /// Link type of the frames produced.
    public var link: LinkType
    /// VLAN tags put on every frame (outermost first).
    public var vlanTags: [UInt16] = []
    /// Time of the last packet produced (or the start time before any).
    public var time: Timestamp
    /// Nanoseconds the clock advances before each packet (1 ms by default).
    public var step: Int64
    /// Sequence number of the client's next byte.
    public var clientSeq: UInt32
    /// Sequence number of the server's next byte.
    public var serverSeq: UInt32
    /// Window advertised in every segment.
    public var window: UInt16 = 65535
    /// Pad Ethernet frames to the 60-byte minimum as a real NIC does.
    public var padShortEthernetFrames = true
    /// Maximum payload per segment; longer sends are split.
    public var maximumSegmentSize = 1460
    /// The frames so far, in order.
    public var packets: [(Timestamp, [UInt8])] = []

    private var clientSentSYN = false
    private var serverSentSYN = false

    /// Starts a conversation; nothing is sent until a method is called.
    public init(
        client: Endpoint, server: Endpoint, link: LinkType = .ethernet,
        start: Timestamp = Timestamp(seconds: 1_714_557_600, nanoseconds: 0), clientISN: UInt32 = 1_000_000,
        serverISN: UInt32 = 2_000_000, step: Int64 = 1_000_000
    ) {
        self.client = client
        self.server = server
        self.link = link
        self.time = start
        self.step = step
        self.clientSeq = clientISN
        self.serverSeq = serverISN
    }

    /// The flow from `side` to its peer.
    public func flow(from side: Side) -> FlowKey {
        side == .client ? FlowKey(source: client, destination: server) : FlowKey(source: server, destination: client)
    }

    /// SYN, SYN-ACK, ACK.
    public mutating func handshake() {
        syn()
        segment(from: .server, flags: [.syn, .ack])
        ack(from: .client)
    }

    /// The client's SYN alone.
    public mutating func syn() {
        segment(from: .client, flags: .syn)
    }

    /// A SYN answered by RST-ACK: the server's port is closed or a firewall rejects the connection.
    public mutating func synRefused() {
        syn()
        // RFC 9293 section 3.10.7.1: the reset to a SYN has sequence 0 and acknowledges the SYN.
        emit(from: .server, seq: 0, ack: clientSeq, flags: [.rst, .ack], payload: [])
    }

    /// `count` SYNs with no answer, retransmitted after `initialTimeout` nanoseconds, doubling each time
    /// (RFC 6298's backoff; Linux starts at 1 s).
    public mutating func synUnanswered(count: Int = 3, initialTimeout: Int64 = 1_000_000_000) {
        var timeout = initialTimeout
        for attempt in 0..<count {
            if attempt > 0 {
                time = time.adding(nanoseconds: timeout - step)
                timeout *= 2
                clientSeq &-= 1  // a retransmission repeats the same initial sequence number
                clientSentSYN = false
            }
            syn()
        }
    }

    /// The client sends text (UTF-8).
    public mutating func clientSends(_ text: String) { send(from: .client, Array(text.utf8)) }

    /// The server sends text (UTF-8).
    public mutating func serverSends(_ text: String) { send(from: .server, Array(text.utf8)) }

    /// The client sends bytes.
    public mutating func clientSends(_ bytes: [UInt8]) { send(from: .client, bytes) }

    /// The server sends bytes.
    public mutating func serverSends(_ bytes: [UInt8]) { send(from: .server, bytes) }

    /// `side` sends bytes, split into segments of at most `maximumSegmentSize`, the last one with PSH.
    public mutating func send(from side: Side, _ bytes: [UInt8]) {
        var start = 0
        repeat {
            let end = min(start + maximumSegmentSize, bytes.count)
            segment(from: side, flags: end == bytes.count ? [.psh, .ack] : .ack, payload: Array(bytes[start..<end]))
            start = end
        } while start < bytes.count
    }

    /// A pure ACK from `side`.
    public mutating func ack(from side: Side) {
        segment(from: side, flags: .ack)
    }

    /// The client closes (FIN-ACK); unless `peerAcknowledges` is false the server then acknowledges the FIN.
    public mutating func clientFIN(peerAcknowledges: Bool = true) {
        segment(from: .client, flags: [.fin, .ack])
        if peerAcknowledges { ack(from: .server) }
    }

    /// The server closes (FIN-ACK); unless `peerAcknowledges` is false the client then acknowledges the FIN.
    public mutating func serverFIN(peerAcknowledges: Bool = true) {
        segment(from: .server, flags: [.fin, .ack])
        if peerAcknowledges { ack(from: .client) }
    }

    /// `side` aborts the connection with RST-ACK.
    public mutating func reset(from side: Side) {
        segment(from: side, flags: [.rst, .ack])
    }

    /// A segment from `side` at the current sequence numbers; SYN, FIN and payload advance the sender's sequence.
    public mutating func segment(from side: Side, flags: TCPFlags, payload: [UInt8] = []) {
        let seq = side == .client ? clientSeq : serverSeq
        let peerSeq = side == .client ? serverSeq : clientSeq
        let peerSynced = side == .client ? serverSentSYN : clientSentSYN
        emit(
            from: side, seq: seq, ack: flags.contains(.ack) && peerSynced ? peerSeq : 0, flags: flags, payload: payload)
        var advance = UInt32(truncatingIfNeeded: payload.count)
        if flags.contains(.syn) { advance &+= 1 }
        if flags.contains(.fin) { advance &+= 1 }
        if side == .client {
            clientSeq &+= advance
            if flags.contains(.syn) { clientSentSYN = true }
        } else {
            serverSeq &+= advance
            if flags.contains(.syn) { serverSentSYN = true }
        }
    }

    /// A segment with explicit numbers that leaves the builder's sequence numbers alone (retransmissions,
    /// out-of-window segments, crafted resets).
    public mutating func emit(from side: Side, seq: UInt32, ack: UInt32, flags: TCPFlags, payload: [UInt8]) {
        let key = flow(from: side)
        let unpadded = FrameBuilder.tcp(
            from: key.source, to: key.destination, seq: seq, ack: ack, flags: flags, window: window, payload: payload,
            link: link, vlanTags: vlanTags)
        let padding = link == .ethernet && padShortEthernetFrames ? max(0, 60 - unpadded.count) : 0
        append(unpadded + [UInt8](repeating: 0, count: padding))
    }

    /// Appends any frame (ICMP, ARP, a fragment from `FrameBuilder`) after advancing the clock by `step`.
    public mutating func append(_ frame: [UInt8]) {
        time = time.adding(nanoseconds: step)
        packets.append((time, frame))
    }

    /// Moves the clock forward without sending (idle periods, timeouts).
    public mutating func wait(nanoseconds: Int64) {
        time = time.adding(nanoseconds: nanoseconds)
    }

    /// Merges packet lists into one in time order; packets with equal times keep the order of the lists given.
    public static func interleave(_ lists: [[(Timestamp, [UInt8])]]) -> [(Timestamp, [UInt8])] {
        var indexed: [(Timestamp, Int, Int, [UInt8])] = []
        for (listIndex, list) in lists.enumerated() {
            for (packetIndex, packet) in list.enumerated() {
                indexed.append((packet.0, listIndex, packetIndex, packet.1))
            }
        }
        indexed.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        return indexed.map { ($0.0, $0.3) }
    }
}
