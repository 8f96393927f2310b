import NetworkTypes

/// Decodes link layer → IP → TCP for one link type. Pure and allocation-free: feed it borrowed packet bytes.
///
/// What comes out:
/// - `.tcp` for a TCP segment whose header is complete in the capture; the payload range is what was captured up
///   to the end the IP header declares (Ethernet padding trimmed, snap-length cuts shown by
///   `payloadLength < wirePayloadLength`).
/// - `.icmpUnreachable` for an ICMP type 3 / ICMPv6 type 1 message whose quote holds an IP header and the first
///   8 bytes of a TCP header (RFC 792 guarantees only those 64 bits).
/// - `.fragment` for IPv4/IPv6 fragments, as a value naming the datagram, the offset and the payload range; the
///   IP reassembly stage puts them together and hands the datagram back to `decodeReassembled`.
/// - `.other` for everything that is not TCP/IP: other ethertypes, UDP, other ICMP, ESP, ICMP errors whose quote
///   is too short to name a TCP connection, frames with more VLAN tags than `maxVLANTags`, unsupported link types.
/// - `.malformed` when a header that should be there is cut short or self-contradictory.
///
/// Checksums are not verified: with checksum offload the capturing host's own packets carry garbage checksums.
public struct PacketDecoder: Sendable {
    /// The link type of the packets it will be given.
    public let linkType: LinkType

    /// Most 802.1Q/802.1ad tags followed in one Ethernet frame; a deeper stack decodes as `.other`.
    public static let maxVLANTags = 4

    /// Most IPv6 extension headers followed before the upper-layer header; a longer chain is
    /// `.malformed(.badExtensionHeader)`. RFC 8200 section 4.1 expects each header at most once (destination
    /// options twice), so a legitimate chain is far shorter.
    public static let maxExtensionHeaders = 16

    /// Creates a decoder for a link type.
    public init(linkType: LinkType) { self.linkType = linkType }

    /// Decodes one packet. The returned payload range indexes into `packet`.
    public func decode(_ packet: UnsafeRawBufferPointer) -> DecodedPacket {
        let bytes = PacketBytes(packet)
        switch linkType {
        case .ethernet:
            guard bytes.count >= 14 else { return .malformed(.truncatedLinkHeader) }
            let etherType = bytes.u16(12)
            if etherType == 0x0800, let segment = commonIPv4TCP(packet, at: 14) { return .tcp(segment) }
            if etherType == 0x86DD, let segment = commonIPv6TCP(packet, at: 14) { return .tcp(segment) }
            return decodeEtherType(etherType, at: 14, bytes)
        case .linuxSLL:
            // Packet type, ARPHRD type, address length, 8 address bytes, then the protocol (an ethertype).
            guard bytes.count >= 16 else { return .malformed(.truncatedLinkHeader) }
            return decodeEtherType(bytes.u16(14), at: 16, bytes)
        case .linuxSLL2:
            // The protocol comes first, then reserved, interface index, ARPHRD type, packet type, address.
            guard bytes.count >= 20 else { return .malformed(.truncatedLinkHeader) }
            return decodeEtherType(bytes.u16(0), at: 20, bytes)
        case .null:
            // The address family is in the byte order of the machine that captured, which the file does not
            // record; family values are small, so whichever reading fits in 16 bits is the right one.
            guard bytes.count >= 4 else { return .malformed(.truncatedLinkHeader) }
            let bigEndian = bytes.u32(0)
            return decodeAddressFamily(bigEndian <= 0xFFFF ? bigEndian : bigEndian.byteSwapped, bytes)
        case .loop:
            guard bytes.count >= 4 else { return .malformed(.truncatedLinkHeader) }
            return decodeAddressFamily(bytes.u32(0), bytes)
        case .raw:
            guard bytes.count >= 1 else { return .malformed(.truncatedIPHeader) }
            switch bytes.u8(0) >> 4 {
            case 4: return decodeIPv4(bytes, at: 0)
            case 6: return decodeIPv6(bytes, at: 0)
            default: return .malformed(.badIPVersion)
            }
        case .ipv4:
            return decodeIPv4(bytes, at: 0)
        case .ipv6:
            return decodeIPv6(bytes, at: 0)
        case .unsupported:
            return .other
        }
    }

    /// Decodes one packet and counts the result (see `DecodeCounters`).
    public func decode(_ packet: UnsafeRawBufferPointer, counting counters: inout DecodeCounters) -> DecodedPacket {
        let result = decode(packet)
        counters.record(result)
        return result
    }

