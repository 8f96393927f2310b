import NetworkTypes

extension PacketDecoder {
    /// Decodes the payload of a reassembled IP datagram: `payload` is the datagram's whole payload (for IPv6 the
    /// fragmentable part, starting with the header `nextHeader` names), of which the first `capturedLength` bytes
    /// were captured (fragments cut by the snap length leave the rest zero-filled). The result indexes into
    /// `payload`, so a `.tcp` segment's payload range is read from it the way it is read from a packet.
    ///
    /// A Fragment header inside a reassembled datagram (fragments of fragments) is `.malformed(.badExtensionHeader)`:
    /// RFC 8200 section 4.5 allows one per packet.
    public func decodeReassembled(
        _ payload: UnsafeRawBufferPointer, capturedLength: Int, key: FragmentKey, nextHeader: UInt8
    ) -> DecodedPacket {
        let bytes = PacketBytes(payload)
        let declaredEnd = payload.count
        let end = min(max(capturedLength, 0), declaredEnd)
        guard key.isIPv6 else {
            switch nextHeader {
            case 6:
                return decodeTCP(
                    bytes, at: 0, end: end, declaredEnd: declaredEnd, source: key.source, destination: key.destination)
            case 1:
                return decodeICMPv4(bytes, at: 0, end: end, reporter: key.source)
            default:
                return .other
            }
        }
        switch walkExtensionHeaders(bytes, nextHeader: nextHeader, at: 0, end: end) {
        case .upperLayer(6, let offset):
            return decodeTCP(
                bytes, at: offset, end: end, declaredEnd: declaredEnd, source: key.source, destination: key.destination)
        case .upperLayer(58, let offset):
            return decodeICMPv6(bytes, at: offset, end: end, reporter: key.source)
        case .upperLayer, .noUpperLayer:
            return .other
        case .fragment, .malformed:
            return .malformed(.badExtensionHeader)
        }
    }
}
