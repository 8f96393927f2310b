import NetworkTypes

/// What makes fragments belong to one datagram: RFC 791 section 3.2 (source, destination, protocol,
/// identification) for IPv4; RFC 8200 section 4.5 (source, destination, identification) for IPv6, where
/// `protocolNumber` is 0 because the next header is not part of the key.
public struct FragmentKey: Hashable, Sendable, CustomStringConvertible {
    /// Sender of the datagram.
    public var source: IPAddress
    /// Receiver of the datagram.
    public var destination: IPAddress
    /// The IPv4 identification (16 bits) or the IPv6 Fragment header's identification (32 bits).
    public var identification: UInt32
    /// IPv4: the protocol field. IPv6: 0.
    public var protocolNumber: UInt8

    /// Creates a key.
    public init(source: IPAddress, destination: IPAddress, identification: UInt32, protocolNumber: UInt8) {
        self.source = source
        self.destination = destination
        self.identification = identification
        self.protocolNumber = protocolNumber
    }

    /// True for an IPv6 datagram.
    public var isIPv6: Bool {
        if case .v6 = source { return true }
        return false
    }

    /// `192.0.2.1 → 198.51.100.2 id 4660`.
    public var description: String { "\(source) → \(destination) id \(identification)" }
}

/// One IPv4 fragment (MF set or a non-zero offset) or one IPv6 packet with a non-atomic Fragment header, as the
/// decoder found it. Like `TCPSegment`, it indexes into the borrowed packet bytes instead of copying them.
public struct IPFragment: Sendable, Equatable {
    /// The datagram it belongs to.
    public var key: FragmentKey
    /// Where its payload goes in the datagram's payload, in bytes (the header counts in 8-byte units).
    public var offset: Int
    /// More fragments follow (IPv4 MF, IPv6 M); false on the last fragment, which fixes the datagram's length.
    public var moreFragments: Bool
    /// IPv4: the protocol. IPv6: the Fragment header's next header (the first header of the fragmentable part;
    /// RFC 8200 section 4.5 takes it from the first fragment).
    public var nextHeader: UInt8
    /// Offset of the fragment's payload in the packet bytes.
    public var payloadOffset: Int
    /// Payload bytes present in the capture.
    public var payloadLength: Int
    /// Payload bytes the IP header says were sent; larger than `payloadLength` when the snap length cut it.
    public var wirePayloadLength: Int

    /// Creates a fragment.
    public init(
        key: FragmentKey, offset: Int, moreFragments: Bool, nextHeader: UInt8, payloadOffset: Int, payloadLength: Int,
        wirePayloadLength: Int? = nil
    ) {
        self.key = key
        self.offset = offset
        self.moreFragments = moreFragments
        self.nextHeader = nextHeader
        self.payloadOffset = payloadOffset
        self.payloadLength = payloadLength
        self.wirePayloadLength = wirePayloadLength ?? payloadLength
    }
}
