import NetworkTypes
import PacketDecoding

/// Which side of a connection sent some bytes.
public enum Direction: Int, Sendable, Hashable {
    /// The side that opened the connection (sent the SYN), or our best guess when the capture began mid-connection.
    case originator = 0
    /// The side that accepted it.
    case responder = 1

    /// The other side.
    @inlinable public var opposite: Direction { self == .originator ? .responder : .originator }
}

/// What the delegate wants done with a connection's payload.
public enum StreamHandling: Sendable, Hashable {
    /// Reassemble and deliver ordered bytes (control channels, and connections still being identified).
    case reassemble
    /// Only count bytes and track state (data channels): nothing is buffered.
    case countOnly
    /// Track nothing beyond state and counters.
    case ignore
}

/// Receives a connection's life: opened, ordered bytes, gaps, closed. Called synchronously on the packet path.
public protocol TCPStreamDelegate: AnyObject {
    /// A connection was first seen; return how to treat its payload. It may be changed later via `handling`.
    func connectionOpened(_ connection: TCPConnection) -> StreamHandling
    /// In-order bytes from one side. `data` is borrowed: valid only during the call.
    func connection(_ connection: TCPConnection, received data: UnsafeRawBufferPointer, from direction: Direction, at time: Timestamp)
    /// Bytes that were sent but are not in the capture: `length` bytes starting at stream offset `offset`.
    func connection(_ connection: TCPConnection, gapAt offset: UInt64, length: UInt64, from direction: Direction, at time: Timestamp)
    /// The connection is about to be closed: what is still held is delivered next (with the gaps before it), then
    /// `connectionClosed`.
    func connectionClosing(_ connection: TCPConnection)
    /// The connection ended (FIN both ways, RST, idle timeout or end of capture); its state is final.
    func connectionClosed(_ connection: TCPConnection)
    /// A retransmission carried different bytes than those already delivered, first differing at stream offset
    /// `offset`; `kept` (delivered, they stand) and `other` both start at `keptFrom`. Only for reassembled sides.
    func connection(
        _ connection: TCPConnection, conflictingRetransmissionAt offset: UInt64, kept: [UInt8], other: [UInt8],
        keptFrom: UInt64, from direction: Direction, at time: Timestamp)
    /// A segment carried `length` bytes beyond its sender's FIN, from stream offset `offset`; they are delivered.
    func connection(
        _ connection: TCPConnection, dataAfterFINAt offset: UInt64, length: Int, from direction: Direction,
        at time: Timestamp)
}

extension TCPStreamDelegate {
    /// Delegates that need not know a close is coming ignore it.
    public func connectionClosing(_ connection: TCPConnection) {}

    /// Delegates that do not judge conflicting retransmissions ignore them (the counter still counts them).
    public func connection(
        _ connection: TCPConnection, conflictingRetransmissionAt offset: UInt64, kept: [UInt8], other: [UInt8],
        keptFrom: UInt64, from direction: Direction, at time: Timestamp
    ) {}

    /// Delegates that do not judge data after FIN ignore it (the counter still counts it).
    public func connection(
        _ connection: TCPConnection, dataAfterFINAt offset: UInt64, length: Int, from direction: Direction,
        at time: Timestamp
    ) {}
}