    // MARK: - Link layer

    /// Follows VLAN tags from an ethertype at `offset` (the first byte after the type field) to IPv4/IPv6.
    private func decodeEtherType(_ etherType: UInt16, at offset: Int, _ bytes: PacketBytes) -> DecodedPacket {
        var type = etherType
        var next = offset
        var tags = 0
        // 0x8100 is IEEE 802.1Q, 0x88A8 IEEE 802.1ad (QinQ service tag), 0x9100 the pre-standard QinQ tag still
        // sent by some switches. Each tag is 2 bytes of TCI followed by the next ethertype.
        while type == 0x8100 || type == 0x88A8 || type == 0x9100 {
            guard tags < PacketDecoder.maxVLANTags else { return .other }
            guard bytes.has(4, at: next) else { return .malformed(.truncatedLinkHeader) }
            type = bytes.u16(next + 2)
            next += 4
            tags += 1
        }
        switch type {
        case 0x0800: return decodeIPv4(bytes, at: next)
        case 0x86DD: return decodeIPv6(bytes, at: next)
        default: return .other  // ARP, LLDP, and 802.3 length fields (≤ 1500) alike.
        }
    }

    /// BSD loopback: AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD, DragonFly),
    /// 30 (macOS) or 10 (Linux). Capture files carry whichever the capturing system used.
    private func decodeAddressFamily(_ family: UInt32, _ bytes: PacketBytes) -> DecodedPacket {
        switch family {
        case 2: return decodeIPv4(bytes, at: 4)
        case 10, 24, 28, 30: return decodeIPv6(bytes, at: 4)
        default: return .other
        }
    }

    // MARK: - IPv4 (RFC 791)

    private func decodeIPv4(_ bytes: PacketBytes, at start: Int) -> DecodedPacket {
        guard bytes.has(20, at: start) else { return .malformed(.truncatedIPHeader) }
        let versionAndLength = bytes.u8(start)
        guard versionAndLength >> 4 == 4 else { return .malformed(.badIPVersion) }
        let headerLength = Int(versionAndLength & 0x0F) * 4
        guard headerLength >= 20 else { return .malformed(.badIPHeaderLength) }
        guard bytes.has(headerLength, at: start) else { return .malformed(.truncatedIPHeader) }

        // Total length 0 is what TSO/LRO leaves in packets captured on the sending or receiving host before
        // segmentation or after coalescing; the captured length is then the only measure of the packet.
        let totalLength = Int(bytes.u16(start + 2))
        let declaredEnd: Int
        if totalLength == 0 {
            declaredEnd = bytes.count
        } else {
            guard totalLength >= headerLength else { return .malformed(.badIPHeaderLength) }
            declaredEnd = start + totalLength
        }
        // Bytes past the declared end are link padding (Ethernet pads frames to 60 bytes) and are not payload.
        let end = min(declaredEnd, bytes.count)

        let source = IPAddress.v4(bytes.u32(start + 12))
        let destination = IPAddress.v4(bytes.u32(start + 16))

        // Flags and fragment offset: MF is 0x2000, the offset the low 13 bits in 8-byte units; DF (0x4000) does
        // not matter. `end` and `declaredEnd` are both at least `start + headerLength` (checked above).
        let flagsAndOffset = bytes.u16(start + 6)
        if flagsAndOffset & 0x3FFF != 0 {
            let payloadOffset = start + headerLength
            let key = FragmentKey(
                source: source, destination: destination, identification: UInt32(bytes.u16(start + 4)),
                protocolNumber: bytes.u8(start + 9))
            return .fragment(
                IPFragment(
                    key: key, offset: Int(flagsAndOffset & 0x1FFF) * 8, moreFragments: flagsAndOffset & 0x2000 != 0,
                    nextHeader: key.protocolNumber, payloadOffset: payloadOffset, payloadLength: end - payloadOffset,
                    wirePayloadLength: declaredEnd - payloadOffset))
        }
        switch bytes.u8(start + 9) {
        case 6:
            return decodeTCP(
                bytes, at: start + headerLength, end: end, declaredEnd: declaredEnd, source: source,
                destination: destination)
        case 1:
            return decodeICMPv4(bytes, at: start + headerLength, end: end, reporter: source)
        default:
            return .other
        }
    }

