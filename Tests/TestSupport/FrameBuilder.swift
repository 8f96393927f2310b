import NetworkTypes

/// An IPv6 extension header for `FrameBuilder` (RFC 8200 section 4). Lengths are rounded up to what the header
/// format requires, with PadN/Pad1 option padding where the header carries options.
public enum IPv6ExtensionHeader: Sendable, Equatable {
    /// Hop-by-hop options (next header 0) with this many bytes of (padding) options after the first 2.
    case hopByHop(optionBytes: Int = 6)
    /// Destination options (next header 60) with this many bytes of (padding) options after the first 2.
    case destinationOptions(optionBytes: Int = 6)
    /// A segment routing header (next header 43, routing type 4, RFC 8754) listing this many segments.
    case routing(segments: Int = 1)
    /// A fragment header (next header 44); `offset` in bytes, a multiple of 8.
    case fragment(offset: Int = 0, moreFragments: Bool = false, identification: UInt32 = 1)
    /// An authentication header (next header 51, RFC 4302) with an ICV of this many bytes.
    case authentication(icvBytes: Int = 12)

    /// The protocol number that announces this header in the previous header's next-header field.
    public var protocolNumber: UInt8 {
        switch self {
        case .hopByHop: return 0
        case .destinationOptions: return 60
        case .routing: return 43
        case .fragment: return 44
        case .authentication: return 51
        }
    }

