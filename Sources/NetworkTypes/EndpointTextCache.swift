/// Endpoints' text, remembered: a timeline row and a JSON session write the same few client and server endpoints
/// over and over, and formatting an IPv6 address (finding its longest run of zero groups, RFC 5952) costs
/// hundreds of instructions each time. A direct-mapped table (256 slots unless asked for more); a slot holds the
/// last endpoint that hashed to it, so memory is fixed (about 18 KiB for 256 slots) whatever the traffic.
///
/// Not thread-safe: each writer keeps its own.
public final class EndpointTextCache {
    /// The top bits of the hash pick a slot: 64 - log2(slots).
    private let slotShift: UInt64
    private static let slotBytes = 48  // `Endpoint.maximumDescriptionLength` (47), rounded up

    private let keys: UnsafeMutablePointer<Endpoint>
    private let lengths: UnsafeMutablePointer<UInt8>  // 0: the slot is empty
    private let texts: UnsafeMutablePointer<UInt8>

    /// A cache of `slots` slots (a power of two, 256 by default).
    public init(slots: Int = 256) {
        precondition(slots >= 2 && slots & (slots - 1) == 0, "slots must be a power of two")
        slotShift = UInt64(64 - slots.trailingZeroBitCount)
        keys = .allocate(capacity: slots)
        keys.initialize(repeating: Endpoint(address: .v4(0), port: 0), count: slots)
        lengths = .allocate(capacity: slots)
        lengths.initialize(repeating: 0, count: slots)
        texts = .allocate(capacity: slots * Self.slotBytes)
    }

    deinit {
        keys.deallocate()
        lengths.deallocate()
        texts.deallocate()
    }

    /// Writes `endpoint.description`'s UTF-8 at `out` (room for `Endpoint.maximumDescriptionLength` bytes) and
    /// returns its length, as `Endpoint.write(into:)` does.
    public func write(_ endpoint: Endpoint, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let text = self.text(of: endpoint)
        out.update(from: text.baseAddress!, count: text.count)
        return text.count
    }

    /// Appends `endpoint.description`'s UTF-8 to `out`.
    public func append(_ endpoint: Endpoint, to out: inout [UInt8]) {
        out.append(contentsOf: text(of: endpoint))
    }

    /// The endpoint's text in its slot, made there first if the slot held another endpoint.
    private func text(of endpoint: Endpoint) -> UnsafeBufferPointer<UInt8> {
        let slot = Self.slot(of: endpoint, shift: slotShift)
        let text = texts + slot * Self.slotBytes
        if lengths[slot] == 0 || keys[slot] != endpoint {
            keys[slot] = endpoint
            lengths[slot] = UInt8(truncatingIfNeeded: endpoint.write(into: text))
        }
        return UnsafeBufferPointer(start: text, count: Int(lengths[slot]))
    }

    private static func slot(of endpoint: Endpoint, shift: UInt64) -> Int {
        var mixed = UInt64(endpoint.port)
        switch endpoint.address {
        case .v4(let value): mixed ^= UInt64(value) << 16
        case .v6(let high, let low): mixed ^= high ^ (low << 16) ^ (low >> 32)
        }
        // Fibonacci hashing: the top bits of the product spread nearby addresses and ports over the slots.
        return Int(truncatingIfNeeded: (mixed &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }
}
