/// An ICMP or ICMPv6 destination-unreachable message that quotes a TCP segment (RFC 792, RFC 4443).
public struct ICMPUnreachable: Sendable, Equatable {
    /// Who sent the ICMP message (a router or the destination host).
    public var reporter: IPAddress
    /// The quoted TCP segment's flow, as the original sender sent it.
    public var quotedFlow: FlowKey
    /// The quoted segment's sequence number.
    public var quotedSeq: SeqNumber
    /// True for ICMPv6, false for ICMPv4.
    public var isICMPv6: Bool
    /// ICMP code (port unreachable, host unreachable, administratively prohibited, …).
    public var code: UInt8

    /// Creates a record.
    public init(reporter: IPAddress, quotedFlow: FlowKey, quotedSeq: SeqNumber, isICMPv6: Bool, code: UInt8) {
        self.reporter = reporter
        self.quotedFlow = quotedFlow
        self.quotedSeq = quotedSeq
        self.isICMPv6 = isICMPv6
        self.code = code
    }

    /// Human name of the code, e.g. "port unreachable", "administratively prohibited".
    public var reason: String {
        if isICMPv6 {
            switch code {
            case 0: return "no route to destination"
            case 1: return "administratively prohibited"
            case 3: return "address unreachable"
            case 4: return "port unreachable"
            case 5: return "source address failed ingress/egress policy"
            case 6: return "reject route to destination"
            default: return "destination unreachable (code \(code))"
            }
        }
        switch code {
        case 0: return "network unreachable"
        case 1: return "host unreachable"
        case 3: return "port unreachable"
        case 9, 10, 13: return "administratively prohibited"
        default: return "destination unreachable (code \(code))"
        }
    }
}