    /// The header's bytes, pointing at `nextHeader`.
    public func bytes(nextHeader: UInt8) -> [UInt8] {
        switch self {
        case .hopByHop(let optionBytes), .destinationOptions(let optionBytes):
            let total = (2 + max(optionBytes, 0) + 7) / 8 * 8
            return [nextHeader, UInt8(total / 8 - 1)] + IPv6ExtensionHeader.padding(total - 2)
        case .routing(let segments):
            // Next header, length, type 4, segments left, last entry, flags, tag, then 16 bytes per segment.
            let count = max(segments, 1)
            var bytes: [UInt8] = [nextHeader, UInt8(2 * count), 4, 0, UInt8(count - 1), 0, 0, 0]
            for index in 0..<count {
                bytes += [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [UInt8(index + 1)]
            }
            return bytes
        case .fragment(let offset, let moreFragments, let identification):
            precondition(offset % 8 == 0 && offset >= 0 && offset < 65536, "fragment offset must be a multiple of 8")
            let field = UInt16(offset) | (moreFragments ? 1 : 0)
            return [nextHeader, 0] + FrameBuilder.be16(field) + FrameBuilder.be32(identification)
        case .authentication(let icvBytes):
            // 12 fixed bytes plus the ICV, a multiple of 8 bytes in IPv6 (RFC 4302 section 3.3.3.2.1).
            let total = (12 + max(icvBytes, 0) + 7) / 8 * 8
            return [nextHeader, UInt8(total / 4 - 2), 0, 0] + FrameBuilder.be32(0x1000) + FrameBuilder.be32(1)
                + [UInt8](repeating: 0xAB, count: total - 12)
        }
    }

    /// Option padding of `count` bytes: Pad1 for one byte, PadN otherwise (RFC 8200 section 4.2).
    static func padding(_ count: Int) -> [UInt8] {
        if count <= 0 { return [] }
        if count == 1 { return [0] }
        return [1, UInt8(count - 2)] + [UInt8](repeating: 0, count: count - 2)
    }
}

/// Builds link-layer frames (Ethernet, VLAN, Linux SLL/SLL2, loopback, raw IP) holding TCP, ICMP and fragments,
/// with correct IPv4 header, TCP and ICMP checksums, for tests and synthetic captures.
///
/// Addresses choose the IP version: both endpoints must be of the same family.
public enum FrameBuilder {
    /// Ethernet source address used in every frame (locally administered).
    public static let sourceMAC: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01]
    /// Ethernet destination address used in every frame (locally administered).
    public static let destinationMAC: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02]
    /// The BSD address family written for IPv6 in `.null` frames (macOS's AF_INET6, written little-endian).
    public static let nullIPv6Family: UInt32 = 30
    /// The address family written for IPv6 in `.loop` frames (OpenBSD's AF_INET6, big-endian).
    public static let loopIPv6Family: UInt32 = 24

    /// A TCP segment in a frame of the given link type.
    ///
    /// - Parameters:
    ///   - tcpOptions: raw option bytes, padded with end-of-options to a multiple of 4 (see `synOptions`).
    ///   - vlanTags: 802.1Q tag control words, outermost first; all but the innermost are sent as 802.1ad
    ///     (0x88A8) service tags. Used by `.ethernet`, `.linuxSLL` and `.linuxSLL2`.
    ///   - ipv4Options: raw IPv4 option bytes, padded with end-of-options to a multiple of 4.
    ///   - ipv6ExtensionHeaders: headers placed between the IPv6 header and TCP, in order.
    ///   - ipLength: overrides the IPv4 total length or IPv6 payload length (0 imitates segmentation offload).
    ///   - padding: zero bytes appended after the IP packet (Ethernet pads short frames to 60 bytes).
    public static func tcp(
        from source: Endpoint, to destination: Endpoint, seq: UInt32, ack: UInt32 = 0, flags: TCPFlags,
        window: UInt16 = 65535, payload: [UInt8] = [], tcpOptions: [UInt8] = [], link: LinkType = .ethernet,
        vlanTags: [UInt16] = [], ipv4Options: [UInt8] = [], ipv6ExtensionHeaders: [IPv6ExtensionHeader] = [],
        ipLength: Int? = nil, ttl: UInt8 = 64, identification: UInt16 = 0x1234, padding: Int = 0
    ) -> [UInt8] {
        let segment = tcpSegment(
            from: source, to: destination, seq: seq, ack: ack, flags: flags, window: window, payload: payload,
            options: tcpOptions)
        let packet = ipPacket(
            from: source.address, to: destination.address, protocol: 6, payload: segment, ipv4Options: ipv4Options,
            ipv6ExtensionHeaders: ipv6ExtensionHeaders, ipLength: ipLength, ttl: ttl, identification: identification)
        return frame(ipPacket: packet, link: link, vlanTags: vlanTags, padding: padding)
    }

    /// Typical SYN options: MSS, SACK permitted, timestamps, NOP, window scale (20 bytes, data offset 10).
    public static func synOptions(mss: UInt16 = 1460, windowScale: UInt8 = 7) -> [UInt8] {
        [2, 4] + be16(mss) + [4, 2, 8, 10] + be32(0x0102_0304) + be32(0) + [1, 3, 3, windowScale]
    }

    /// An ICMP destination unreachable (IPv4, type 3) or ICMPv6 destination unreachable (type 1), sent by
    /// `reporter` back to the quoted segment's sender, quoting that segment.
    ///
    /// - Parameters:
    ///   - code: the ICMP code; nil means port unreachable (3 for ICMP, 4 for ICMPv6).
    ///   - quotedBytes: how much of the offending IP packet to quote; nil means the IP header and 8 bytes of TCP
    ///     for IPv4 (RFC 792) and the whole packet for IPv6 (RFC 4443).
    public static func icmpUnreachable(
        reporter: IPAddress, quotedFrom: Endpoint, quotedTo: Endpoint, quotedSeq: UInt32,
        quotedFlags: TCPFlags = .syn, code: UInt8? = nil, quotedBytes: Int? = nil,
        quotedIPv6ExtensionHeaders: [IPv6ExtensionHeader] = [], link: LinkType = .ethernet,
        vlanTags: [UInt16] = [], padding: Int = 0
    ) -> [UInt8] {
        let segment = tcpSegment(
            from: quotedFrom, to: quotedTo, seq: quotedSeq, ack: 0, flags: quotedFlags, window: 64240, payload: [],
            options: [])
        let offending = ipPacket(
            from: quotedFrom.address, to: quotedTo.address, protocol: 6, payload: segment, ipv4Options: [],
            ipv6ExtensionHeaders: quotedIPv6ExtensionHeaders, ipLength: nil, ttl: 64, identification: 0x4242)
        let isIPv6 = !quotedFrom.address.isIPv4
        let quoteLength = min(quotedBytes ?? (isIPv6 ? offending.count : 28), offending.count)
        var message: [UInt8] = [isIPv6 ? 1 : 3, code ?? (isIPv6 ? 4 : 3), 0, 0, 0, 0, 0, 0]
        message += offending[0..<quoteLength]
        let checksum: UInt16
        if isIPv6 {
            checksum = internetChecksum(
                pseudoHeader(source: reporter, destination: quotedFrom.address, protocol: 58, length: message.count)
                    + message)
        } else {
            checksum = internetChecksum(message)
        }
        message[2] = UInt8(checksum >> 8)
        message[3] = UInt8(checksum & 0xFF)
        let packet = ipPacket(
            from: reporter, to: quotedFrom.address, protocol: isIPv6 ? 58 : 1, payload: message, ipv4Options: [],
            ipv6ExtensionHeaders: [], ipLength: nil, ttl: 64, identification: 0x4343)
        return frame(ipPacket: packet, link: link, vlanTags: vlanTags, padding: padding)
    }

    /// An IPv4 fragment carrying `payload` at byte `offset` (a multiple of 8) of the original datagram.
    public static func ipv4Fragment(
        from source: IPAddress, to destination: IPAddress, protocol: UInt8 = 6, identification: UInt16 = 0x5151,
        offset: Int, moreFragments: Bool, payload: [UInt8], link: LinkType = .ethernet, vlanTags: [UInt16] = [],
        padding: Int = 0
    ) -> [UInt8] {
        precondition(offset % 8 == 0 && offset >= 0 && offset / 8 < 0x2000, "fragment offset must be a multiple of 8")
        let field = UInt16(offset / 8) | (moreFragments ? 0x2000 : 0)
        guard case .v4(let sourceAddress) = source, case .v4(let destinationAddress) = destination else {
            preconditionFailure("ipv4Fragment needs IPv4 addresses")
        }
        let packet = ipv4Packet(
            source: sourceAddress, destination: destinationAddress, protocol: `protocol`, payload: payload,
            options: [], totalLength: nil, ttl: 64, identification: identification, flagsAndOffset: field)
        return frame(ipPacket: packet, link: link, vlanTags: vlanTags, padding: padding)
    }

    /// An IPv6 fragment (a fragment extension header before `payload`) at byte `offset` of the original packet.
    public static func ipv6Fragment(
        from source: IPAddress, to destination: IPAddress, nextHeader: UInt8 = 6, identification: UInt32 = 0x5151,
        offset: Int, moreFragments: Bool, payload: [UInt8], link: LinkType = .ethernet, vlanTags: [UInt16] = [],
        padding: Int = 0
    ) -> [UInt8] {
        let header = IPv6ExtensionHeader.fragment(
            offset: offset, moreFragments: moreFragments, identification: identification)
        let packet = ipPacket(
            from: source, to: destination, protocol: nextHeader, payload: payload, ipv4Options: [],
            ipv6ExtensionHeaders: [header], ipLength: nil, ttl: 64, identification: 0)
        return frame(ipPacket: packet, link: link, vlanTags: vlanTags, padding: padding)
    }

    /// Wraps an IP packet (version taken from its first nibble) in the link-layer header of `link`.
    public static func frame(ipPacket: [UInt8], link: LinkType, vlanTags: [UInt16] = [], padding: Int = 0) -> [UInt8] {
        let isIPv6 = (ipPacket.first ?? 0x40) >> 4 == 6
        var bytes: [UInt8]
        switch link {
        case .null:
            bytes = le32(isIPv6 ? nullIPv6Family : 2) + ipPacket
        case .loop:
            bytes = be32(isIPv6 ? loopIPv6Family : 2) + ipPacket
        case .raw, .ipv4, .ipv6, .unsupported:
            bytes = ipPacket
        case .ethernet, .linuxSLL, .linuxSLL2:
            return frame(
                etherType: isIPv6 ? 0x86DD : 0x0800, payload: ipPacket, link: link, vlanTags: vlanTags,
                padding: padding)
        }
        return bytes + [UInt8](repeating: 0, count: max(padding, 0))
    }

    /// A frame carrying any ethertype (ARP 0x0806, …) for the link types that have one (`.ethernet`,
    /// `.linuxSLL`, `.linuxSLL2`); the others get `payload` alone.
    public static func frame(
        etherType: UInt16, payload: [UInt8], link: LinkType, vlanTags: [UInt16] = [], padding: Int = 0
    ) -> [UInt8] {
        // Tags sit between the link header's type field and the payload: the outer type field says "tag", each
        // tag carries its control word and the next type.
        let types: [UInt16] = vlanTags.indices.map { $0 == vlanTags.count - 1 ? 0x8100 : 0x88A8 } + [etherType]
        var tagBytes: [UInt8] = []
        for (index, tag) in vlanTags.enumerated() { tagBytes += be16(tag) + be16(types[index + 1]) }
        var bytes: [UInt8]
        switch link {
        case .ethernet:
            bytes = destinationMAC + sourceMAC + be16(types[0]) + tagBytes
        case .linuxSLL:
            // Packet type 0 (to us), ARPHRD_ETHER, address length 6, address padded to 8, protocol.
            bytes = be16(0) + be16(1) + be16(6) + sourceMAC + [0, 0] + be16(types[0]) + tagBytes
        case .linuxSLL2:
            // Protocol, reserved, interface index, ARPHRD_ETHER, packet type, address length, address.
            bytes = be16(types[0]) + be16(0) + be32(1) + be16(1) + [0, 6] + sourceMAC + [0, 0] + tagBytes
        default:
            bytes = []
        }
        return bytes + payload + [UInt8](repeating: 0, count: max(padding, 0))
    }

    /// Bytes before the IP header in frames this builder makes for `link` (with `vlanTags` tags).
    public static func linkHeaderLength(_ link: LinkType, vlanTags: Int = 0) -> Int {
        switch link {
        case .ethernet: return 14 + 4 * vlanTags
        case .linuxSLL: return 16 + 4 * vlanTags
        case .linuxSLL2: return 20 + 4 * vlanTags
        case .null, .loop: return 4
        case .raw, .ipv4, .ipv6, .unsupported: return 0
        }
    }

    // MARK: - Layers

    /// A TCP header with options and payload, its checksum computed over the pseudo-header.
    public static func tcpSegment(
        from source: Endpoint, to destination: Endpoint, seq: UInt32, ack: UInt32, flags: TCPFlags, window: UInt16,
        payload: [UInt8], options: [UInt8]
    ) -> [UInt8] {
        let paddedOptions = options + [UInt8](repeating: 0, count: (4 - options.count % 4) % 4)
        let headerLength = 20 + paddedOptions.count
        precondition(headerLength <= 60, "TCP options longer than 40 bytes")
        var bytes = be16(source.port) + be16(destination.port) + be32(seq) + be32(ack)
        bytes += [UInt8(headerLength / 4) << 4, flags.rawValue] + be16(window) + [0, 0, 0, 0]
        bytes += paddedOptions + payload
        let checksum = internetChecksum(
            pseudoHeader(source: source.address, destination: destination.address, protocol: 6, length: bytes.count)
                + bytes)
        bytes[16] = UInt8(checksum >> 8)
        bytes[17] = UInt8(checksum & 0xFF)
        return bytes
    }

    /// An IPv4 or IPv6 packet around `payload`, by the addresses' family.
    public static func ipPacket(
        from source: IPAddress, to destination: IPAddress, protocol: UInt8, payload: [UInt8],
        ipv4Options: [UInt8] = [], ipv6ExtensionHeaders: [IPv6ExtensionHeader] = [], ipLength: Int? = nil,
        ttl: UInt8 = 64, identification: UInt16 = 0x1234
    ) -> [UInt8] {
        switch (source, destination) {
        case (.v4(let sourceAddress), .v4(let destinationAddress)):
            return ipv4Packet(
                source: sourceAddress, destination: destinationAddress, protocol: `protocol`, payload: payload,
                options: ipv4Options, totalLength: ipLength, ttl: ttl, identification: identification,
                flagsAndOffset: 0x4000)
        case (.v6(let sourceHigh, let sourceLow), .v6(let destinationHigh, let destinationLow)):
            var extensionBytes: [UInt8] = []
            for (index, header) in ipv6ExtensionHeaders.enumerated() {
                let next =
                    index + 1 < ipv6ExtensionHeaders.count ? ipv6ExtensionHeaders[index + 1].protocolNumber : `protocol`
                extensionBytes += header.bytes(nextHeader: next)
            }
            let firstNext = ipv6ExtensionHeaders.first?.protocolNumber ?? `protocol`
            let payloadLength = ipLength ?? (extensionBytes.count + payload.count)
            var bytes: [UInt8] = [0x60, 0, 0, 0] + be16(UInt16(truncatingIfNeeded: payloadLength)) + [firstNext, ttl]
            bytes += be64(sourceHigh) + be64(sourceLow) + be64(destinationHigh) + be64(destinationLow)
            return bytes + extensionBytes + payload
        default:
            preconditionFailure("source and destination must both be IPv4 or both IPv6")
        }
    }

    static func ipv4Packet(
        source: UInt32, destination: UInt32, protocol: UInt8, payload: [UInt8], options: [UInt8], totalLength: Int?,
        ttl: UInt8, identification: UInt16, flagsAndOffset: UInt16
    ) -> [UInt8] {
        let paddedOptions = options + [UInt8](repeating: 0, count: (4 - options.count % 4) % 4)
        let headerLength = 20 + paddedOptions.count
        precondition(headerLength <= 60, "IPv4 options longer than 40 bytes")
        let length = totalLength ?? (headerLength + payload.count)
        var header: [UInt8] = [0x40 | UInt8(headerLength / 4), 0] + be16(UInt16(truncatingIfNeeded: length))
        header += be16(identification) + be16(flagsAndOffset) + [ttl, `protocol`, 0, 0]
        header += be32(source) + be32(destination) + paddedOptions
        let checksum = internetChecksum(header)
        header[10] = UInt8(checksum >> 8)
        header[11] = UInt8(checksum & 0xFF)
        return header + payload
    }

    /// The TCP/UDP/ICMPv6 pseudo-header (RFC 9293 section 3.1, RFC 8200 section 8.1).
    static func pseudoHeader(source: IPAddress, destination: IPAddress, protocol: UInt8, length: Int) -> [UInt8] {
        switch (source, destination) {
        case (.v4(let s), .v4(let d)):
            return be32(s) + be32(d) + [0, `protocol`] + be16(UInt16(truncatingIfNeeded: length))
        case (.v6(let sh, let sl), .v6(let dh, let dl)):
            return be64(sh) + be64(sl) + be64(dh) + be64(dl) + be32(UInt32(truncatingIfNeeded: length))
                + [0, 0, 0, `protocol`]
        default:
            preconditionFailure("source and destination must both be IPv4 or both IPv6")
        }
    }

    /// The ones' complement of the ones' complement sum of 16-bit words (RFC 1071).
    public static func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    static func be64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) } }
}
