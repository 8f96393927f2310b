import NetworkTypes
import PacketDecoding

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
    /// Payload bytes seen again after they had already been seen (retransmissions and overlaps).
    public var retransmittedBytes: UInt64 = 0
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

/// One side's TCP state as Zeek's analyzer tracks it (`TCP_ENDPOINT_*`); `ConnectionState` is derived from the pair.
enum EndpointState: Sendable {
    case inactive, synSent, synAckSent, partial, established, closed, reset

    /// Zeek counts "partial" (seen only mid-stream) as inactive when naming the outcome.
    var isInactive: Bool { self == .inactive || self == .partial }
}

/// A segment held because it arrived ahead of the next expected byte. `bytes` is empty for count-only
/// connections, which only remember the range so a later fill is counted once.
struct PendingSegment {
    var offset: Int64
    var length: Int
    var bytes: [UInt8]
    var end: Int64 { offset + Int64(length) }
    var hasBytes: Bool { !bytes.isEmpty }
}

/// Which idle list a connection sits on.
enum IdleList: UInt8 {
    case none, long, short, closed
}

/// A tracked TCP connection. Owned by the reassembler; the delegate may read it and set `handling` and `context`.
///
/// One allocation: its fields are the `ManagedBuffer` header and its two sides the buffer's two tail elements
/// (originator, then responder), so creating a connection allocates once instead of three times and a segment's
/// work stays in one object. (A `ManagedBuffer` subclass keeps no stored properties of its own: they would overlap
/// the tail. Hence the fields struct and the accessors below.) Made by `make`, not an initialiser.
public final class TCPConnection: ManagedBuffer<TCPConnectionFields, DirectionFields> {
    /// The opener (SYN sender), or the best guess when the capture began mid-connection.
    @inlinable public var originator: Endpoint { header.originator }
    /// The acceptor.
    @inlinable public var responder: Endpoint { header.responder }
    /// True when the connection's SYN was in the capture (so `originator` is certain).
    @inlinable public internal(set) var sawInitialSYN: Bool {
        get { header.sawInitialSYN }
        set { header.sawInitialSYN = newValue }
    }
    /// When its first packet was seen.
    @inlinable public var firstTime: Timestamp { header.firstTime }
    /// When its last packet was seen.
    @inlinable public internal(set) var lastTime: Timestamp {
        get { header.lastTime }
        set { header.lastTime = newValue }
    }
    /// How its payload is treated; the delegate may change it at any time.
    @inlinable public var handling: StreamHandling {
        get { header.handling }
        set { header.handling = newValue }
    }
    /// Whatever the delegate attaches (for FTP analysis: the session or data channel this connection belongs to).
    @inlinable public var context: AnyObject? {
        get { header.context }
        set {
            header.context = newValue
            header.unretainedContext = newValue.map { Unmanaged.passUnretained($0) }
        }
    }
    /// `context` without a reference of its own, for a delegate to borrow it per segment: reading `context` retains
    /// and releases it, a pair of atomic operations per segment. Valid while `context` holds the object.
    @inlinable public var unretainedContext: Unmanaged<AnyObject>? { header.unretainedContext }
    /// True when the responder answered with SYN-ACK.
    @inlinable public internal(set) var sawSYNACK: Bool {
        get { header.sawSYNACK }
        set { header.sawSYNACK = newValue }
    }
    /// Zeek-style history letters (S, h, A, D, a, d, F, f, R, r, T, t, G, g, …) in order of first occurrence.
    public var history: String {
        String(unsafeUninitializedCapacity: header.historyLength) { buffer in
            for index in 0..<header.historyLength { buffer[index] = header.historyLetters[index] }
            return header.historyLength
        }
    }
    /// True when the connection ended because the capture ended or it went idle, not by FIN/RST.
    @inlinable public internal(set) var endedWithoutClose: Bool {
        get { header.endedWithoutClose }
        set { header.endedWithoutClose = newValue }
    }
    /// A small serial number in order of first packet; stable identity for reports.
    @inlinable public var serial: UInt64 { header.serial }
    /// When it was put on its idle list (the list's order; see `TCPReassembler.touch`).
    @inlinable public internal(set) var queuedTime: Timestamp {
        get { header.queuedTime }
        set { header.queuedTime = newValue }
    }
    /// The idle list an idle-timeout sweep took it from when it closed it (1 short, 2 long), 0 when it closed
    /// otherwise: with `queuedTime` and `serial`, its place in the sweep's order (`FTPAnalysis.OrderKey`).
    @inlinable public internal(set) var sweptFrom: UInt8 {
        get { header.sweptFrom }
        set { header.sweptFrom = newValue }
    }