    /// ICMP destination unreachable (type 3, RFC 792): 8 bytes of ICMP header, then the offending packet's IP
    /// header and at least its first 8 payload bytes (RFC 1812 section 4.3.2.3 lets routers quote more).
    func decodeICMPv4(_ bytes: PacketBytes, at start: Int, end: Int, reporter: IPAddress) -> DecodedPacket {
        guard start + 8 <= end, bytes.u8(start) == 3 else { return .other }
        let code = bytes.u8(start + 1)
        let quote = start + 8
        guard quote + 20 <= end else { return .other }
        let versionAndLength = bytes.u8(quote)
        let headerLength = Int(versionAndLength & 0x0F) * 4
        guard versionAndLength >> 4 == 4, headerLength >= 20, quote + headerLength + 8 <= end else { return .other }
        // Only a first fragment (offset 0) starts with the TCP header.
        guard bytes.u8(quote + 9) == 6, bytes.u16(quote + 6) & 0x1FFF == 0 else { return .other }
        let tcp = quote + headerLength
        let flow = FlowKey(
            source: Endpoint(address: .v4(bytes.u32(quote + 12)), port: bytes.u16(tcp)),
            destination: Endpoint(address: .v4(bytes.u32(quote + 16)), port: bytes.u16(tcp + 2)))
        return .icmpUnreachable(
            ICMPUnreachable(
                reporter: reporter, quotedFlow: flow, quotedSeq: SeqNumber(bytes.u32(tcp + 4)), isICMPv6: false,
                code: code))
    }

    // MARK: - IPv6 (RFC 8200)

    private func decodeIPv6(_ bytes: PacketBytes, at start: Int) -> DecodedPacket {
        guard bytes.has(40, at: start) else { return .malformed(.truncatedIPHeader) }
        guard bytes.u8(start) >> 4 == 6 else { return .malformed(.badIPVersion) }
        // Payload length 0 means a jumbogram (RFC 2675) or, far more often, segmentation offload; either way the
        // captured length is all there is to go by.
        let payloadLength = Int(bytes.u16(start + 4))
        let declaredEnd = payloadLength == 0 ? bytes.count : start + 40 + payloadLength
        let end = min(declaredEnd, bytes.count)
        let source = IPAddress.v6(bytes.u64(start + 8), bytes.u64(start + 16))
        let destination = IPAddress.v6(bytes.u64(start + 24), bytes.u64(start + 32))

        switch walkExtensionHeaders(bytes, nextHeader: bytes.u8(start + 6), at: start + 40, end: end) {
        case .upperLayer(6, let offset):
            return decodeTCP(
                bytes, at: offset, end: end, declaredEnd: declaredEnd, source: source, destination: destination)
        case .upperLayer(58, let offset):
            return decodeICMPv6(bytes, at: offset, end: end, reporter: source)
        case .upperLayer, .noUpperLayer:
            return .other
        case .fragment(let header):
            // Fragment header (RFC 8200 section 4.5): next header, reserved, offset (13 bits, 8-byte units) and M,
            // identification; the fragmentable part follows.
            let offsetAndFlags = bytes.u16(header + 2)
            let payloadOffset = header + 8
            let key = FragmentKey(
                source: source, destination: destination, identification: bytes.u32(header + 4), protocolNumber: 0)
            return .fragment(
                IPFragment(
                    key: key, offset: Int(offsetAndFlags >> 3) * 8, moreFragments: offsetAndFlags & 1 != 0,
                    nextHeader: bytes.u8(header), payloadOffset: payloadOffset, payloadLength: end - payloadOffset,
                    wirePayloadLength: declaredEnd - payloadOffset))
        case .malformed:
            return .malformed(.badExtensionHeader)
        }
    }

    enum ExtensionChain {
        /// The upper-layer protocol number and the offset of its header.
        case upperLayer(UInt8, Int)
        /// A non-first fragment, or a first fragment with more to come: the offset of its Fragment header (whose
        /// 8 bytes are in the packet).
        case fragment(Int)
        /// ESP (the rest is encrypted) or No Next Header.
        case noUpperLayer
        /// A header runs past the end of the packet, or the chain is too long.
        case malformed
    }

