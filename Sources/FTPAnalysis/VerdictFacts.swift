import FTPProtocol
import NetworkTypes

// The facts a transfer's verdict carries so that reports can word it without asking the analysis again
// (issue 14: reports render, never judge). Each is a value: a verdict streamed in an event says what the final
// model says.

/// What an announced address is, against the control connection's peer that announced it.
public enum AnnouncedAddress: String, Sendable, Hashable {
    /// The announcing side's own control address.
    case own
    /// Active mode: a private address while the control connection comes from a public one (or another address
    /// family): NAT that did not rewrite the announcement (RFC 2663 section 2.9).
    case behindNAT = "behind_nat"
    /// Active mode: another host, a third-party transfer or an FTP bounce (RFC 2577 section 3).
    case thirdHost = "third_host"
    /// Passive mode: a private address while the client reaches the server at a public one.
    case `internal`
    /// Passive mode: some other address (a multi-homed server, a misconfigured external address).
    case other
}

/// The first line of a reply, as a verdict quotes it.
public struct ReplyLine: Sendable, Hashable {
    /// The reply code.
    public var code: Int
    /// The text of its first line.
    public var text: String

    /// Creates a line.
    public init(code: Int, text: String) {
        self.code = code
        self.text = text
    }
}

/// Which step of a transfer the server refused (status `command_failed`).
public enum Refusal: String, Sendable, Hashable {
    /// The transfer command itself (RFC 959 section 4.2: 450/451/452 and 5xx other than 425/426).
    case command
    /// The announcement (500 Illegal PORT command, 425 can't open passive port).
    case announcement
}

/// A passive announcement the client abandoned without a data connection in the capture (status `not_seen`
/// with no transfer command).
public struct Abandonment: Sendable, Hashable {
    /// The code of the server's reply that announced the port.
    public var replyCode: Int
    /// The client's next command, if any (nil: it ended the session).
    public var nextVerb: FTPVerb?
    /// How long after the announcement it moved (nanoseconds), when it sent a next command.
    public var delay: Int64?
    /// True when the announcement named only a port (a 229 reply, RFC 2428 section 3).
    public var portOnly: Bool
    /// True when the capture holds the client's other passive data connections of the session, so it would show
    /// this one's SYN too.
    public var otherConnectionsSeen: Bool

    /// Creates a record.
    public init(replyCode: Int, nextVerb: FTPVerb?, delay: Int64?, portOnly: Bool, otherConnectionsSeen: Bool) {
        self.replyCode = replyCode
        self.nextVerb = nextVerb
        self.delay = delay
        self.portOnly = portOnly
        self.otherConnectionsSeen = otherConnectionsSeen
    }
}

/// What a stalled data connection's progress counters show (SPEC.md `stalled`).
public struct StallEvidence: Sendable, Hashable {
    /// Which side's view the counters give: the sender retransmitting, or the receiver missing bytes.
    public enum View: String, Sendable, Hashable {
        /// The data's sender retransmitted the same unacknowledged data.
        case sender
        /// The sender's sequence numbers show bytes that never reached the capture.
        case receiver
    }

    /// Retransmissions of unacknowledged data by the data's sender.
    public var retransmissions: UInt32
    /// Size of those retransmitted segments (the largest).
    public var retransmittedSize: UInt32
    /// Largest segment of the sender's that the receiver acknowledged.
    public var largestAcknowledged: UInt32
    /// Bytes the sender sent that never reached the capture.
    public var unseenBytes: UInt64
    /// Zero-window advertisements by the receiver.
    public var zeroWindows: UInt32
    /// Who is sending the data.
    public var sender: DataSide
    /// Which side's view the counters give.
    public var view: View

    /// Creates a record.
    public init(
        retransmissions: UInt32, retransmittedSize: UInt32, largestAcknowledged: UInt32, unseenBytes: UInt64,
        zeroWindows: UInt32, sender: DataSide, view: View
    ) {
        self.retransmissions = retransmissions
        self.retransmittedSize = retransmittedSize
        self.largestAcknowledged = largestAcknowledged
        self.unseenBytes = unseenBytes
        self.zeroWindows = zeroWindows
        self.sender = sender
        self.view = view
    }
}