    // Reassembler bookkeeping (TCPConnectionFields says what each is).
    var packedOriginator: PackedEndpoint { header.packedOriginator }
    var packedResponder: PackedEndpoint { header.packedResponder }
    var isClosed: Bool {
        get { header.isClosed }
        set { header.isClosed = newValue }
    }
    var closedByRST: Bool {
        get { header.closedByRST }
        set { header.closedByRST = newValue }
    }
    var appliedHandling: StreamHandling {
        get { header.appliedHandling }
        set { header.appliedHandling = newValue }
    }
    var historyMask: UInt64 { header.historyMask }
    var finSeen: Bool {
        get { header.finSeen }
        set { header.finSeen = newValue }
    }
    var idleList: IdleList {
        get { header.idleList }
        set { header.idleList = newValue }
    }
    var idleNext: Unmanaged<TCPConnection>? {
        get { header.idleNext }
        set { header.idleNext = newValue }
    }
    var idlePrev: Unmanaged<TCPConnection>? {
        get { header.idlePrev }
        set { header.idlePrev = newValue }
    }

    /// The originator's side, in this object's tail.
    var orig: DirectionState { DirectionState(fields: withUnsafeMutablePointerToElements { $0 }) }
    /// The responder's side, after the originator's.
    var resp: DirectionState { DirectionState(fields: withUnsafeMutablePointerToElements { $0 + 1 }) }

    /// Creates a connection record (the reassembler does this): one allocation holding the fields and both sides.
    public static func make(
        originator: Endpoint, responder: Endpoint, sawInitialSYN: Bool, firstTime: Timestamp, serial: UInt64
    ) -> TCPConnection {
        let buffer = create(minimumCapacity: 2) { _ in
            TCPConnectionFields(
                originator: originator, responder: responder, sawInitialSYN: sawInitialSYN, firstTime: firstTime,
                serial: serial)
        }
        let connection = unsafeDowncast(buffer, to: TCPConnection.self)
        connection.withUnsafeMutablePointerToElements { sides in
            sides.initialize(to: DirectionFields())
            (sides + 1).initialize(to: DirectionFields())
        }
        return connection
    }

    deinit {
        // The header is a stored property and goes by itself; the tail elements are this class's to destroy.
        _ = withUnsafeMutablePointerToElements { $0.deinitialize(count: 2) }
    }

    /// The stats of one side.
    public func stats(_ direction: Direction) -> DirectionStats { side(direction).stats }

    /// The progress counters of one side (retransmissions, segment sizes, zero windows, how it closed).
    public func progress(_ direction: Direction) -> ProgressCounters { side(direction).progress }

    /// Stats of both sides, indexed by `Direction.rawValue` (allocates; prefer `stats(_:)`).
    public var stats: [DirectionStats] { [orig.stats, resp.stats] }

    /// A side by direction: the originator's is element 0, the responder's element 1 (`Direction.rawValue`).
    @inline(__always) func side(_ direction: Direction) -> DirectionState {
        DirectionState(fields: withUnsafeMutablePointerToElements { $0 + direction.rawValue })
    }

    /// Records a history letter once (upper case for the originator, lower case for the responder).
    func addHistory(_ letter: UInt8, _ direction: Direction) {
        let index = UInt64(letter &- UInt8(ascii: "A")) + (direction == .originator ? 0 : 32)
        let bit: UInt64 = 1 << index
        guard header.historyMask & bit == 0 else { return }
        header.historyMask |= bit
        let length = header.historyLength
        header.historyLetters[length] = direction == .originator ? letter : letter | 0x20
        header.historyLength = length + 1
    }

    /// The state in Zeek's vocabulary, from what has been seen so far.
    ///
    /// Mirrors Zeek's `conn_state()` over its per-endpoint TCP states rather than guessing from flags alone, so
    /// e.g. SYN + SYN-ACK with nothing else is S1 (established), and a RST to a SYN is REJ.
    public var state: ConnectionState {
        let os = orig.endpoint
        let rs = resp.endpoint
        if rs == .reset {
            let noBytes = orig.stats.bytes + orig.stats.missingBytes == 0 && resp.stats.bytes + resp.stats.missingBytes == 0
            if os == .synSent || os == .synAckSent || (os == .reset && noBytes) { return .rej }
            return os.isInactive ? .rstrh : .rstr
        }
        if os == .reset {
            if rs.isInactive { return historyMatchesRSTOS0 ? .rstos0 : .oth }
            return .rsto
        }
        if rs == .closed && os == .closed { return .sf }
        if os == .closed { return rs.isInactive ? .sh : .s2 }
        if rs == .closed { return os.isInactive ? .shr : .s3 }
        if os == .synSent && rs == .inactive { return .s0 }
        if os == .established && rs == .established { return .s1 }
        return .oth
    }

