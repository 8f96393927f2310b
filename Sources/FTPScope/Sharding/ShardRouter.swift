import FTPProtocol
import Glibc
import NetworkTypes
import PacketDecoding

/// Chooses the analysis worker of each packet (docs/threads.md, "Analysis workers sharded by host pair"), on the
/// reader thread.
///
/// A packet goes to the worker of its unordered host pair, so a control connection and the data connections
/// between the same two hosts meet in one worker. Data connections to a third host (a `PORT` or `227` naming
/// another address: FXP, bounce, a server announcing an internal address the client still reaches) would land
/// elsewhere; so the router reads the announcements itself, in clear-text control traffic, and sends a connection
/// to an announced endpoint to the announcing worker, with the rest of that connection after it.
///
/// Bounded: at most `maxAnnouncements` third-host announcements (kept `announcementLifetime`) and `maxRoutedFlows`
/// connections routed by them (forgotten after `routedFlowIdle` without a packet); past the caps a connection is
/// routed by its host pair. What it cannot see (docs/threads.md lists it): an announcement split across two TCP
/// segments or inside an IP fragment, one on a port not configured as a control port, one under TLS, and a data
/// connection matched by port alone because a NAT rewrote the announced address.
struct ShardRouter {
    static let maxAnnouncements = 4096
    static let maxRoutedFlows = 8192
    static let announcementLifetime: Int64 = 600_000_000_000
    static let routedFlowIdle: Int64 = 900_000_000_000

    let shards: Int
    /// Ports whose connections are control channels, as a 65 536-entry table (one load per segment).
    private let controlPort: [Bool]
    private var announced: [Endpoint: (shard: Int, time: Timestamp)] = [:]
    private var routed: [FlowKey: (shard: Int, time: Timestamp)] = [:]

    init(shards: Int, controlPorts: Set<UInt16>) {
        self.shards = max(1, shards)
        var table = [Bool](repeating: false, count: 1 << 16)
        for port in controlPorts { table[Int(port)] = true }
        controlPort = table
    }

    /// The worker of one decoded packet; `packet` holds its bytes (TCP payload at the segment's offset).
    mutating func shard(of decoded: DecodedPacket, packet: UnsafeRawBufferPointer, at time: Timestamp) -> Int {
        switch decoded {
        case .tcp(let segment):
            let source = segment.flow.source
            let destination = segment.flow.destination
            if !routed.isEmpty || !announced.isEmpty, let shard = rerouted(source, destination, at: time) {
                return shard
            }
            let shard = Self.pairShard(source.address, destination.address, of: shards)
            if segment.payloadLength >= 4 && (controlPort[Int(source.port)] || controlPort[Int(destination.port)]) {
                let end = segment.payloadOffset + segment.payloadLength
                guard end <= packet.count else { return shard }
                scan(UnsafeRawBufferPointer(rebasing: packet[segment.payloadOffset..<end]), from: source,
                    to: destination, shard: shard, at: time)
            }
            return shard
        case .icmpUnreachable(let message):
            let quoted = message.quotedFlow
            if !routed.isEmpty, let entry = routed[Self.unordered(quoted.source, quoted.destination)] {
                return entry.shard
            }
            return Self.pairShard(quoted.source.address, quoted.destination.address, of: shards)
        case .fragment(let fragment):
            return Self.pairShard(fragment.key.source, fragment.key.destination, of: shards)
        case .other, .malformed:
            return 0
        }
    }

    /// Forgets announcements and routed connections past their time; called once a second of capture time.
    mutating func expire(now: Timestamp) {
        if !announced.isEmpty {
            announced = announced.filter { $0.value.time.nanoseconds(to: now) <= Self.announcementLifetime }
        }
        if !routed.isEmpty {
            routed = routed.filter { $0.value.time.nanoseconds(to: now) <= Self.routedFlowIdle }
        }
    }

