/// A set of TCP ports as a bitmap of all 65 536: asking about a port is a shift and a mask, not a hash. Every new
/// connection asks about both of its ports (is it on a control or implicit-TLS port?), and `Set<UInt16>` hashed
/// each with SipHash.
struct PortSet {
    private var words = [UInt64](repeating: 0, count: 1 << 10)

    /// The set holding `ports`.
    init(_ ports: some Sequence<UInt16>) {
        for port in ports { words[Int(port >> 6)] |= 1 << UInt64(port & 63) }
    }

    /// True when `port` is in the set.
    @inline(__always)
    func contains(_ port: UInt16) -> Bool {
        words.withUnsafeBufferPointer { $0[Int(port >> 6)] } & (1 << UInt64(port & 63)) != 0
    }
}
