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
        switch address {
        case .v4(let value):
            // The common case written into one buffer (address, colon, port): no interpolation.
            return String(unsafeUninitializedCapacity: 21) { buffer in
                let out = buffer.baseAddress!
                var length = IPAddress.writeV4(value, into: out)
                out[length] = UInt8(ascii: ":")
                length += 1
                return length + writeDecimal(UInt64(port), into: out + length)
            }
        case .v6: return "[\(address)]:\(port)"
        }
    }

    /// Appends `description`'s UTF-8 to `out`; IPv4 without making a string (reports write one per record).
    public func appendDescription(to out: inout [UInt8]) {
        guard case .v4(let value) = address else {
            var text = description
            text.withUTF8 { out.append(contentsOf: $0) }
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { buffer in
            let base = buffer.baseAddress!
            var length = IPAddress.writeV4(value, into: base)
            base[length] = UInt8(ascii: ":")
            length += 1
            length += writeDecimal(UInt64(port), into: base + length)
            out.append(contentsOf: UnsafeBufferPointer(start: base, count: length))
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