    /// The worker a connection was sent to by an announcement, if it was (or is now, at its first packet).
    private mutating func rerouted(_ source: Endpoint, _ destination: Endpoint, at time: Timestamp) -> Int? {
        let key = Self.unordered(source, destination)
        if let entry = routed[key] {
            routed[key] = (entry.shard, time)
            return entry.shard
        }
        guard let entry = announced[destination] ?? announced[source] else { return nil }
        if routed.count < Self.maxRoutedFlows { routed[key] = (entry.shard, time) }
        return entry.shard
    }

    /// Finds `PORT`, `EPRT` and `227` lines in one segment of a control connection and keeps those that name a
    /// host outside the connection's pair.
    private mutating func scan(
        _ payload: UnsafeRawBufferPointer, from source: Endpoint, to destination: Endpoint, shard: Int,
        at time: Timestamp
    ) {
        var start = 0
        while start + 4 <= payload.count {
            let base = payload.baseAddress!
            var end = payload.count
            if let newline = memchr(base + start, 0x0A, payload.count - start) {
                end = UnsafeRawPointer(newline) - base
            }
            let word = UInt32(payload[start] | 0x20) << 24 | UInt32(payload[start + 1] | 0x20) << 16
                | UInt32(payload[start + 2] | 0x20) << 8 | UInt32(payload[start + 3] | 0x20)
            // "port", "eprt" (lower-cased) and "227 " (digits and space are unchanged by | 0x20).
            if word == 0x706F_7274 || word == 0x6570_7274 || word == 0x3232_3720 {
                let length = min(end - start, DataChannelParser.maxScannedLength)
                let line = String(decoding: UnsafeRawBufferPointer(rebasing: payload[start..<(start + length)]), as: UTF8.self)
                note(line, word: word, sender: source.address, peer: destination.address, shard: shard, at: time)
            }
            start = end + 1
        }
    }

    private mutating func note(_ line: String, word: UInt32, sender: IPAddress, peer: IPAddress, shard: Int, at time: Timestamp) {
        var rest = Substring(line).dropFirst(4)
        while rest.first == " " { rest = rest.dropFirst() }
        while rest.last == "\r" || rest.last == " " { rest = rest.dropLast() }
        let text = String(rest)
        let parsed: Result<AnnouncedEndpoint, AnnouncementError>
        switch word {
        case 0x706F_7274: parsed = DataChannelParser.parsePORT(text)
        case 0x6570_7274: parsed = DataChannelParser.parseEPRT(text)
        default: parsed = DataChannelParser.parse227(text)
        }
        guard case .success(let announcement) = parsed else { return }
        let endpoint = announcement.endpoint(controlPeer: sender)
        guard endpoint.address != sender && endpoint.address != peer else { return }
        if announced[endpoint] != nil || announced.count < Self.maxAnnouncements {
            announced[endpoint] = (shard, time)
        }
    }

    /// The worker of a host pair: the same for both directions (the two addresses' hashes are added), spread by a
    /// mixing hash. Each address is mixed before the sum, so that pairs whose addresses sum to the same number do
    /// not meet in one worker: with a hash linear in the address, `tcpreplay --unique-ip`, which moves client and
    /// server addresses by the same step in opposite directions each loop, put every loop in one worker.
    static func pairShard(_ a: IPAddress, _ b: IPAddress, of shards: Int) -> Int {
        Int((mix(fold(a) &+ fold(b)) >> 32) % UInt64(shards))
    }

    private static func fold(_ address: IPAddress) -> UInt64 {
        switch address {
        case .v4(let value): return mix(UInt64(value))
        case .v6(let high, let low): return mix(high ^ mix(low))
        }
    }

    /// SplitMix64's finaliser: every input bit reaches every output bit.
    @inline(__always) private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func unordered(_ a: Endpoint, _ b: Endpoint) -> FlowKey {
        a < b ? FlowKey(source: a, destination: b) : FlowKey(source: b, destination: a)
    }
}
