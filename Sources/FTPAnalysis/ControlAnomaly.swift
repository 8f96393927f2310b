import FTPProtocol

/// Something on a control connection that is not clean FTP or not fully seen, as a value carrying its facts.
///
/// The session state machine and the analyzer record these; `sentence` is how a session's anomaly list and the
/// protocol-anomaly finding state them.
public enum ControlAnomaly: Sendable, Equatable {
    /// A command line longer than `FTPLimits.maxLineLength`, cut to `kept` bytes.
    case commandLineCut(originalLength: Int, kept: Int)
    /// The stream ended in the middle of a command line (no CRLF); its first 80 characters.
    case unterminatedCommandLine(String)
    /// A client line that is not `verb [SP argument]`; its first 80 characters.
    case malformedCommandLine(String)
    /// A server line without a valid reply code where a reply was due; its first 80 characters.
    case invalidReplyLine(String)
    /// A multi-line reply with more lines than `maxReplyLines` (or never closed): the lines beyond were not kept.
    case replyLinesNotKept(code: Int, complete: Bool, lines: Int, notKept: Int, maxReplyLines: Int)
    /// A reply line longer than `FTPLimits.maxLineLength`, cut.
    case replyLineCut(code: Int, maxLineLength: Int)
    /// A PORT/EPRT/LPRT argument that announces no endpoint; the argument's first 80 characters.
    case unparseableArgument(verb: FTPVerb, argument: String, error: AnnouncementError)
    /// A 227/228/229 reply that announces no endpoint; the text's first 80 characters.
    case unparseableReply(code: Int, text: String, error: AnnouncementError)
    /// More commands awaited their replies than the cap allows: the oldest were given up (stated once).
    case pendingCap(Int)
    /// More transfers and announcements than the cap allows: later ones not tracked (stated once).
    case transferCap(Int)
    /// More data-channel announcements than the cap allows: later ones not tracked (stated once).
    case expectationCap(Int)
    /// A capture gap on the control connection.
    case missingBytes(length: UInt64, fromClient: Bool, offset: UInt64)
    /// A control-port connection shown to be FTP by its commands whose server never greeted.
    case noGreeting
    /// A retransmission carrying other bytes than those delivered (issue 16); both versions, printable.
    case conflictingRetransmission(fromClient: Bool, offset: UInt64, kept: String, other: String)
    /// Data sent after its sender's FIN.
    case dataAfterFIN(length: Int, fromClient: Bool, offset: UInt64)
}

extension ControlAnomaly {
    /// The anomaly as the session's anomaly list and the protocol-anomaly finding state it. (Here rather than in
    /// Reports while finding evidence is text: `EvidenceValue` carries the sentence.)
    public var sentence: String {
        switch self {
        case .commandLineCut(let originalLength, let kept):
            return "command line of \(originalLength) bytes cut to \(kept)"
        case .unterminatedCommandLine(let text):
            return "command line without CRLF at the end of the stream: \(text)"
        case .malformedCommandLine(let text):
            return "malformed command line: \(text)"
        case .invalidReplyLine(let text):
            return "invalid reply line: \(text)"
        case .replyLinesNotKept(let code, let complete, let lines, let notKept, let maxReplyLines):
            return
                "multi-line \(code) reply \(complete ? "of" : "never closed after") \(lines) lines; \(notKept) beyond maxReplyLines (\(maxReplyLines)) not kept"
        case .replyLineCut(let code, let maxLineLength):
            return "\(code) reply line longer than \(maxLineLength) bytes cut"
        case .unparseableArgument(let verb, let argument, let error):
            return "unparseable \(verb.name) argument \"\(argument)\": \(error)"
        case .unparseableReply(let code, let text, let error):
            return "unparseable \(code) reply \"\(text)\": \(error)"
        case .pendingCap(let cap):
            return "more than \(cap) commands awaiting replies; oldest given up"
        case .transferCap(let cap):
            return "more than \(cap) data transfers and announcements; later ones not tracked"
        case .expectationCap(let cap):
            return "more than \(cap) data-channel announcements; later ones not tracked"
        case .missingBytes(let length, let fromClient, let offset):
            return "\(length) bytes missing from the \(fromClient ? "client" : "server") side at offset \(offset)"
        case .noGreeting:
            return "no greeting from the server before the connection ended"
        case .conflictingRetransmission(let fromClient, let offset, let kept, let other):
            return
                "conflicting retransmission from the \(fromClient ? "client" : "server") at offset \(offset) (same sequence numbers, different bytes; first wins): kept \"\(kept)\", other version \"\(other)\""
        case .dataAfterFIN(let length, let fromClient, let offset):
            return
                "\(length) bytes from the \(fromClient ? "client" : "server") after its FIN (offset \(offset)): delivered as the receiving host evidently read them; RFC 9293 would have it ignore them"
        }
    }
}
