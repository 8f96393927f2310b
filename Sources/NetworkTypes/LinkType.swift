/// The link-layer header types ftpscope decodes, by their LINKTYPE_ value in pcap and pcapng files
/// (https://www.tcpdump.org/linktypes.html). libpcap maps DLT_ values to these when it reads a file.
public enum LinkType: Hashable, Sendable, CustomStringConvertible {
    /// LINKTYPE_NULL (0): BSD loopback, a 4-byte address family in the capturing host's byte order.
    case null
    /// LINKTYPE_ETHERNET (1), with 802.1Q/802.1ad tags.
    case ethernet
    /// LINKTYPE_RAW (101, also DLT_RAW 12/14 on some systems): an IPv4 or IPv6 packet, told apart by version.
    case raw
    /// LINKTYPE_LOOP (108): OpenBSD loopback, the address family in network byte order.
    case loop
    /// LINKTYPE_LINUX_SLL (113): Linux cooked capture v1.
    case linuxSLL
    /// LINKTYPE_IPV4 (228).
    case ipv4
    /// LINKTYPE_IPV6 (229).
    case ipv6
    /// LINKTYPE_LINUX_SLL2 (276): Linux cooked capture v2.
    case linuxSLL2
    /// Anything else, by its number.
    case unsupported(Int32)

    /// Maps a DLT/LINKTYPE number (as libpcap's `pcap_datalink` returns it) to a link type.
    public init(dlt: Int32) {
        switch dlt {
        case 0: self = .null
        case 1: self = .ethernet
        case 12, 14, 101: self = .raw
        case 108: self = .loop
        case 113: self = .linuxSLL
        case 228: self = .ipv4
        case 229: self = .ipv6
        case 276: self = .linuxSLL2
        default: self = .unsupported(dlt)
        }
    }

    /// True when ftpscope can decode it.
    public var isSupported: Bool { if case .unsupported = self { return false } else { return true } }

    /// The name used in messages and in the JSON document's `link_type`.
    public var description: String {
        switch self {
        case .null: return "NULL"
        case .ethernet: return "EN10MB"
        case .raw: return "RAW"
        case .loop: return "LOOP"
        case .linuxSLL: return "LINUX_SLL"
        case .ipv4: return "IPV4"
        case .ipv6: return "IPV6"
        case .linuxSLL2: return "LINUX_SLL2"
        case .unsupported(let value): return "DLT \(value)"
        }
    }
}
