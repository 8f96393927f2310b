import NetworkTypes

/// One TCP segment as the decoder found it: header fields by value and where the payload lies in the packet.
///
/// The payload is not copied: `payloadOffset`/`payloadLength` index into the packet bytes the decoder was given,
/// which are only valid during the capture callback.
public struct TCPSegment: Sendable, Equatable {
    /// Sender and receiver. Not settable: `flowHash` is computed from it.
    public let flow: FlowKey
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
    /// `FlowHash.of(flow)`, computed where the segment is decoded (offline on the reader thread), so the analysis
    /// thread finds the connection without hashing.
    public let flowHash: UInt64

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
        flowHash = FlowHash.of(flow)
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