    /// Zeek's `/^?S[^HAFGIQ]*R.*/`: the originator's SYN, then its RST with no handshake, ack, FIN, gap between.
    private var historyMatchesRSTOS0: Bool {
        let historyLength = header.historyLength
        let historyLetters = header.historyLetters
        var index = 0
        if historyLength > 0 && historyLetters[0] == UInt8(ascii: "^") { index = 1 }
        guard index < historyLength, historyLetters[index] == UInt8(ascii: "S") else { return false }
        index += 1
        while index < historyLength {
            switch historyLetters[index] {
            case UInt8(ascii: "R"): return true
            case UInt8(ascii: "H"), UInt8(ascii: "A"), UInt8(ascii: "F"), UInt8(ascii: "G"), UInt8(ascii: "I"),
                UInt8(ascii: "Q"):
                return false
            default: index += 1
            }
        }
        return false
    }
}

/// A connection's own fields: the header of its `ManagedBuffer` (the sides are its tail). Public only because
/// `TCPConnection`'s superclass names it; read it through `TCPConnection`'s properties.
///
/// Ordered by use, not by topic: the flow table compares the endpoints and the common segment reads the fields
/// after them, so those come first and share the object's first two cache lines; what only the handshake, a close,
/// a sweep or a report reads (the history letters, the idle-list links) comes last.
public struct TCPConnectionFields {
    /// The endpoints as the flow table compares them (`FlowTable.find`).
    let packedOriginator: PackedEndpoint
    let packedResponder: PackedEndpoint
    @usableFromInline var lastTime: Timestamp
    @usableFromInline var handling: StreamHandling = .reassemble
    /// The handling the buffers currently reflect, to notice the delegate's changes.
    var appliedHandling: StreamHandling = .reassemble
    /// True once `connectionClosed` was called; the record lingers so late packets are not a new connection.
    var isClosed = false
    /// Either side sent a FIN (a copy of the sides' flags, so the per-segment idle bookkeeping reads no side).
    var finSeen = false
    // Intrusive idle list (oldest first), so expiry touches only what expires.
    var idleList = IdleList.none
    var historyMask: UInt64 = 0
    @usableFromInline var unretainedContext: Unmanaged<AnyObject>?
    @usableFromInline var context: AnyObject?
    @usableFromInline let originator: Endpoint
    @usableFromInline let responder: Endpoint
    @usableFromInline var sawInitialSYN: Bool
    @usableFromInline var sawSYNACK = false
    @usableFromInline var endedWithoutClose = false
    /// Closed because of a RST (a SYN with the old ISN after it is a late retransmission, not a new connection).
    var closedByRST = false
    @usableFromInline var sweptFrom: UInt8 = 0
    @usableFromInline let firstTime: Timestamp
    @usableFromInline let serial: UInt64
    @usableFromInline var queuedTime = Timestamp.zero
    /// Links of the idle list, not retained (the flow table owns every listed connection). `Unmanaged` rather
    /// than `unowned(unsafe)`: every use of an `unowned(unsafe)` reference retained and released it again.
    var idleNext: Unmanaged<TCPConnection>?
    var idlePrev: Unmanaged<TCPConnection>?
    var historyLength = 0
    /// The history's letters as bytes: each letter and direction is recorded once (`historyMask`), so 64 is
    /// room for every one. Kept as bytes because a letter is added on most packets' first sight of a flag and a
    /// string append cost hundreds of instructions each.
    var historyLetters = InlineArray<64, UInt8>(repeating: 0)

    init(originator: Endpoint, responder: Endpoint, sawInitialSYN: Bool, firstTime: Timestamp, serial: UInt64) {
        packedOriginator = PackedEndpoint(originator)
        packedResponder = PackedEndpoint(responder)
        self.originator = originator
        self.responder = responder
        self.sawInitialSYN = sawInitialSYN
        self.firstTime = firstTime
        self.lastTime = firstTime
        self.serial = serial
    }
}
