import NetworkTypes

/// Decodes link layer → IP → TCP for one link type. Pure and allocation-free: feed it borrowed packet bytes.
public struct PacketDecoder: Sendable {
    /// The link type of the packets it will be given.
    public let linkType: LinkType

    /// Creates a decoder for a link type.
    public init(linkType: LinkType) { self.linkType = linkType }

    /// Decodes one packet. The returned payload range indexes into `packet`.
    public func decode(_ packet: UnsafeRawBufferPointer) -> DecodedPacket {
        .other  // Implemented in the decoding work.
    }
}