    /// Walks the extension header chain from `offset` to the first header it does not know as an extension.
    func walkExtensionHeaders(_ bytes: PacketBytes, nextHeader: UInt8, at offset: Int, end: Int)
        -> ExtensionChain
    {
        var next = nextHeader
        var offset = offset
        for _ in 0...PacketDecoder.maxExtensionHeaders {
            switch next {
            case 0, 43, 60, 135, 139, 140, 253, 254:
                // Hop-by-hop, routing, destination options, and the later headers that RFC 7045 and RFC 8200
                // section 4.8 give the same layout (mobility, HIP, shim6, experimental): next header, then the
                // length in 8-byte units not counting the first 8.
                guard offset + 8 <= end else { return .malformed }
                let length = (Int(bytes.u8(offset + 1)) + 1) * 8
                guard offset + length <= end else { return .malformed }
                next = bytes.u8(offset)
                offset += length
            case 44:
                // Fragment header (RFC 8200 section 4.5): offset in the high 13 bits of bytes 2–3, M in bit 0.
                // Offset 0 with M clear is an atomic fragment (RFC 6946): the whole packet, decoded as usual.
                guard offset + 8 <= end else { return .malformed }
                let offsetAndFlags = bytes.u16(offset + 2)
                if offsetAndFlags >> 3 != 0 || offsetAndFlags & 1 != 0 { return .fragment(offset) }
                next = bytes.u8(offset)
                offset += 8
            case 51:
                // Authentication header (RFC 4302 section 2.2): its length is in 4-byte units, minus 2.
                guard offset + 8 <= end else { return .malformed }
                let length = (Int(bytes.u8(offset + 1)) + 2) * 4
                guard offset + length <= end else { return .malformed }
                next = bytes.u8(offset)
                offset += length
            case 50, 59:
                return .noUpperLayer
            default:
                return .upperLayer(next, offset)
            }
        }
        return .malformed
    }

    /// ICMPv6 destination unreachable (type 1, RFC 4443 section 3.1): 8 bytes of header, then as much of the
    /// offending packet as fits in the minimum MTU, extension headers included.
    func decodeICMPv6(_ bytes: PacketBytes, at start: Int, end: Int, reporter: IPAddress) -> DecodedPacket {
        guard start + 8 <= end, bytes.u8(start) == 1 else { return .other }
        let code = bytes.u8(start + 1)
        let quote = start + 8
        guard quote + 40 <= end, bytes.u8(quote) >> 4 == 6 else { return .other }
        guard
            case .upperLayer(6, let tcp) = walkExtensionHeaders(
                bytes, nextHeader: bytes.u8(quote + 6),
                at: quote + 40, end: end),
            tcp + 8 <= end
        else { return .other }
        let flow = FlowKey(
            source: Endpoint(address: .v6(bytes.u64(quote + 8), bytes.u64(quote + 16)), port: bytes.u16(tcp)),
            destination: Endpoint(address: .v6(bytes.u64(quote + 24), bytes.u64(quote + 32)), port: bytes.u16(tcp + 2)))
        return .icmpUnreachable(
            ICMPUnreachable(
                reporter: reporter, quotedFlow: flow, quotedSeq: SeqNumber(bytes.u32(tcp + 4)), isICMPv6: true,
                code: code))
    }

    // MARK: - TCP (RFC 9293 section 3.1)

    /// `end` is where the captured IP payload stops (the declared end or the capture, whichever is first);
    /// `declaredEnd` is where the IP header says it stops.
    func decodeTCP(
        _ bytes: PacketBytes, at start: Int, end: Int, declaredEnd: Int, source: IPAddress, destination: IPAddress
    ) -> DecodedPacket {
        guard start + 20 <= end else { return .malformed(.truncatedTCPHeader) }
        // Data offset, in 32-bit words; options (MSS, window scale, SACK, timestamps) are skipped with it.
        let headerLength = Int(bytes.u8(start + 12) >> 4) * 4
        guard headerLength >= 20, start + headerLength <= declaredEnd else { return .malformed(.badTCPHeaderLength) }
        guard start + headerLength <= end else { return .malformed(.truncatedTCPHeader) }
        let payloadOffset = start + headerLength
        let flow = FlowKey(
            source: Endpoint(address: source, port: bytes.u16(start)),
            destination: Endpoint(address: destination, port: bytes.u16(start + 2)))
        return .tcp(
            TCPSegment(
                flow: flow, seq: SeqNumber(bytes.u32(start + 4)), ack: SeqNumber(bytes.u32(start + 8)),
                flags: TCPFlags(rawValue: bytes.u8(start + 13)), window: bytes.u16(start + 14),
                payloadOffset: payloadOffset, payloadLength: end - payloadOffset,
                wirePayloadLength: declaredEnd - payloadOffset))
    }
}
