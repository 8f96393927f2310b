/// An address and a TCP port.
public struct Endpoint: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The host.
    public var address: IPAddress
    /// The TCP port.
    public var port: UInt16

    /// Creates an endpoint.
    @inlinable public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    @inlinable public static func < (lhs: Endpoint, rhs: Endpoint) -> Bool {
        lhs.address < rhs.address || (lhs.address == rhs.address && lhs.port < rhs.port)
    }

    // Written out and inlinable: the derived `==` is an opaque call from other modules, once per segment or more.
    @inlinable public static func == (lhs: Endpoint, rhs: Endpoint) -> Bool {
        lhs.port == rhs.port && lhs.address == rhs.address
    }

    /// `192.0.2.10:51234` or `[2001:db8::1]:21` (SPEC.md, endpoint).
    public var description: String {
        String(unsafeUninitializedCapacity: Endpoint.maximumDescriptionLength) { write(into: $0.baseAddress!) }
    }

    /// The longest `description`: `[` 39 characters of IPv6 `]:` and five digits of port.
    public static let maximumDescriptionLength = 47

    /// Writes the address part of `description` at `out` and returns its length: dotted IPv4, or IPv6 in
    /// brackets (so that the port after it reads unambiguously).
    @inline(__always)
    public static func writeHost(_ address: IPAddress, into out: UnsafeMutablePointer<UInt8>) -> Int {
        switch address {
        case .v4(let value):
            return IPAddress.writeV4(value, into: out)
        case .v6(let high, let low):
            out[0] = UInt8(ascii: "[")
            let length = 1 + IPAddress.writeV6(high, low, into: out + 1)
            out[length] = UInt8(ascii: "]")
            return length + 1
        }
    }

    /// Writes `description`'s UTF-8 at `out` (room for `maximumDescriptionLength` bytes) and returns its length:
    /// digit by digit, as reports write an endpoint per record and interpolation cost thousands of instructions.
    public func write(into out: UnsafeMutablePointer<UInt8>) -> Int {
        var length = Endpoint.writeHost(address, into: out)
        out[length] = UInt8(ascii: ":")
        length += 1
        return length + writeDecimal(UInt64(port), into: out + length)
    }

    /// Appends `description`'s UTF-8 to `out` without making a string.
    public func appendDescription(to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Endpoint.maximumDescriptionLength) { buffer in
            let length = write(into: buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<length]))
        }
    }
}

/// A TCP flow as seen in one packet: from `source` to `destination`.
///
/// Fixed size, so hashing and comparing it never allocates. `canonical` folds both directions of one
/// connection onto the same key, for connection tables.
public struct FlowKey: Hashable, Sendable, CustomStringConvertible {
    /// Sender of the packet.
    public var source: Endpoint
    /// Receiver of the packet.
    public var destination: Endpoint

    /// Creates a flow key.
    @inlinable public init(source: Endpoint, destination: Endpoint) {
        self.source = source
        self.destination = destination
    }

    /// The same flow seen from the other side.
    @inlinable public var reversed: FlowKey { FlowKey(source: destination, destination: source) }

    /// The direction-independent key: the smaller endpoint first.
    @inlinable public var canonical: FlowKey { source <= destination ? self : reversed }

    public var description: String { "\(source) -> \(destination)" }

    @inlinable public static func == (lhs: FlowKey, rhs: FlowKey) -> Bool {
        lhs.source == rhs.source && lhs.destination == rhs.destination
    }
}
