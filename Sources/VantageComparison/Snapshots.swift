import FTPProtocol
import NetworkTypes

/// One line of a control dialog, reduced to what NAT leaves alone: a command's verb and argument (an
/// announcement's argument left out, since an FTP helper may rewrite it) or a reply's code.
public enum DialogKey: Hashable, Sendable {
    /// A command sent by the client.
    case command(verb: String, argument: String)
    /// A reply from the server (the greeting included).
    case reply(code: Int)

    /// True for a command (travels client → server), false for a reply.
    public var fromClient: Bool {
        if case .command = self { return true }
        return false
    }
}

/// A dialog line and when this capture saw it.
public struct DialogLine: Sendable {
    /// What was said.
    public var key: DialogKey
    /// When it was on the wire at this vantage point.
    public var time: Timestamp

    /// Creates a line.
    public init(key: DialogKey, time: Timestamp) {
        self.key = key
        self.time = time
    }
}

/// What one capture saw of a data connection's packets.
public struct ConnectionSighting: Sendable {
    /// The side that sent the SYN.
    public var opener: Endpoint
    /// The side it went to.
    public var acceptor: Endpoint
    /// SYNs the opener sent.
    public var syns: Int
    /// True when a SYN/ACK from the acceptor is in the capture.
    public var answered: Bool
    /// True when the acceptor (or a host on its behalf: RST, ICMP) rejected the SYN.
    public var rejected: Bool
    /// Payload bytes either way.
    public var payloadBytes: UInt64
    /// Its first packet.
    public var firstTime: Timestamp

    /// Creates a sighting.
    public init(
        opener: Endpoint, acceptor: Endpoint, syns: Int, answered: Bool, rejected: Bool, payloadBytes: UInt64,
        firstTime: Timestamp
    ) {
        self.opener = opener
        self.acceptor = acceptor
        self.syns = syns
        self.answered = answered
        self.rejected = rejected
        self.payloadBytes = payloadBytes
        self.firstTime = firstTime
    }
}

/// One transfer or announcement as one capture saw it.
public struct TransferSnapshot: Sendable {
    /// The data command (LIST, RETR, …), nil while only announced.
    public var command: FTPVerb?
    /// Its argument.
    public var argument: String?
    /// How the channel was announced, when it was.
    public var mode: TransferMode?
    /// PORT, EPRT, PASV, EPSV, LPRT or LPSV.
    public var announcementVerb: FTPVerb?
    /// The announcement as it was on the wire at this vantage: the argument of PORT/EPRT/LPRT, the text of the
    /// 227/229/228 reply. Compared across vantages to see whether something rewrote it.
    public var announcementText: String?
    /// The announced endpoint as this capture resolved it.
    public var announced: Endpoint?
    /// The outcome at this vantage.
    public var status: TransferStatus
    /// The typed cause the single-capture analysis gave, when it gives one.
    public var cause: TransferCause?
    /// The final reply code to the data command (or to the announcement when it was refused).
    public var replyCode: Int?
    /// The data connection, when one is in this capture.
    public var connection: ConnectionSighting?

    /// The key transfers are aligned on across vantages: nothing NAT changes.
    var alignmentKey: String { "\(announcementVerb?.name ?? "")|\(command?.name ?? "")|\(argument ?? "")" }

    /// Creates a snapshot.
    public init(
        command: FTPVerb?, argument: String?, mode: TransferMode?, announcementVerb: FTPVerb?,
        announcementText: String?, announced: Endpoint?, status: TransferStatus, cause: TransferCause?,
        replyCode: Int?, connection: ConnectionSighting?
    ) {
        self.command = command
        self.argument = argument
        self.mode = mode
        self.announcementVerb = announcementVerb
        self.announcementText = announcementText
        self.announced = announced
        self.status = status
        self.cause = cause
        self.replyCode = replyCode
        self.connection = connection
    }
}

/// One FTP session as one capture saw it: what comparing needs, copied out of the analysis.
public struct SessionSnapshot: Sendable {
    /// The id `analyze` gives it in this capture alone (`S1`, …).
    public var id: String
    /// The control connection's client end at this vantage.
    public var client: Endpoint
    /// Its server end at this vantage.
    public var server: Endpoint
    /// True when the control channel went TLS (announcements after that are invisible).
    public var tls: Bool
    /// The dialog in order.
    public var dialog: [DialogLine]
    /// Transfers and announcements in order.
    public var transfers: [TransferSnapshot]

    /// Creates a snapshot.
    public init(
        id: String, client: Endpoint, server: Endpoint, tls: Bool, dialog: [DialogLine], transfers: [TransferSnapshot]
    ) {
        self.id = id
        self.client = client
        self.server = server
        self.tls = tls
        self.dialog = dialog
        self.transfers = transfers
    }
}
