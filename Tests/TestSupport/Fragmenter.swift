import NetworkTypes

/// Splits the IP packets of captured frames into fragments, the way a router or a hostile sender would, for tests
/// that the analysis of a fragmented capture equals the original's (issue 16).
///
/// IPv4 (RFC 791 section 3.2): the header (options included) is repeated on every fragment, DF cleared, MF and the
/// offset set, the checksum recomputed. IPv6 (RFC 8200 section 4.5): a Fragment header is inserted after the fixed
/// header; everything after it is the fragmentable part, so packets with hop-by-hop or routing headers (which
/// belong to the unfragmentable part) are left whole. Every fragmented packet gets a fresh identification from
/// `nextIdentification`, as a sender's counter would, so duplicates of one packet's last fragment never join the
/// next packet's datagram.
public struct Fragmenter: Sendable {
    /// Which packets to fragment.
    public enum Family: Sendable { case ipv4, ipv6 }

    /// The order fragments are written in.
    public enum Order: Sendable, CustomStringConvertible {
        /// First to last.
        case inOrder
        /// Last to first (what some stacks send, and a classic reassembler stress).
        case reversed
        /// In order, every fragment written twice in a row.
        case duplicated
        /// In order, then the first fragment again with its bytes changed from `at` (an overlap that must not
        /// win under first-wins; IPv6 discards the datagram).
        case conflictingDuplicateOfFirst

        public var description: String {
            switch self {
            case .inOrder: return "in order"
            case .reversed: return "reversed"
            case .duplicated: return "duplicated"
            case .conflictingDuplicateOfFirst: return "conflicting duplicate"
            }
        }
    }

    /// Fragment payload size in bytes (a multiple of 8).
    public var size: Int
    /// Which IP version is fragmented; packets of the other pass unchanged.
    public var family: Family
    /// The order of each packet's fragments.
    public var order: Order
    /// The identification the next fragmented packet gets.
    public var nextIdentification: UInt32 = 0x4000

    /// Creates a fragmenter.
    public init(size: Int, family: Family = .ipv4, order: Order = .inOrder) {
        precondition(size > 0 && size % 8 == 0, "fragment size must be a positive multiple of 8")
        self.size = size
        self.family = family
        self.order = order
    }

    /// The frames to write in place of `frame`: the frame itself when it is not an IP packet of `family`, is cut
    /// by the snap length, or fits in one fragment.
    public mutating func fragment(_ frame: [UInt8], link: LinkType) -> [[UInt8]] {
        guard let ipStart = Fragmenter.ipOffset(frame, link: link), ipStart < frame.count else { return [frame] }
        let version = frame[ipStart] >> 4
        switch (family, version) {
        case (.ipv4, 4): return fragmentIPv4(frame, at: ipStart)
        case (.ipv6, 6): return fragmentIPv6(frame, at: ipStart)
        default: return [frame]
        }
    }

    /// Where the IP header starts in a frame of this link type, nil when it is not IP.
    public static func ipOffset(_ frame: [UInt8], link: LinkType) -> Int? {
        func u16(_ at: Int) -> UInt16 { at + 1 < frame.count ? UInt16(frame[at]) << 8 | UInt16(frame[at + 1]) : 0 }
        switch link {
        case .ethernet:
            var type = u16(12)
            var offset = 14
            while type == 0x8100 || type == 0x88A8 || type == 0x9100 {
                type = u16(offset + 2)
                offset += 4
            }
            return type == 0x0800 || type == 0x86DD ? offset : nil
        case .linuxSLL: return u16(14) == 0x0800 || u16(14) == 0x86DD ? 16 : nil
        case .linuxSLL2: return u16(0) == 0x0800 || u16(0) == 0x86DD ? 20 : nil
        case .null, .loop: return 4
        case .raw, .ipv4, .ipv6: return 0
        case .unsupported: return nil
        }
    }

