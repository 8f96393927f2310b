import NetworkTypes

/// Where an event stands in the order one analysis thread would have settled it: what lets analyses of parts of a
/// capture (`--threads`, the workers sharded by host pair: docs/threads.md) be merged into exactly the one-thread
/// sequence.
///
/// A packet's events are all settled while that packet is handled, so the packet's index in the capture orders
/// them (`index`, phase `.packet`). The once-a-second sweep after a packet settles more: first the idle
/// connections it closes, in the order of the reassembler's idle lists (`rank`: 1 unanswered or half-closed, 2
/// the others; then the time the connection was queued and its serial), then the data channels whose time is up,
/// session by session in order of serial. The end of input closes the connections still open in order of serial,
/// then ends the sessions left in order of start. Two different connections or sessions never share a key, so
/// keys from different workers never tie.
public struct OrderKey: Comparable, Sendable {
    /// The capture's packet after which the event settled (1-based), or `UInt64.max` at the end of input.
    public var index: UInt64 = 0
    /// What settled it at that packet.
    public var phase: OrderPhase = .packet
    /// The idle list a swept connection was on (1 short, 2 long); 0 otherwise.
    public var rank: UInt8 = 0
    /// The time the swept connection was queued, or the session's start at the end of input.
    public var time: Int64 = 0
    /// The connection's serial (its first packet's index in a sharded run).
    public var serial: UInt64 = 0

    /// Creates a key.
    public init(index: UInt64 = 0, phase: OrderPhase = .packet, rank: UInt8 = 0, time: Int64 = 0, serial: UInt64 = 0) {
        self.index = index
        self.phase = phase
        self.rank = rank
        self.time = time
        self.serial = serial
    }

    /// The start of packet `index`'s events.
    public static func packet(_ index: UInt64) -> OrderKey { OrderKey(index: index) }

    public static func < (a: OrderKey, b: OrderKey) -> Bool {
        if a.index != b.index { return a.index < b.index }
        if a.phase != b.phase { return a.phase.rawValue < b.phase.rawValue }
        if a.rank != b.rank { return a.rank < b.rank }
        if a.time != b.time { return a.time < b.time }
        return a.serial < b.serial
    }
}

/// The steps of the analysis that settle events, in the order they run after a packet (see `OrderKey`).
public enum OrderPhase: UInt8, Sendable {
    /// Handling the packet itself.
    case packet = 0
    /// The sweep closing idle connections.
    case sweepClosing = 1
    /// The sweep settling data channels whose time is up.
    case sweepExpiry = 2
    /// The sweep reporting findings that span sessions and waited for time to pass (a password-guessing run gone
    /// quiet); `time` is the finding's date (the sweep's), and findings of different workers with the same date are
    /// put in the detector's order (`ShardMerger`).
    case sweepFindings = 3
    /// The sweep's watermark: after everything the sweep settled.
    case watermark = 4
    /// End of input: the reassembler closing what is open.
    case finishClosing = 5
    /// End of input: the sessions left, and findings spanning sessions.
    case finishSessions = 6
    /// End of input: findings that span sessions (password guessing).
    case finishFindings = 7
}

/// Numbers sessions (`S1`, `S2`, …) in the order they were confirmed across every worker of a sharded analysis.
/// The one-thread analysis counts them itself.
public protocol SessionNumbering: AnyObject {
    /// The number of the session confirmed at `order` (1-based): one more than the sessions confirmed before it
    /// anywhere. May wait for other workers to pass `order`.
    func number(confirmedAt order: OrderKey) -> Int
}
