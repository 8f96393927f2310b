import FTPProtocol
import NetworkTypes

/// A command awaiting its final reply: where its record is, and what of it the reply's meaning depends on.
///
/// Plain values, nothing to retain or release as it is queued, answered and dropped (a few times per control
/// line): the argument, which only CWD and SIZE need when answered, is read from the record by index
/// (`SessionMachine.applyAnswer`).
struct PendingCommand: Equatable {
    /// Index of its `CommandRecord` in `FTPSession.commands`.
    var index: Int
    var verb: FTPVerb
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
    /// The path the command acts on, when known (nil: leave the transfer's as it is), joined when read.
    var path: Pathname?
    /// The size a SIZE reply gave for that path (RETR only).
    var expectedSize: UInt64?

    // Moved out for the transfer (the command is dropped after), each leaving an empty value.
    mutating func takeArgument() -> String {
        var taken = ""
        swap(&taken, &argument)
        return taken
    }

    mutating func takeTransferType() -> String? {
        var taken: String?
        swap(&taken, &transferType)
        return taken
    }

    mutating func takePath() -> Pathname? {
        var taken: Pathname?
        swap(&taken, &path)
        return taken
    }
}

/// What the session state machine asks the analyzer to do after an input. The machine decides; the analyzer
/// carries it out (ids, events, transfers and the data-channel correlator are its business).
///
/// Plain values of a few words (nothing to retain or release): an input returns up to eight of these inline, so
/// none carries a command, a reply, a string or an anomaly's facts.
/// The actions about a reply refer to the reply just input (`SessionMachine.record(_:at:)`), those about a command
/// to the command just input, and `answered` to `SessionMachine.answered`.
enum SessionAction: Equatable {
    /// The connection is shown to speak FTP: give it its id and deliver what was held. `byContent`: it was found
    /// on another port by probing.
    case confirm(byContent: Bool)
    /// Probing found a first server line that is not a greeting: drop the connection.
    case stopAnalysing
    /// Record the machine's oldest unrecorded anomaly on the session (`SessionMachine.takeAnomaly`).
    case anomaly
    /// Append the command just input as a record, with the user known before it
    /// (`SessionMachine.userBeforeCommand`) and whether its line was cut.
    case recordCommand(truncated: Bool)
    /// The pending-command cap pushed out the oldest command (counted).
    case pendingCommandDropped
    /// The command just input (PORT/EPRT/LPRT, record `index`) announces an active-mode endpoint
    /// (`SessionMachine.activeAnnouncement`).
    case announceActive(index: Int)
    /// The data command just input (record `index`): bind it to the open announcement or a new transfer
    /// (`SessionMachine.dataCommandInput`).
    case bindDataCommand(index: Int)
    /// ABOR: mark the running transfer as asked to stop.
    case abortRunningTransfer
    /// The reply just input is the server's greeting (220, or 120 before it).
    case greeting
    /// The reply just input is a 220 after 120 "ready in nnn minutes" (RFC 959 section 5.4): the 120 becomes
    /// unsolicited.
    case greetingAfterDelay
    /// The reply just input answers no command seen.
    case orphanReply
    /// The reply just input is preliminary (1xx) to the command with record `index`.
    case preliminary(index: Int)
    /// The line just input, without a valid code, is taken as the (malformed) reply to command `index`.
    case malformedReply(index: Int)
    /// The replies of the commands in `SessionMachine.lostReplies` were lost in a capture gap.
    case repliesLost
    /// The reply just input is the final reply to command `index`: record it, deliver settled commands, then ask
    /// the machine what it means (`SessionMachine.applyAnswer`).
    case answered(index: Int)
    /// A login was accepted: the credential findings are due.
    case loginAccepted
    /// 234 to AUTH (RFC 4217): the control channel is TLS from the next byte.
    case startTLS
    /// The reply just input answers PASV/EPSV/LPSV (command `index`): the passive announcement.
    case passiveReply(index: Int)
    /// The reply just input answers PORT/EPRT/LPRT (command `index`).
    case activeReply(index: Int)
    /// The reply just input answers SITE (command `index`), for the detectors.
    case siteAnswered(index: Int)
    /// The reply just input is the final reply to a data command (command `index`): its transfer can settle.
    case dataReply(index: Int)
    /// A capture gap, to deliver as an event (the session is confirmed).
    case gap(length: UInt64, fromClient: Bool)
}

/// The actions one input produces, in order, kept inline: an input yields at most a handful, and a control line
/// must not cost a heap allocation to say what it means. (Separate stored properties rather than a tuple: a
/// tuple of optionals is copied through the runtime's generic tuple witnesses.)
struct SessionActions {
    /// Most actions one input yields (confirm, two anomalies, record, cap drop, cap anomaly, apply).
    static let capacity = 8
    private var a0: SessionAction?
    private var a1: SessionAction?
    private var a2: SessionAction?
    private var a3: SessionAction?
    private var a4: SessionAction?
    private var a5: SessionAction?
    private var a6: SessionAction?
    private var a7: SessionAction?
    /// Actions held.
    private(set) var count = 0

    @inline(__always)
    init() {}

    @inline(__always)
    mutating func append(_ action: SessionAction) {
        precondition(count < Self.capacity, "more session actions than SessionActions.capacity")
        switch count {
        case 0: a0 = action
        case 1: a1 = action
        case 2: a2 = action
        case 3: a3 = action
        case 4: a4 = action
        case 5: a5 = action
        case 6: a6 = action
        default: a7 = action
        }
        count += 1
    }

    @inline(__always)
    subscript(position: Int) -> SessionAction {
        precondition(position < count)
        switch position {
        case 0: return a0!
        case 1: return a1!
        case 2: return a2!
        case 3: return a3!
        case 4: return a4!
        case 5: return a5!
        case 6: return a6!
        default: return a7!
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
