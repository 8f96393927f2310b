import NetworkTypes

/// Zeek's `conn_state` vocabulary (https://docs.zeek.org/en/master/scripts/base/protocols/conn/main.zeek.html),
/// which data-channel diagnosis reads: S0 = SYN with no reply, REJ = SYN answered by RST, and so on.
public enum ConnectionState: String, Sendable, Hashable, CaseIterable {
    /// Connection attempt seen, no reply.
    case s0 = "S0"
    /// Established, not terminated.
    case s1 = "S1"
    /// Normal establishment and termination.
    case sf = "SF"
    /// Connection attempt rejected (RST in reply to SYN).
    case rej = "REJ"
    /// Established, originator sent FIN, nothing from the responder's close.
    case s2 = "S2"
    /// Established, responder sent FIN, nothing from the originator's close.
    case s3 = "S3"
    /// Established, originator aborted (RST).
    case rsto = "RSTO"
    /// Established, responder aborted (RST).
    case rstr = "RSTR"
    /// Originator sent a SYN then a RST; no SYN-ACK seen.
    case rstos0 = "RSTOS0"
    /// Responder sent a SYN-ACK then a RST; no SYN from the originator seen.
    case rstrh = "RSTRH"
    /// Originator sent a SYN then a FIN; no SYN-ACK seen ("half open").
    case sh = "SH"
    /// Responder sent a SYN-ACK then a FIN; no SYN from the originator seen.
    case shr = "SHR"
    /// No SYN seen, just midstream traffic.
    case oth = "OTH"
}

/// Per-direction counters and flags of a connection.
public struct DirectionStats: Sendable, Hashable {
    /// Packets sent by this side.
    public var packets: UInt64 = 0
    /// Payload bytes delivered in order (or counted, for count-only connections), excluding retransmissions.
    public var bytes: UInt64 = 0
    /// Payload bytes missing from the capture (gaps).
    public var missingBytes: UInt64 = 0
    /// SYN segments sent (retransmitted SYNs count each time).
    public var syns: UInt32 = 0
    /// True once this side sent a FIN.
    public var sawFIN = false
    /// True once this side sent a RST.
    public var sawRST = false
    /// Time of the first payload byte this side sent.
    public var firstPayloadTime: Timestamp?
    /// Time of the last payload byte this side sent.
    public var lastPayloadTime: Timestamp?

    /// Creates empty stats.
    public init() {}
}

/// A tracked TCP connection. Owned by the reassembler; the delegate may read it and set `handling` and `context`.
public final class TCPConnection {
    /// The opener (SYN sender), or the best guess when the capture began mid-connection.
    public let originator: Endpoint
    /// The acceptor.
    public let responder: Endpoint
    /// True when the connection's SYN was in the capture (so `originator` is certain).
    public internal(set) var sawInitialSYN: Bool
    /// When its first packet was seen.
    public let firstTime: Timestamp
    /// When its last packet was seen.
    public internal(set) var lastTime: Timestamp
    /// How its payload is treated; the delegate may change it at any time.
    public var handling: StreamHandling = .reassemble
    /// Whatever the delegate attaches (for FTP analysis: the session or data channel this connection belongs to).
    public var context: AnyObject?
    /// Stats per direction, indexed by `Direction.rawValue`.
    public internal(set) var stats: [DirectionStats] = [DirectionStats(), DirectionStats()]
    /// True when the responder answered with SYN-ACK.
    public internal(set) var sawSYNACK = false
    /// Zeek-style history letters (S, h, A, D, a, d, F, f, R, r, …) in order of first occurrence.
    public internal(set) var history: String = ""
    /// True when the connection ended because the capture ended or it went idle, not by FIN/RST.
    public internal(set) var endedWithoutClose = false
    /// A small serial number in order of first packet; stable identity for reports.
    public let serial: UInt64

    /// Creates a connection record (the reassembler does this).
    public init(originator: Endpoint, responder: Endpoint, sawInitialSYN: Bool, firstTime: Timestamp, serial: UInt64) {
        self.originator = originator
        self.responder = responder
        self.sawInitialSYN = sawInitialSYN
        self.firstTime = firstTime
        self.lastTime = firstTime
        self.serial = serial
    }

    /// The stats of one side.
    @inlinable public func stats(_ direction: Direction) -> DirectionStats { stats[direction.rawValue] }

    /// The state in Zeek's vocabulary, from what has been seen so far.
    public var state: ConnectionState {
        let orig = stats[0]
        let resp = stats[1]
        let sawSYN = orig.syns > 0
        if sawSYN && !sawSYNACK {
            if resp.sawRST { return .rej }
            if orig.sawRST { return .rstos0 }
            if orig.sawFIN { return .sh }
            if resp.packets == 0 { return .s0 }
        }
        if !sawSYN && sawSYNACK {
            if resp.sawRST && orig.packets == 0 { return .rstrh }
            if resp.sawFIN && orig.packets == 0 { return .shr }
        }
        if !sawSYN && !sawSYNACK && !(orig.sawFIN && resp.sawFIN) && !orig.sawRST && !resp.sawRST {
            return .oth
        }
        if orig.sawRST { return .rsto }
        if resp.sawRST { return .rstr }
        if orig.sawFIN && resp.sawFIN { return .sf }
        if orig.sawFIN { return .s2 }
        if resp.sawFIN { return .s3 }
        return sawSYN || sawSYNACK ? .s1 : .oth
    }
}
