/// Endpoints' text, remembered: a timeline row and a JSON session write the same few client and server endpoints
/// over and over, and formatting an IPv6 address (finding its longest run of zero groups, RFC 5952) costs
/// hundreds of instructions each time.
///
/// The address's text is what is remembered, not the endpoint's: clients connect from a new port for every session
/// and data connection, so a table of endpoints missed for nearly every new connection (a miss wrote the whole
/// endpoint afresh: 12 M instructions of the output thread on the control-heavy benchmark), while the hosts are
/// few. The port's digits are written after the address each time, which costs a few instructions. A
/// direct-mapped table (256 slots unless asked for more); a slot holds the last address that hashed to it, so
/// memory is fixed (about 15 KiB for 256 slots) whatever the traffic.
///
/// Not thread-safe: each writer keeps its own.
public final class EndpointTextCache {
    /// The top bits of the hash pick a slot: 64 - log2(slots).
    private let slotShift: UInt64
    /// `[`, the longest address text (39), `]`, rounded up to whole words.
    private static let slotBytes = 48

    private let keys: UnsafeMutablePointer<IPAddress>
    private let lengths: UnsafeMutablePointer<UInt8>  // 0: the slot is empty
    private let texts: UnsafeMutablePointer<UInt8>

    /// A cache of `slots` slots (a power of two, 256 by default).
    public init(slots: Int = 256) {
        precondition(slots >= 2 && slots & (slots - 1) == 0, "slots must be a power of two")
        slotShift = UInt64(64 - slots.trailingZeroBitCount)
        keys = .allocate(capacity: slots)
        keys.initialize(repeating: .v4(0), count: slots)
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
        let slot = Self.slot(of: endpoint.address, shift: slotShift)
        let text = texts + slot * Self.slotBytes
        if lengths[slot] == 0 || !Self.same(keys[slot], endpoint.address) {
            keys[slot] = endpoint.address
            let length = Endpoint.writeHost(endpoint.address, into: text)
            lengths[slot] = UInt8(truncatingIfNeeded: length)
        }
        let length = Int(lengths[slot])
        Self.copy(text, length, to: out)
        out[length] = UInt8(ascii: ":")
        return length + 1 + Self.writePort(endpoint.port, into: out + length + 1)
    }

    /// Appends `endpoint.description`'s UTF-8 to `out`.
    public func append(_ endpoint: Endpoint, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Endpoint.maximumDescriptionLength) { buffer in
            let length = write(endpoint, into: buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<length]))
        }
    }

    /// Copies `count` bytes (at most `slotBytes`) in whole words, the last one overlapping the one before, and
    /// nothing past `count` (an address's text is a few words: a call to `memcpy` cost more than the copy).
    @inline(__always)
    private static func copy(_ source: UnsafePointer<UInt8>, _ count: Int, to target: UnsafeMutablePointer<UInt8>) {
        let from = UnsafeRawPointer(source)
        let to = UnsafeMutableRawPointer(target)
        if count >= 8 {
            var offset = 0
            while offset + 8 < count {
                to.storeBytes(of: from.loadUnaligned(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self), toByteOffset: count - 8, as: UInt64.self)
        } else {
            for offset in 0..<count { target[offset] = source[offset] }
        }
    }

    /// A port's digits (`writeDecimal`'s), their number found by comparing rather than dividing.
    @inline(__always)
    private static func writePort(_ port: UInt16, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let digits = port >= 10000 ? 5 : port >= 1000 ? 4 : port >= 100 ? 3 : port >= 10 ? 2 : 1
        var rest = UInt32(port)
        var position = digits
        repeat {
            position -= 1
            out[position] = 0x30 &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        } while position > 0
        return digits
    }

    /// `==`, matched in place (the derived equality of an enum with payloads is a call).
    @inline(__always)
    private static func same(_ first: IPAddress, _ second: IPAddress) -> Bool {
        switch (first, second) {
        case (.v4(let a), .v4(let b)): return a == b
        case (.v6(let highA, let lowA), .v6(let highB, let lowB)): return highA == highB && lowA == lowB
        default: return false
        }
    }

    private static func slot(of address: IPAddress, shift: UInt64) -> Int {
        let mixed: UInt64
        switch address {
        case .v4(let value): mixed = UInt64(value)
        case .v6(let high, let low): mixed = high ^ (low << 16) ^ (low >> 32)
        }
        // Fibonacci hashing: the top bits of the product spread nearby addresses over the slots.
        return Int(truncatingIfNeeded: (mixed &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }
}
