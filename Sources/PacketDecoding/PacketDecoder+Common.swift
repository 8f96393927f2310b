import NetworkTypes

/// The packets most captures are made of, decoded in one step: IPv4 with a 20-byte header, not a fragment, or IPv6
/// without extension headers, carrying TCP whose header is complete. One bounds check up front, then plain loads; everything else (options, fragments,
/// extension headers, VLAN tags, total or payload length 0, anything cut short or malformed) returns nil and takes the general path, which
/// gives the same result for the packets accepted here (PacketDecoderTests run both).
extension PacketDecoder {
    @inline(__always)
    func commonIPv4TCP(_ packet: UnsafeRawBufferPointer, at start: Int) -> TCPSegment? {
        // 20 bytes of IPv4 header and 20 of TCP header, captured.
        guard packet.count >= start + 40 else { return nil }
        let base = packet.baseAddress.unsafelyUnwrapped + start
        func u8(_ offset: Int) -> UInt8 { base.load(fromByteOffset: offset, as: UInt8.self) }
        func u16(_ offset: Int) -> UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
        func u32(_ offset: Int) -> UInt32 { UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
        // Version 4, header length 5 words, protocol 6, neither more-fragments nor an offset.
        guard u8(0) == 0x45, u8(9) == 6, u16(6) & 0x3FFF == 0 else { return nil }
        let totalLength = Int(u16(2))
        guard totalLength >= 40 else { return nil }
        let declaredEnd = start + totalLength
        // Bytes past the declared end are link padding, as in `decodeIPv4`.
        let end = min(declaredEnd, packet.count)
        let headerLength = Int(u8(32) >> 4) * 4
        let payloadOffset = start + 20 + headerLength
        guard headerLength >= 20, payloadOffset <= end else { return nil }
        let flow = FlowKey(
            source: Endpoint(address: .v4(u32(12)), port: u16(20)),
            destination: Endpoint(address: .v4(u32(16)), port: u16(22)))
        return TCPSegment(
            flow: flow, seq: SeqNumber(u32(24)), ack: SeqNumber(u32(28)), flags: TCPFlags(rawValue: u8(33)),
            window: u16(34), payloadOffset: payloadOffset, payloadLength: end - payloadOffset,
            wirePayloadLength: declaredEnd - payloadOffset)
    }

    /// `commonIPv4TCP` for IPv6 (RFC 8200): the 40-byte header straight followed by TCP (next header 6), with a
    /// payload length that is not 0 (0 is a jumbogram or offload, measured by the capture: the general path).
    @inline(__always)
    func commonIPv6TCP(_ packet: UnsafeRawBufferPointer, at start: Int) -> TCPSegment? {
        // 40 bytes of IPv6 header and 20 of TCP header, captured.
        guard packet.count >= start + 60 else { return nil }
        let base = packet.baseAddress.unsafelyUnwrapped + start
        func u8(_ offset: Int) -> UInt8 { base.load(fromByteOffset: offset, as: UInt8.self) }
        func u16(_ offset: Int) -> UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
        func u32(_ offset: Int) -> UInt32 { UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
        func u64(_ offset: Int) -> UInt64 { UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        guard u8(0) >> 4 == 6, u8(6) == 6 else { return nil }
        let payloadLength = Int(u16(4))
        guard payloadLength >= 20 else { return nil }
        let declaredEnd = start + 40 + payloadLength
        let end = min(declaredEnd, packet.count)
        let headerLength = Int(u8(52) >> 4) * 4
        let payloadOffset = start + 40 + headerLength
        guard headerLength >= 20, payloadOffset <= end else { return nil }
        let flow = FlowKey(
            source: Endpoint(address: .v6(u64(8), u64(16)), port: u16(40)),
            destination: Endpoint(address: .v6(u64(24), u64(32)), port: u16(42)))
        return TCPSegment(
            flow: flow, seq: SeqNumber(u32(44)), ack: SeqNumber(u32(48)), flags: TCPFlags(rawValue: u8(53)),
            window: u16(54), payloadOffset: payloadOffset, payloadLength: end - payloadOffset,
            wirePayloadLength: declaredEnd - payloadOffset)
    }
}
