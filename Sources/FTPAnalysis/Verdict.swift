import FTPProtocol
import NetworkTypes

/// What became of a data channel (SPEC.md, data status). The raw values are SPEC.md's words.
///
/// The order of the cases is the order reports list them in.
public enum DataStatus: String, Sendable, Hashable, CaseIterable {
    /// The data connection carried the transfer to its end.
    case completed
    /// A RST (or an ICMP destination-unreachable) answered the SYN.
    case refused
    /// SYN(s) with no reply.
    case unanswered
    /// Announced, a transfer command followed and failed or got no reply, and no SYN for it is in the capture.
    case notSeen = "not_seen"
    /// The control channel reports success but the data connection is not in the capture.
    case notCaptured = "not_captured"
    /// RST after data began.
    case reset
    /// The server refused the transfer or the announcement itself while the data connection was not at fault.
    case commandFailed = "command_failed"
    /// 426, or ABOR during the transfer.
    case aborted
    /// The capture ended during it, or fewer bytes than announced arrived.
    case incomplete
    /// Established, then no progress until the transfer was given up.
    case stalled
    /// Announced and never used by a transfer command.
    case unused

    /// How bad an outcome is, for ordering and colour: every report reads this, none decides on its own.
    public enum Gravity: Int, Sendable, Comparable {
        /// Nothing happened that could fail (`unused`).
        case none = 0
        /// It worked (`completed`).
        case ok = 1
        /// It failed, but not because the data connection could not be made or was cut: the server refused the
        /// command, or the capture does not hold all of it.
        case warning = 2
        /// The data connection could not be made, or was cut, reset, aborted or stalled.
        case failure = 3

        public static func < (lhs: Gravity, rhs: Gravity) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// THE definition of "failed" (SPEC.md, `--status failed`): every status but `completed` and `unused`.
    public var isFailure: Bool { self != .completed && self != .unused }

    /// How bad it is.
    public var gravity: Gravity {
        switch self {
        case .unused: return .none
        case .completed: return .ok
        case .commandFailed, .incomplete, .notCaptured: return .warning
        case .refused, .unanswered, .notSeen, .reset, .aborted, .stalled: return .failure
        }
    }

    /// True for outcomes that mean the data connection itself could not be made (a `failed_data_connection`
    /// finding).
    public var isConnectionFailure: Bool { self == .refused || self == .unanswered || self == .notSeen }

    /// True for outcomes that raise a `failed_data_connection` finding: the data connection could not be made,
    /// or it was made and then stalled. The text summary explains these under the finding, not the transfer.
    public var raisesDataConnectionFinding: Bool { isConnectionFailure || self == .stalled }
}

/// Why a data channel failed (SPEC.md, cause): one typed value per failed transfer. The sentence explaining it
/// and the fix are the reports' business. The raw values are SPEC.md's words.
public enum DataCause: String, Sendable, Hashable, CaseIterable {
    /// Active mode: the client announced an address behind NAT that no FTP helper rewrote.
    case natWithoutALG = "nat_without_alg"
    /// Active mode: the client's own address was announced and the server's SYNs were dropped or refused.
    case clientFirewall = "client_firewall"
    /// Passive mode: the client's SYNs were dropped or refused on the way to, or at, the server.
    case passivePortBlocked = "passive_port_blocked"
    /// Passive mode: the server announced an address the client cannot reach.
    case passiveAddressInternal = "passive_address_internal"
    /// Server behind NAT: the control port is forwarded, the passive range is not.
    case passivePortNotForwarded = "passive_port_not_forwarded"
    /// The server refused the transfer or the announcement (5xx, `500 Illegal PORT`).
    case serverRefusedCommand = "server_refused_command"
    /// Large segments never acknowledged.
    case pathMTUBlackhole = "path_mtu_blackhole"
    /// The server gave up waiting on the data connection.
    case dataTimeout = "data_timeout"
    /// The client aborted the transfer (ABOR).
    case abortedByClient = "aborted_by_client"
    /// Active mode naming a third host (RFC 2577).
    case bounce
    /// The announcement was inside an encrypted control channel, so the data connection could only be inferred.
    case tlsHidesAnnouncement = "tls_hides_announcement"
    /// The capture does not hold what would tell (it began late, lost packets, or ended first).
    case captureIncomplete = "capture_incomplete"
    /// The evidence points nowhere in particular.
    case unknown
}

/// Which side of a connection something came from.
public enum DataSide: String, Sendable, Hashable {
    /// The FTP client.
    case client
    /// The FTP server.
    case server
}

/// Where the capture was taken, as far as the addresses tell.
public enum Vantage: String, Sendable, Hashable {
    /// Inside the client's network (the client's private address is seen, the server's public one).
    case clientSide = "client_side"
    /// Inside the server's network (the server's private address is seen).
    case serverSide = "server_side"
    /// Beyond the client's NAT on the way to the server: the control connection comes from a translated
    /// address while the client announces its private one.
    case between
    /// The addresses do not tell.
    case unknown
}

/// An ICMP destination-unreachable that answered a data connection's SYN (RFC 792, RFC 4443).
public struct ICMPEvidence: Sendable, Hashable {
    /// ICMP type: 3 (ICMPv4) or 1 (ICMPv6) destination unreachable.
    public var type: UInt8
    /// ICMP code (port unreachable, administratively prohibited, …).
    public var code: UInt8
    /// True for ICMPv6.
    public var isICMPv6: Bool
    /// Who sent it (a router, a firewall, or the destination host).
    public var reporter: IPAddress
    /// The reason its code names ("port unreachable", "administratively prohibited", …).
    public var reason: String

