/// A TCP sequence number with RFC 793/RFC 1982 serial arithmetic: comparisons and distances are taken modulo
/// 2^32, so they stay right across wrap-around as long as the two numbers are within 2^31 of each other.
public struct SeqNumber: Hashable, Sendable, CustomStringConvertible {
    /// The 32-bit value from the TCP header.
    public var rawValue: UInt32

    /// Wraps a raw 32-bit sequence number.
    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// Signed distance from `self` to `other`: positive when `other` is ahead.
    @inlinable public func distance(to other: SeqNumber) -> Int32 {
        Int32(bitPattern: other.rawValue &- rawValue)
    }

    /// The number advanced by `count` (wrapping).
    @inlinable public func advanced(by count: Int) -> SeqNumber {
        SeqNumber(rawValue &+ UInt32(truncatingIfNeeded: count))
    }

    /// True when `self` comes before `other` in serial order.
    @inlinable public func precedes(_ other: SeqNumber) -> Bool { distance(to: other) > 0 }

    public var description: String { String(rawValue) }
}
