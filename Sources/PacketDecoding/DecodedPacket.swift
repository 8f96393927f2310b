import NetworkTypes

/// One TCP segment as the decoder found it: header fields by value and where the payload lies in the packet.
///
/// The payload is not copied: `payloadOffset`/`payloadLength` index into the packet bytes the decoder was given,
/// which are only valid during the capture callback.
public struct TCPSegment: Sendable, Equatable {
    /// Sender and receiver.
    public var flow: FlowKey
    /// Sequence number of the first payload byte (or of the SYN/FIN).
    public var seq: SeqNumber
    /// Acknowledgement number (meaningful when `flags` contains `.ack`).
    public var ack: SeqNumber
    /// TCP flags.
    public var flags: TCPFlags
    /// Advertised window (unscaled).
    public var window: UInt16
    /// Offset of the TCP payload in the packet bytes.
    public var payloadOffset: Int
    /// Payload bytes present in the capture (after trimming link padding and the snap length).
    public var payloadLength: Int
    /// Payload bytes the IP header says were sent; larger than `payloadLength` when the snap length cut it.
    public var wirePayloadLength: Int

    /// Creates a segment.
    public init(
        flow: FlowKey, seq: SeqNumber, ack: SeqNumber, flags: TCPFlags, window: UInt16, payloadOffset: Int,
        payloadLength: Int, wirePayloadLength: Int? = nil
    ) {
        self.flow = flow
        self.seq = seq
        self.ack = ack
        self.flags = flags
        self.window = window
        self.payloadOffset = payloadOffset
        self.payloadLength = payloadLength
        self.wirePayloadLength = wirePayloadLength ?? payloadLength
    }
}

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

/// Why a packet could not be decoded to the end. Malformed packets are data, counted and reported, never thrown.
public enum DecodeFailure: String, Sendable, Equatable, CaseIterable {
    case truncatedLinkHeader = "truncated link-layer header"
    case truncatedIPHeader = "truncated IP header"
    case badIPVersion = "bad IP version"
    case badIPHeaderLength = "bad IP header length"
    case truncatedTCPHeader = "truncated TCP header"
    case badTCPHeaderLength = "bad TCP header length"
    case badExtensionHeader = "bad IPv6 extension header"
}

/// What the decoder made of one packet.
public enum DecodedPacket: Sendable, Equatable {
    /// A TCP segment (payload range within the packet).
    case tcp(TCPSegment)
    /// An ICMP destination-unreachable quoting a TCP segment.
    case icmpUnreachable(ICMPUnreachable)
    /// An IP fragment (offset > 0 or more-fragments set), for the IP reassembly stage.
    case fragment(IPFragment)
    /// Not TCP/IP (ARP, UDP, other link protocols, …).
    case other
    /// Damaged: the reason.
    case malformed(DecodeFailure)
}
