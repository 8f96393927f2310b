/// Tallies of what the decoder made of the packets it was given, for the capture summary and the anomaly report.
///
/// The decoder itself stays pure: `PacketDecoder.decode(_:)` counts nothing. Callers that want totals either call
/// `PacketDecoder.decode(_:counting:)` or feed each result to `record(_:)`; both do the same thing. Live capture
/// keeps one value per thread and merges them with `+=`.
public struct DecodeCounters: Sendable, Equatable {
    /// Packets seen.
    public var packets = 0
    /// Packets that decoded to a TCP segment.
    public var tcp = 0
    /// ICMP/ICMPv6 destination-unreachable messages quoting TCP.
    public var icmpUnreachable = 0
    /// IPv4 or IPv6 fragments (not reassembled).
    public var fragments = 0
    /// Packets that are not TCP/IP (ARP, UDP, other ICMP, unsupported link types, …).
    public var other = 0

    // One counter per `DecodeFailure`; stored fields rather than a dictionary so that counting never allocates.
    private var truncatedLinkHeader = 0
    private var truncatedIPHeader = 0
    private var badIPVersion = 0
    private var badIPHeaderLength = 0
    private var truncatedTCPHeader = 0
    private var badTCPHeaderLength = 0
    private var badExtensionHeader = 0

    /// Creates zeroed counters.
    public init() {}

    /// Malformed packets, all reasons together.
    public var malformed: Int {
        truncatedLinkHeader + truncatedIPHeader + badIPVersion + badIPHeaderLength + truncatedTCPHeader
            + badTCPHeaderLength + badExtensionHeader
    }

    /// Malformed packets for one reason.
    public subscript(reason: DecodeFailure) -> Int {
        get {
            switch reason {
            case .truncatedLinkHeader: return truncatedLinkHeader
            case .truncatedIPHeader: return truncatedIPHeader
            case .badIPVersion: return badIPVersion
            case .badIPHeaderLength: return badIPHeaderLength
            case .truncatedTCPHeader: return truncatedTCPHeader
            case .badTCPHeaderLength: return badTCPHeaderLength
            case .badExtensionHeader: return badExtensionHeader
            }
        }
        set {
            switch reason {
            case .truncatedLinkHeader: truncatedLinkHeader = newValue
            case .truncatedIPHeader: truncatedIPHeader = newValue
            case .badIPVersion: badIPVersion = newValue
            case .badIPHeaderLength: badIPHeaderLength = newValue
            case .truncatedTCPHeader: truncatedTCPHeader = newValue
            case .badTCPHeaderLength: badTCPHeaderLength = newValue
            case .badExtensionHeader: badExtensionHeader = newValue
            }
        }
    }

    /// Counts one decoded packet.
    public mutating func record(_ result: DecodedPacket) {
        packets += 1
        switch result {
        case .tcp: tcp += 1
        case .icmpUnreachable: icmpUnreachable += 1
        case .fragment: fragments += 1
        case .other: other += 1
        case .malformed(let reason): self[reason] += 1
        }
    }

    /// Adds another set of counters (e.g. from another capture thread) to these.
    public static func += (lhs: inout DecodeCounters, rhs: DecodeCounters) {
        lhs.packets += rhs.packets
        lhs.tcp += rhs.tcp
        lhs.icmpUnreachable += rhs.icmpUnreachable
        lhs.fragments += rhs.fragments
        lhs.other += rhs.other
        for reason in DecodeFailure.allCases { lhs[reason] += rhs[reason] }
    }
}
