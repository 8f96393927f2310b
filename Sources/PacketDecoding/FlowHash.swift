import NetworkTypes

/// One endpoint in fixed-size words: the address in two 64-bit halves (IPv4 in the low half) and the family and
/// port in a third, so comparing two endpoints is three integer compares instead of a switch over `IPAddress`.
/// The reassembler's flow table keys its connections by these (TCPReassembly, FlowTable.swift).
public struct PackedEndpoint: Equatable, Sendable {
    public var high: UInt64
    public var low: UInt64
    /// Family (4 or 6) above the port, so an IPv4 address never equals the IPv6 address `::a.b.c.d`.
    public var meta: UInt64

    @inlinable @inline(__always) public init(_ endpoint: Endpoint) {
        switch endpoint.address {
        case .v4(let value):
            high = 0
            low = UInt64(value)
            meta = 4 << 16 | UInt64(endpoint.port)
        case .v6(let upper, let lower):
            high = upper
            low = lower
            meta = 6 << 16 | UInt64(endpoint.port)
        }
    }

    /// A mix of the three words and the seed; added for both endpoints, so the flow's hash does not depend on its
    /// direction. The xor-shifts make it non-linear: a plain product would make the sum depend only on the sum of
    /// the two endpoints' words, and the data connections between two hosts would share a handful of slots.
    @inlinable @inline(__always) func mixed(_ seed: UInt64) -> UInt64 {
        var x = (high &* 0x9E37_79B9_7F4A_7C15 ^ low ^ meta << 40) ^ seed
        x = (x ^ x >> 31) &* 0xBF58_476D_1CE4_E5B9
        return x ^ x >> 29
    }
}

/// The hash of a TCP flow that the reassembler's flow table files connections by: the same either way round.
///
/// Computed where a segment is decoded (`TCPSegment.flowHash`), which offline is the reader thread: the analysis
/// thread, the critical path, looks the connection up without hashing (about 60 instructions a segment).
public enum FlowHash {
    /// Random per process: the hash is not keyed like SipHash, but without the seed a capture cannot be built to
    /// put its flows in one probe chain (docs/hostile-input.md). Slot order never reaches an output.
    public static let seed = UInt64.random(in: .min ... .max)

    /// The hash of the flow between `a` and `b`, symmetric in the two.
    @inlinable @inline(__always)
    public static func of(_ a: PackedEndpoint, _ b: PackedEndpoint, seed: UInt64 = FlowHash.seed) -> UInt64 {
        let sum = a.mixed(seed) &+ b.mixed(seed)
        return (sum ^ sum >> 31) &* 0x94D0_49BB_1331_11EB
    }

    /// The hash of `flow` (either direction gives the same).
    @inlinable @inline(__always)
    public static func of(_ flow: FlowKey) -> UInt64 {
        of(PackedEndpoint(flow.source), PackedEndpoint(flow.destination))
    }
}
