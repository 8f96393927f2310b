import FTPProtocol
import NetworkTypes

/// One capture of the comparison: its label and where it was read from.
public struct CapturePoint: Sendable {
    /// The name it goes by in the output (`--labels`, default the file name).
    public var label: String
    /// The file.
    public var path: String

    /// Creates one.
    public init(label: String, path: String) {
        self.label = label
        self.path = path
    }
}

/// Two consecutive capture points a connection's packets crossed one and never reached the other.
public struct LostSpan: Sendable, Equatable {
    /// Index of the capture point where the packets were last seen.
    public var seenAt: Int
    /// Index of the next capture point on their way, where they are missing.
    public var missingAt: Int
}

/// Which of a data connection's packets went missing.
public enum LostPacket: String, Sendable {
    /// The opener's SYNs.
    case syn
    /// The acceptor's answer to them (SYN/ACK, RST).
    case answer
    /// The payload of an established connection.
    case data
}

/// One transfer as every capture point saw it.
public struct ComparedTransfer: Sendable {
    /// The data command (LIST, RETR, …), nil while only announced.
    public var command: FTPVerb?
    /// Its argument.
    public var argument: String?
    /// How the channel was announced.
    public var mode: TransferMode?
    /// The announcement verb (PORT, PASV, …).
    public var announcementVerb: FTPVerb?
    /// Per capture point (in the order of the captures): what it saw, nil when the transfer is not in it.
    public var views: [TransferSnapshot?]
    /// True when the announcement's text differs between capture points (an FTP helper rewrote it), false when
    /// it is the same at all of them, nil when fewer than two saw it.
    public var rewritten: Bool?
    /// Where the packets died, when they are on the wire at one capture point and missing at the next.
    public var lostBetween: LostSpan?
    /// Which packets, when `lostBetween` is set.
    public var lostPacket: LostPacket?
    /// The cause, for a failed transfer.
    public var cause: TransferCause?
    /// The story in words, when there is one to tell.
    public var detail: String?
}

/// The sessions that several capture points saw of one control connection.
public struct SessionGroup: Sendable {
    /// Per capture point: its session, nil when that capture lacks it.
    public var sessions: [SessionSnapshot?]
    /// Per capture point: its clock minus that of the first capture point that has the session, in nanoseconds
    /// (nil without a session there).
    public var clockOffsets: [Int64?]
    /// Per capture point: how much later it sees the client's commands than the first capture point with the
    /// session once the clocks agree (larger = nearer the server), in nanoseconds.
    public var pathShifts: [Int64?]
    /// The transfers, aligned across capture points.
    public var transfers: [ComparedTransfer]

    /// The indexes of the capture points that have the session, from the client's side to the server's.
    public var clientToServer: [Int] { SessionGroup.clientToServer(sessions: sessions, pathShifts: pathShifts) }

    /// Capture points with a session, ordered by path shift (ties: in the order given).
    static func clientToServer(sessions: [SessionSnapshot?], pathShifts: [Int64?]) -> [Int] {
        sessions.indices.filter { sessions[$0] != nil }.sorted { lhs, rhs in
            let l = pathShifts[lhs] ?? 0
            let r = pathShifts[rhs] ?? 0
            return l != r ? l < r : lhs < rhs
        }
    }
}

/// A session that one capture point alone saw.
public struct UnpairedSession: Sendable {
    /// The capture point's index.
    public var capture: Int
    /// Its id there.
    public var session: String
    /// The control connection's ends there.
    public var client: Endpoint
    /// The server end.
    public var server: Endpoint
}

/// The comparison of several captures of the same traffic.
public struct ComparisonReport: Sendable {
    /// The captures, in the order given.
    public var captures: [CapturePoint]
    /// Sessions seen at more than one capture point.
    public var groups: [SessionGroup]
    /// Sessions seen at one only.
    public var unpaired: [UnpairedSession]
    /// Warnings from reading the captures.
    public var warnings: [String]
}
