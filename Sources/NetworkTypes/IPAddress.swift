/// An IPv4 or IPv6 address held by value in at most 16 bytes, so flow keys need no allocation.
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// IPv4, host byte order (`192.0.2.1` is `0xC000_0201`).
    case v4(UInt32)
    /// IPv6 as two 64-bit halves, most significant first, host byte order.
    case v6(UInt64, UInt64)

    /// Builds an IPv4 address from its four octets.
    @inlinable public static func v4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> IPAddress {
        .v4(UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
    }

    /// Reads an address of 4 or 16 bytes in network order; nil for any other length.
    public init?(networkBytes bytes: some Collection<UInt8>) {
        if bytes.count == 4 {
            var value: UInt32 = 0
            for byte in bytes { value = value << 8 | UInt32(byte) }
            self = .v4(value)
        } else if bytes.count == 16 {
            var high: UInt64 = 0
            var low: UInt64 = 0
            for (index, byte) in bytes.enumerated() {
                if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
            }
            self = .v6(high, low)
        } else {
            return nil
        }
    }

    /// True for IPv4.
    public var isIPv4: Bool { if case .v4 = self { return true } else { return false } }

    /// True for the unspecified address (`0.0.0.0` or `::`), which FTP uses to mean "the control peer".
    public var isUnspecified: Bool {
        switch self {
        case .v4(let value): return value == 0
        case .v6(let high, let low): return high == 0 && low == 0
        }
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), if it is one.
    public var unmappedIPv4: IPAddress? {
        if case .v6(let high, let low) = self, high == 0, low >> 32 == 0xFFFF { return .v4(UInt32(truncatingIfNeeded: low)) }
        return nil
    }

    /// Private or internal addresses that do not route on the public Internet: RFC 1918, RFC 6598 shared
    /// space, loopback, link-local, and IPv6 unique-local (RFC 4193) and link-local.
    public var isPrivate: Bool {
        switch self {
        case .v4(let a):
            return a >> 24 == 10 || a >> 20 == 0xAC1 || a >> 16 == 0xC0A8 || a >> 22 == (100 << 2 | 1)
                || a >> 24 == 127 || a >> 16 == 0xA9FE
        case .v6(let high, let low):
            if let mapped = unmappedIPv4 { return mapped.isPrivate }
            return high >> 57 == 0x7E || high >> 54 == 0x3FA || (high == 0 && low == 1)
        }
    }

    @inlinable public static func == (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): return a == b
        case (.v6(let ah, let al), .v6(let bh, let bl)): return ah == bh && al == bl
        default: return false
        }
    }

    @inlinable public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): return a < b
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        case (.v6(let ah, let al), .v6(let bh, let bl)): return ah < bh || (ah == bh && al < bl)
        }
    }

    /// Dotted quad, or RFC 5952 canonical IPv6 text (lower case, longest zero run as `::`).
    public var description: String {
        switch self {
        case .v4(let a):
            return String(unsafeUninitializedCapacity: 15) { IPAddress.writeV4(a, into: $0.baseAddress!) }
        case .v6(let high, let low):
            return String(unsafeUninitializedCapacity: 39) { IPAddress.writeV6(high, low, into: $0.baseAddress!) }
        }
    }

    /// The longest `description` (an IPv6 address, eight groups of four digits).
    public static let maximumDescriptionLength = 39

    /// Writes `description`'s UTF-8 at `out` (room for `maximumDescriptionLength` bytes) and returns its length,
    /// for writers that put an address in a buffer without making a string of it.
    public func write(into out: UnsafeMutablePointer<UInt8>) -> Int {
        switch self {
        case .v4(let a): return IPAddress.writeV4(a, into: out)
        case .v6(let high, let low): return IPAddress.writeV6(high, low, into: out)
        }
    }

    /// Writes RFC 5952 text at `out` (room for 39 bytes) and returns its length: lower-case hex without leading
    /// zeros, the longest run of two or more zero groups (the first if tied) as `::` (section 4.2).
    static func writeV6(_ high: UInt64, _ low: UInt64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        func group(_ index: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (index < 4 ? high : low) >> (48 - 16 * UInt64(index & 3)))
        }
        var bestStart = -1
        var bestLength = 1
        var runStart = -1
        for index in 0...8 {
            if index < 8 && group(index) == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength {
                    bestStart = runStart
                    bestLength = index - runStart
                }
                runStart = -1
            }
        }
        let hex: StaticString = "0123456789abcdef"
        var length = 0
        var index = 0
        while index < 8 {
            if index == bestStart {
                out[length] = UInt8(ascii: ":")
                out[length + 1] = UInt8(ascii: ":")
                length += 2
                index += bestLength
                continue
            }
            if length > 0 && out[length - 1] != UInt8(ascii: ":") {
                out[length] = UInt8(ascii: ":")
                length += 1
            }
            let value = group(index)
            var shift = 12
            while shift > 0 && (value >> UInt16(shift)) == 0 { shift -= 4 }
            while shift >= 0 {
                out[length] = hex.utf8Start[Int((value >> UInt16(shift)) & 0xF)]
                length += 1
                shift -= 4
            }
            index += 1
        }
        return length
    }

    /// Writes dotted-quad text at `out` (room for 15 bytes) and returns its length. Digit by digit: reports
    /// print an endpoint for every transfer row, and string interpolation cost thousands of instructions each.
    static func writeV4(_ value: UInt32, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var length = 0
        for shift in stride(from: 24, through: 0, by: -8) {
            let octet = UInt8(truncatingIfNeeded: value >> UInt32(shift))
            if shift != 24 {
                out[length] = UInt8(ascii: ".")
                length += 1
            }
            if octet >= 100 {
                out[length] = 0x30 + octet / 100
                length += 1
            }
            if octet >= 10 {
                out[length] = 0x30 + octet / 10 % 10
                length += 1
            }
            out[length] = 0x30 + octet % 10
            length += 1
        }
        return length
    }
}
