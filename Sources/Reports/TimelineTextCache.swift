import NetworkTypes

/// What a timeline writer remembers of the text it wrote lately, to write it again cheaply: endpoints (the same
/// clients and servers row after row), the CSV cells of a control connection's two endpoints together, and the
/// date and time of the last second (rows come in near time order, so most share their second with the row
/// before and need only their microseconds). One per writer.
final class RowTextCache {
    /// The cache remembers addresses, not endpoints (the hosts are few, their ports many): 256 slots hold them.
    let endpoints = EndpointTextCache()
    private let pairs = EndpointPairText()
    /// The time writer's state, behind a pointer: changed as a stored `var` of this class, it made every caller
    /// retain and release the cache around each time written.
    private let times: UnsafeMutablePointer<ISO8601Writer> = {
        let times = UnsafeMutablePointer<ISO8601Writer>.allocate(capacity: 1)
        times.initialize(to: ISO8601Writer())
        return times
    }()

    deinit {
        times.deinitialize(count: 1)
        times.deallocate()
    }

    /// Writes `time`'s ISO 8601 text (`Timestamp.writeISO8601`'s bytes) at the end of `out`.
    @inline(__always)
    func write(_ time: Timestamp, into out: RowBytes) {
        let position = out.reserve(Timestamp.iso8601MaximumLength)
        out.advance(by: times.pointee.write(time, into: position))
    }

    /// Writes `endpoint`'s text at the end of `out`.
    @inline(__always)
    func write(_ endpoint: Endpoint, into out: RowBytes) {
        let position = out.reserve(Endpoint.maximumDescriptionLength)
        out.advance(by: endpoints.write(endpoint, into: position))
    }

    /// Writes `,client,server` (two CSV cells, each with its comma) at the end of `out`.
    @inline(__always)
    func writePair(_ client: Endpoint, _ server: Endpoint, into out: RowBytes) {
        let position = out.reserve(EndpointPairText.maximumLength)
        out.advance(by: pairs.write(client, server, endpoints: endpoints, into: position))
    }
}

/// The CSV cells `,client,server` of control connections, remembered: nearly every timeline row names its
/// session's two endpoints, and looking each up in the endpoint cache, through a cell writer of its own, cost
/// about 360 instructions a row; one lookup of the pair and one copy cost about 80. A direct-mapped table of 2048
/// slots (about 300 KiB), a slot holding the last pair that hashed to it, so memory is fixed whatever the traffic.
final class EndpointPairText {
    /// A comma and an endpoint, twice.
    static let maximumLength = 2 * (1 + Endpoint.maximumDescriptionLength)

    private static let slotCount = 2048
    private let clients: UnsafeMutablePointer<Endpoint>
    private let servers: UnsafeMutablePointer<Endpoint>
    private let lengths: UnsafeMutablePointer<UInt8>  // 0: the slot is empty
    private let texts: UnsafeMutablePointer<UInt8>

    init() {
        let none = Endpoint(address: .v4(0), port: 0)
        clients = .allocate(capacity: Self.slotCount)
        clients.initialize(repeating: none, count: Self.slotCount)
        servers = .allocate(capacity: Self.slotCount)
        servers.initialize(repeating: none, count: Self.slotCount)
        lengths = .allocate(capacity: Self.slotCount)
        lengths.initialize(repeating: 0, count: Self.slotCount)
        texts = .allocate(capacity: Self.slotCount * Self.maximumLength)
    }

    deinit {
        clients.deallocate()
        servers.deallocate()
        lengths.deallocate()
        texts.deallocate()
    }

    /// Writes `,client,server` at `out` (room for `maximumLength` bytes) and returns its length; a pair not in its
    /// slot is made there first from `endpoints`.
    func write(
        _ client: Endpoint, _ server: Endpoint, endpoints: EndpointTextCache, into out: UnsafeMutablePointer<UInt8>
    ) -> Int {
        let slot = Self.slot(of: client, server)
        let text = texts + slot * Self.maximumLength
        if lengths[slot] == 0 || clients[slot] != client || servers[slot] != server {
            clients[slot] = client
            servers[slot] = server
            text[0] = UInt8(ascii: ",")
            var length = 1 + endpoints.write(client, into: text + 1)
            text[length] = UInt8(ascii: ",")
            length += 1
            length += endpoints.write(server, into: text + length)
            lengths[slot] = UInt8(truncatingIfNeeded: length)
        }
        let length = Int(lengths[slot])
        out.update(from: text, count: length)
        return length
    }

    private static func slot(of client: Endpoint, _ server: Endpoint) -> Int {
        let mixed = (mix(client) &* 0x9E37_79B9_7F4A_7C15) ^ mix(server)
        // Fibonacci hashing again: the top bits of the product pick the slot.
        return Int(truncatingIfNeeded: (mixed &* 0x9E37_79B9_7F4A_7C15) >> 53)
    }

    private static func mix(_ endpoint: Endpoint) -> UInt64 {
        var mixed = UInt64(endpoint.port)
        switch endpoint.address {
        case .v4(let value): mixed ^= UInt64(value) << 16
        case .v6(let high, let low): mixed ^= high ^ (low << 16) ^ (low >> 32)
        }
        return mixed
    }
}