    private mutating func fragmentIPv4(_ frame: [UInt8], at start: Int) -> [[UInt8]] {
        guard frame.count >= start + 20 else { return [frame] }
        let headerLength = Int(frame[start] & 0x0F) * 4
        let totalLength = Int(frame[start + 2]) << 8 | Int(frame[start + 3])
        let flags = UInt16(frame[start + 6]) << 8 | UInt16(frame[start + 7])
        guard headerLength >= 20, totalLength > headerLength + size, frame.count >= start + totalLength,
            flags & 0x3FFF == 0
        else { return [frame] }
        let prefix = Array(frame[0..<start])
        let header = Array(frame[start..<(start + headerLength)])
        let payload = Array(frame[(start + headerLength)..<(start + totalLength)])
        let identification = UInt16(truncatingIfNeeded: nextIdentification)
        nextIdentification &+= 1
        var fragments: [[UInt8]] = []
        var offset = 0
        while offset < payload.count {
            let chunk = Array(payload[offset..<min(offset + size, payload.count)])
            let more = offset + chunk.count < payload.count
            var ip = header
            let length = headerLength + chunk.count
            ip[2] = UInt8(length >> 8)
            ip[3] = UInt8(length & 0xFF)
            ip[4] = UInt8(identification >> 8)
            ip[5] = UInt8(identification & 0xFF)
            let field = UInt16(offset / 8) | (more ? 0x2000 : 0)
            ip[6] = UInt8(field >> 8)
            ip[7] = UInt8(field & 0xFF)
            ip[10] = 0
            ip[11] = 0
            let checksum = Fragmenter.checksum(ip)
            ip[10] = UInt8(checksum >> 8)
            ip[11] = UInt8(checksum & 0xFF)
            fragments.append(prefix + ip + chunk)
            offset += chunk.count
        }
        return arrange(fragments, corrupting: prefix.count + headerLength)
    }

    private mutating func fragmentIPv6(_ frame: [UInt8], at start: Int) -> [[UInt8]] {
        guard frame.count >= start + 40 else { return [frame] }
        let payloadLength = Int(frame[start + 4]) << 8 | Int(frame[start + 5])
        let nextHeader = frame[start + 6]
        // Hop-by-hop and routing headers belong to the unfragmentable part; a Fragment header is already there.
        guard payloadLength > size, frame.count >= start + 40 + payloadLength, ![0, 43, 44].contains(nextHeader)
        else { return [frame] }
        let prefix = Array(frame[0..<start])
        let header = Array(frame[start..<(start + 40)])
        let payload = Array(frame[(start + 40)..<(start + 40 + payloadLength)])
        let identification = nextIdentification
        nextIdentification &+= 1
        var fragments: [[UInt8]] = []
        var offset = 0
        while offset < payload.count {
            let chunk = Array(payload[offset..<min(offset + size, payload.count)])
            let more = offset + chunk.count < payload.count
            var ip = header
            let length = 8 + chunk.count
            ip[4] = UInt8(length >> 8)
            ip[5] = UInt8(length & 0xFF)
            ip[6] = 44
            let field = UInt16(offset) | (more ? 1 : 0)
            let fragmentHeader: [UInt8] = [
                nextHeader, 0, UInt8(field >> 8), UInt8(field & 0xFF), UInt8(identification >> 24),
                UInt8((identification >> 16) & 0xFF), UInt8((identification >> 8) & 0xFF), UInt8(identification & 0xFF),
            ]
            fragments.append(prefix + ip + fragmentHeader + chunk)
            offset += chunk.count
        }
        return arrange(fragments, corrupting: prefix.count + 48)
    }

    /// Puts one packet's fragments in `order`; `payloadStart` is where the payload begins in each fragment.
    private func arrange(_ fragments: [[UInt8]], corrupting payloadStart: Int) -> [[UInt8]] {
        switch order {
        case .inOrder: return fragments
        case .reversed: return fragments.reversed()
        case .duplicated: return fragments.flatMap { [$0, $0] }
        case .conflictingDuplicateOfFirst:
            var forged = fragments[0]
            for index in payloadStart..<forged.count { forged[index] ^= 0x20 }
            return [fragments[0], forged] + fragments.dropFirst()
        }
    }

    /// The Internet checksum (RFC 1071) of an IPv4 header.
    static func checksum(_ bytes: [UInt8]) -> UInt16 {
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
}
