import FTPProtocol
import NetworkTypes

/// A command awaiting its final reply: where its record is, and what of it the reply's meaning depends on.
struct PendingCommand: Equatable {
    /// Index of its `CommandRecord` in `FTPSession.commands`.
    var index: Int
    var verb: FTPVerb
    var argument: String
    var time: Timestamp
    /// True once a preliminary (1xx) reply answered it.
    var gotPreliminary = false
}

/// What a data command (RETR, STOR, LIST, …) binds to its transfer, worked out from the session's state.
struct DataCommand: Equatable {
    var verb: FTPVerb
    var argument: String
    var time: Timestamp
    /// The TYPE in force.
    var transferType: String?
    /// The REST offset in force (cleared once a transfer takes it).
    var restOffset: UInt64?
    /// The path the command acts on, when known (nil: leave the transfer's as it is).
    var path: String?
    /// The size a SIZE reply gave for that path (RETR only).
    var expectedSize: UInt64?
}

/// What the session state machine asks the analyzer to do after an input. The machine decides; the analyzer
/// carries it out (ids, events, transfers and the data-channel correlator are its business).
enum SessionAction: Equatable {
    /// The connection is shown to speak FTP: give it its id and deliver what was held. `byContent`: it was found
    /// on another port by probing.
    case confirm(byContent: Bool)
    /// Probing found a first server line that is not a greeting: drop the connection.
    case stopAnalysing
    /// Record this anomaly on the session.
    case anomaly(ControlAnomaly)
    /// Append the command just input as a record, with the user known before it and whether its line was cut.
    case recordCommand(user: String?, truncated: Bool)
    /// The pending-command cap pushed out the oldest command (counted).
    case pendingCommandDropped
    /// PORT/EPRT/LPRT: an active-mode announcement (or the reason it announces nothing), for command `index`.
    case announceActive(index: Int, verb: FTPVerb, mode: DataMode, Result<AnnouncedEndpoint, AnnouncementError>)
    /// A data command: bind it to the open announcement or a new transfer.
    case bindDataCommand(index: Int, DataCommand)
    /// ABOR: mark the running transfer as asked to stop.
    case abortRunningTransfer
    /// The server's greeting (220, or 120 before it).
    case greeting(ReplyRecord)
    /// 220 after 120 "ready in nnn minutes" (RFC 959 section 5.4): the 120 becomes unsolicited.
    case greetingAfterDelay(ReplyRecord)
    /// A reply that answers no command seen.
    case orphanReply(ReplyRecord)
    /// A preliminary (1xx) reply to the command with record `index`.
    case preliminary(index: Int, ReplyRecord)
    /// A line without a valid code taken as the (malformed) reply to command `index`.
    case malformedReply(index: Int, text: String)
    /// These commands' replies were lost in a capture gap (rare: the only action that carries an array).
    case repliesLost([Int])
    /// The final reply to `command`: record it, deliver settled commands, then give it back to the machine
    /// (`SessionMachine.apply(_:to:)`) for what it means.
    case answered(PendingCommand, ReplyRecord)
    /// A login was accepted: the credential findings are due.
    case loginAccepted
    /// 234 to AUTH (RFC 4217): the control channel is TLS from the next byte.
    case startTLS(Timestamp)
    /// A reply to PASV/EPSV/LPSV (command `index`): the passive announcement.
    case passiveReply(index: Int, ReplyRecord)
    /// A reply to PORT/EPRT/LPRT (command `index`).
    case activeReply(index: Int, ReplyRecord)
    /// A reply to SITE (command `index`), for the detectors.
    case siteAnswered(index: Int)
    /// The final reply to a data command (command `index`): its transfer can settle.
    case dataReply(index: Int, ReplyRecord)
    /// A capture gap, to deliver as an event (the session is confirmed).
    case gap(length: UInt64, fromClient: Bool)
}

/// The actions one input produces, in order, kept inline: an input yields at most a handful, and a control line
/// must not cost a heap allocation to say what it means.
struct SessionActions {
    /// Most actions one input yields (confirm, two anomalies, record, cap drop, cap anomaly, apply).
    static let capacity = 8
    private var slots: (
        SessionAction?, SessionAction?, SessionAction?, SessionAction?, SessionAction?, SessionAction?,
        SessionAction?, SessionAction?
    ) = (nil, nil, nil, nil, nil, nil, nil, nil)
    /// Actions held.
    private(set) var count = 0

    init() {}

    mutating func append(_ action: SessionAction) {
        precondition(count < Self.capacity, "more session actions than SessionActions.capacity")
        switch count {
        case 0: slots.0 = action
        case 1: slots.1 = action
        case 2: slots.2 = action
        case 3: slots.3 = action
        case 4: slots.4 = action
        case 5: slots.5 = action
        case 6: slots.6 = action
        default: slots.7 = action
        }
        count += 1
    }

    subscript(position: Int) -> SessionAction {
        precondition(position < count)
        switch position {
        case 0: return slots.0!
        case 1: return slots.1!
        case 2: return slots.2!
        case 3: return slots.3!
        case 4: return slots.4!
        case 5: return slots.5!
        case 6: return slots.6!
        default: return slots.7!
        }
    }

    /// The actions as an array (tests).
    var all: [SessionAction] {
        var result: [SessionAction] = []
        var position = 0
        while position < count {
            result.append(self[position])
            position += 1
        }
        return result
    }
}