    /// Creates a record.
    public init(type: UInt8, code: UInt8, isICMPv6: Bool, reporter: IPAddress, reason: String = "") {
        self.type = type
        self.code = code
        self.isICMPv6 = isICMPv6
        self.reporter = reporter
        self.reason = reason
    }
}

/// The facts a transfer's verdict rests on.
public struct DataEvidence: Sendable, Hashable {
    /// SYNs the opener sent over every matched connection.
    public var synAttempts = 0
    /// Who sent a RST on the data connection, if anyone did (the client when both did and the client was first
    /// is not known: the receiver of the data is named when it reset).
    public var resetBy: DataSide?
    /// The ICMP error that answered the SYN.
    public var icmp: ICMPEvidence?
    /// The endpoint that was announced.
    public var announced: Endpoint?
    /// The endpoint actually connected to.
    public var observed: Endpoint?
    /// Where the capture was taken.
    public var vantage = Vantage.unknown

    // What the wording of a failure quotes; filled for failed transfers only (a completed or unused one has
    // nothing to explain, and many-PORT sessions have thousands of those).

    /// How the channel was announced.
    public var mode: DataMode?
    /// The announcement's verb (PORT, EPRT, PASV, EPSV, LPRT, LPSV).
    public var announcementVerb: FTPVerb?
    /// The control connection's client address.
    public var client: IPAddress?
    /// The control connection's server address.
    public var server: IPAddress?
    /// What the announced address is to the side that announced it.
    public var announcedAddress: AnnouncedAddress?
    /// True when an active announcement names a private address to a server on a public one.
    public var privateToOutside = false
    /// The data command (RETR, LIST, …).
    public var command: FTPVerb?
    /// Its argument.
    public var argument: String?
    /// The final reply to the data command.
    public var reply: ReplyLine?
    /// The reply to the announcement.
    public var announcementReply: ReplyLine?
    /// Which step the server refused, for `command_failed`.
    public var refusal: Refusal?
    /// The passive ports the server announced in the session so far.
    public var passivePorts: ClosedRange<UInt16>?
    /// The passive announcement the client abandoned, for a `not_seen` one without a transfer command.
    public var abandonment: Abandonment?
    /// What the progress counters show, for `stalled`.
    public var stall: StallEvidence?

    /// Creates an empty record.
    public init() {}
}

/// One transfer's typed verdict: status, cause (failed ones only) and the evidence.
public struct DataVerdict: Sendable, Hashable {
    /// The outcome.
    public var status: DataStatus
    /// Why it failed; nil when it did not.
    public var cause: DataCause?
    /// The facts behind it.
    public var evidence: DataEvidence

    /// Creates a verdict.
    public init(status: DataStatus, cause: DataCause?, evidence: DataEvidence) {
        self.status = status
        self.cause = cause
        self.evidence = evidence
    }
}
