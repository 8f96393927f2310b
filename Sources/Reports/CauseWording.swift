import FTPAnalysis
import NetworkTypes

/// Every sentence that explains a transfer's verdict: what happened to its data connection, why (the typed
/// cause) and the fix. The analysis decides the verdict and gathers the facts (`DataVerdict`); this file only
/// words them, so text, CSV, JSON Lines, JSON and HTML say the same thing (issue 14: reports render, never judge).
public enum CauseWording {
    /// A verdict's explanation in two parts: what happened to this one transfer, and why with the fix, which is
    /// the same for every transfer that failed alike (the text summary says it once per cause).
    public struct Wording: Sendable, Hashable {
        /// What became of this transfer's data connection, as a table row shows it too (endpoint, outcome,
        /// SYNs); may be empty.
        public var opener = ""
        /// What else the capture shows of this transfer (an ICMP error, the counters of a stall, the replies);
        /// may be empty.
        public var facts = ""
        /// The cause and the fix; may be empty when the facts tell no more than what happened.
        public var why = ""

        /// What happened to this transfer: the opener and the facts.
        public var what: String { join(opener, facts) }
        /// The whole explanation.
        public var sentence: String { join(what, why) }
    }

    /// A verdict's explanation as it is made: the three parts as bytes (`SentenceText`, in the thread's scratch
    /// until the next verdict is worded), each interpolated once.
    /// The memo joins them into the whole sentence, bytes in a buffer it keeps (`WordingMemo.Explanation`), which
    /// the writers read in place; a `Wording` (three `String`s) or a `String` sentence is made only for a caller
    /// that asks for one. Each part made a `String` (validated, allocated), then joined into `what` and
    /// `sentence` (two more), cost about 5 000 of the 11 000 instructions a sentence took on the control-heavy
    /// benchmark.
    struct Parts {
        var opener: SentenceText = ""
        var facts: SentenceText = ""
        var why: SentenceText = ""

        /// The parts as `Wording` makes them public.
        var wording: Wording { Wording(opener: opener.string, facts: facts.string, why: why.string) }
    }

    /// Two texts with a space between them, or the one that is not empty.
    private static func join(_ first: String, _ second: String) -> String {
        first.isEmpty ? second : second.isEmpty ? first : first + " " + second
    }

    /// Two texts with a space between them, or the one that is not empty.
    private static func join(_ first: SentenceText, _ second: SentenceText) -> SentenceText {
        first.isEmpty ? second : second.isEmpty ? first : "\(first) \(second)"
    }

    /// The sentence for a transfer's verdict; nil when there is nothing to explain (completed, unused, or a
    /// failure whose facts say nothing more than its status).
    public static func diagnosis(of verdict: DataVerdict) -> String? {
        withDiagnosis(of: verdict) { String(decoding: $0, as: UTF8.self) }
    }

    /// `body` given the UTF-8 of `diagnosis(of:)` where the memo keeps it (no `String` made); nil, without
    /// calling `body`, when there is nothing to explain. The bytes are valid only during `body`, which must not
    /// word another verdict.
    static func withDiagnosis<Result>(
        of verdict: DataVerdict, _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result? {
        guard explains(verdict.status) else { return nil }
        return WordingMemo.current.withSentence(of: verdict, make: makeParts, body)
    }

    /// Only these statuses are ever explained (`makeWording`); most transfers complete, and reading their
    /// evidence to find nothing to say was a measurable share of writing a transfer.
    static func explains(_ status: DataStatus) -> Bool {
        switch status {
        case .stalled, .notSeen, .refused, .unanswered, .commandFailed: return true
        default: return false
        }
    }

    /// The explanation of a transfer's verdict in its two parts; nil when there is nothing to explain.
    public static func wording(of verdict: DataVerdict) -> Wording? {
        guard explains(verdict.status) else { return nil }
        return WordingMemo.current.wording(of: verdict, make: makeParts)
    }

    /// `wording(of:)` made afresh.
    static func makeWording(of verdict: DataVerdict) -> Wording? { makeParts(of: verdict)?.wording }

    /// The parts of `wording(of:)`, made afresh.
    static func makeParts(of verdict: DataVerdict) -> Parts? {
        // The parts lie in the thread's scratch (`SentenceText`), valid until the next verdict is worded here.
        SentenceScratch.current.pointee.begin()
        let facts = verdict.evidence
        if verdict.status == .stalled, let stall = facts.stall { return stalled(stall, cause: verdict.cause, facts) }
        if verdict.status == .notSeen, let abandonment = facts.abandonment {
            return abandoned(abandonment, cause: verdict.cause, facts)
        }
        guard let mode = facts.mode else {
            guard verdict.status == .notSeen else { return nil }
            return Parts(
                facts: "",
                why: "The server could not open a data connection (\(replySummary(facts))) and no announcement was seen in the capture.")
        }
        // The announcement's verb, named only where a sentence names it (a refused command's does not).
        var verb: String { (facts.announcementVerb ?? (mode.serverConnects ? .port : .pasv)).name }
        switch verdict.status {
        case .refused, .unanswered, .notSeen:
            return connectionFailure(verdict.status, cause: verdict.cause, mode: mode, verb: verb, facts)
        case .commandFailed:
            switch facts.refusal {
            case .command?: return refused(facts)
            case .announcement?: return rejectedAnnouncement(mode: mode, verb: verb, facts)
            case nil: return nil
            }
        default:
            return nil
        }
    }

    /// A data connection that could not be made: what the opener saw, what the announced address says, the fix.
    private static func connectionFailure(
        _ status: DataStatus, cause: DataCause?, mode: DataMode, verb: String, _ facts: DataEvidence
    ) -> Parts {
        let attempts = facts.synAttempts
        let outcome: SentenceText
        switch status {
        case .refused:
            outcome = facts.icmp != nil ? "was rejected by ICMP" : "was refused (RST answered the SYN)"
        case .unanswered:
            outcome = "got no answer (\(attempts) SYN\(attempts == 1 ? "" : "s") unanswered)"
        default: outcome = "was never attempted in the capture"
        }
        guard let announced = facts.announced else {
            return Parts(facts: "The data connection \(outcome); the announcement could not be parsed.", why: "")
        }
        let icmp: SentenceText = facts.icmp.map { icmp -> SentenceText in "An ICMP \"\(icmp.reason)\" from \(icmp.reporter) answered the SYN." } ?? ""
        // The peers are named where a sentence names them (written in place, none made ahead for nothing).
        let client = facts.client
        let server = facts.server
        if mode.serverConnects {
            let opener: SentenceText = "The server's data connection to \(announced) \(outcome)."
            switch facts.announcedAddress {
            case .behindNAT?:
                return Parts(
                    opener: opener, facts: icmp,
                    why: "The client announced its private address \(announced.address) in \(verb) but its control connection comes from \(peer: client): it is behind NAT that does not rewrite \(verb), so the server cannot reach it. Use passive mode (PASV/EPSV), or enable the NAT's FTP helper.")
            case .thirdHost?:
                return Parts(
                    opener: opener, facts: icmp,
                    why: "\(verb) named \(announced.address), not the control client \(peer: client): NAT, a multi-homed client, or a third-party (bounce) transfer. Use passive mode.")
            default:
                break
            }
            if status == .refused {
                return Parts(
                    opener: opener, facts: icmp,
                    why: "The client (or a firewall in front of it) rejects incoming connections on port \(announced.port). Use passive mode, or allow the server's inbound data connections on the client's firewall.")
            }
            if status == .unanswered {
                return Parts(
                    opener: opener, facts: icmp,
                    why: "A firewall in front of the client drops the server's incoming SYN. Use passive mode, or allow inbound connections from \(peer: server) to the client's data ports.")
            }
            if facts.privateToOutside {
                // Captured on the client's side: the server's SYNs never arrived here.
                return Parts(
                    opener: opener,
                    facts: join(icmp, "No connection from the server reached this capture point before it gave up (\(replySummary(facts)))."),
                    why: "The client announced its private address \(announced.address) to a server on a public address: behind NAT the server cannot reach it, or a firewall on the way drops its SYN. Use passive mode (PASV/EPSV).")
            }
            return Parts(
                opener: opener, facts: join(icmp, "The server gave up (\(replySummary(facts))) without a SYN in the capture."),
                why: "It may have failed to connect before reaching this link, or refused the address. Use passive mode.")
        }
        let opener: SentenceText = "The client's data connection to \(announced) \(outcome)."
        switch facts.announcedAddress {
        case .internal?:
            return Parts(
                opener: opener, facts: icmp,
                why: "The server announced its internal address \(announced.address) in the \(verb) reply, but clients reach it at \(peer: server). Set the server's external address (vsftpd pasv_address, ProFTPD MasqueradeAddress) or enable the NAT's FTP helper.")
        case .other?:
            return Parts(
                opener: opener, facts: icmp,
                why: "The server announced \(announced.address), not its control address \(peer: server); check that address is reachable from the client, or configure the server's external address.")
        default:
            break
        }
        let range = passiveRange(facts)
        if let reporter = facts.icmp?.reporter, status == .refused {
            let who: SentenceText = reporter == facts.server ? "The server's own firewall" : "A firewall at \(reporter)"
            return Parts(
                opener: opener, facts: icmp,
                why: "\(who) rejects connections to the passive port: open the server's passive port range\(range) on it.")
        }
        if status == .refused {
            return Parts(
                opener: opener, facts: icmp,
                why: "Nothing listens on that port or a firewall rejects it: open the server's passive port range\(range) on its firewall.")
        }
        return Parts(
            opener: opener, facts: icmp,
            why: "A firewall between client and server drops connections to the passive port: open the server's passive port range\(range) on its firewall; if the server sits behind NAT with port forwarding, forward that range to it as well.")
    }

    /// The server refused the announcement itself (500 Illegal PORT command).
    private static func rejectedAnnouncement(mode: DataMode, verb: String, _ facts: DataEvidence) -> Parts? {
        guard let reply = facts.announcementReply else { return nil }
        var wording = Parts(facts: "The server rejected \(verb) with \(reply.code) \(reply.text.trimmingFinalPeriod).", why: "")
        if mode.serverConnects, let announced = facts.announced, facts.announcedAddress != .own {
            wording.why = "It announced \(announced.address), not the address the control connection comes from (\(peer: facts.client)): NAT without an FTP helper, or a bounce attempt; use passive mode."
        }
        return wording
    }

    /// The server refused the transfer command, with the data connection's part in it.
    private static func refused(_ facts: DataEvidence) -> Parts? {
        guard let reply = facts.reply else { return nil }
        var wording = Parts(
            facts: "The server refused \(what(facts)) with \(reply.code) \(reply.text.trimmingFinalPeriod).", why: "")
        var why: SentenceText = ""
        if facts.observed != nil {
            why = facts.resetBy != nil
                ? "The data connection was already open (the client connects before it sends the command) and was reset as a consequence; it was not at fault."
                : "The data connection was already open (the client connects before it sends the command) and was closed unused; it was not at fault."
        }
        let advice: SentenceText
        switch reply.code {
        case 550, 450: advice = "Check that the path exists and that the account may read or write it."
        case 552, 452: advice = "The server is out of space or over a quota."
        case 553: advice = "The server does not allow that file name."
        case 530, 532: advice = "The session is not logged in (or lacks an account) for this command."
        default: advice = ""
        }
        wording.why = join(why, advice)
        return wording
    }

    /// An announcement the client abandoned, told from the capture's vantage.
    private static func abandoned(_ abandonment: Abandonment, cause: DataCause?, _ facts: DataEvidence) -> Parts {
        let verb = (facts.announcementVerb ?? .pasv).name
        let gaveUp: SentenceText
        if let next = abandonment.nextVerb {
            let seconds = Double(abandonment.delay ?? 0) / 1e9
            let after: SentenceText = seconds >= 1 ? " \(formatSeconds(seconds)) later" : ""
            gaveUp = next == .quit ? "quit\(after)" : "sent \(next.name)\(after) instead"
        } else {
            gaveUp = "ended the session"
        }
        let range = passiveRange(facts)
        let server = facts.server
        let announcedAddress: SentenceText = facts.announced.map { announced -> SentenceText in "\(announced.address)" } ?? "the announced address"
        let what: SentenceText = abandonment.portOnly
            ? "port \(facts.announced?.port ?? 0)" : facts.announced.map { announced -> SentenceText in "\(announced)" } ?? "a port"
        var wording = Parts(
            facts: "The server announced \(what) in its \(abandonment.replyCode) reply to \(verb); the client sent no transfer command and \(gaveUp), and no data connection to that port is in the capture.",
            why: "")
        switch cause {
        case .passivePortNotForwarded?:
            wording.why = "The capture is at the server (\(peer: server), a private address behind NAT): the client's SYNs to \(abandonment.portOnly ? "the NAT's public address" : announcedAddress) never reached it. The NAT in front of the server forwards the control port but not the passive ports: forward the passive range\(range) to \(peer: server) as well, or use a NAT with an FTP helper."
        case .passiveAddressInternal?:
            wording.why = "\(announcedAddress) is not an address the client can reach: set the server's external address (vsftpd pasv_address, ProFTPD MasqueradeAddress, Pure-FTPd -P)."
        default:
            if abandonment.otherConnectionsSeen {
                // The capture shows the client's other data connections, so it would show this one's SYN too.
                wording.why = "This capture holds the client's other data connections, so the client did not try this one: it gave up after its earlier data connection failed (see that one for the cause)."
            } else {
                wording.why = "The client's SYNs (if it sent any) did not reach this capture point: a firewall or a NAT that does not forward the passive range\(range) stands between client and server; open or forward that range."
            }
        }
        return wording
    }

    /// A stalled transfer: what the counters show, from the capture's vantage, and the fix.
    private static func stalled(_ stall: StallEvidence, cause: DataCause?, _ facts: DataEvidence) -> Parts {
        let what = what(facts)
        let sender = stall.sender == .server ? "server" : "client"
        let receiver = stall.sender == .server ? "client" : "server"
        let ending: SentenceText = facts.reply.map { reply -> SentenceText in " The server's reply: \(reply.code) \(reply.text.trimmingFinalPeriod)." } ?? ""
        let blackhole: SentenceText = "a path-MTU black hole (a router drops packets too big for the next link and sends no ICMP \"fragmentation needed\")."
        let clamp: SentenceText = "Clamp the TCP MSS on the router (iptables TCPMSS --clamp-mss-to-pmtu) or lower the MTU on the path, and let ICMP type 3 code 4 (ICMPv6 \"packet too big\") through."
        switch cause {
        case .pathMTUBlackhole? where stall.view == .sender:
            let acked: SentenceText = stall.largestAcknowledged == 0
                ? "no data segment was ever acknowledged"
                : "the largest segment acknowledged was \(stall.largestAcknowledged) bytes"
            return Parts(
                facts: "The data connection for \(what) stalled: the \(sender) sent \(stall.retransmittedSize)-byte segments \(stall.retransmissions) more times without an acknowledgement, while \(acked) and the \(receiver)'s small packets kept arriving.\(ending)",
                why: "Large segments are lost on the way: \(blackhole) Seen from the \(receiver), the large segments never arrive. \(clamp)")
        case .pathMTUBlackhole?:
            return Parts(
                facts: "The data connection for \(what) stalled: the \(sender)'s sequence numbers show \(stall.unseenBytes) bytes sent that never reached this capture point, while its small packets (ACKs, FIN) did.\(ending)",
                why: "Full-size segments are lost on the way: \(blackhole) Seen from the \(sender), the same segments are retransmitted and never acknowledged. \(clamp)")
        case .dataTimeout?:
            return Parts(
                facts: "The data connection for \(what) stalled: the \(receiver) advertised a zero window \(stall.zeroWindows) times and took no more data (the \(sender) probed the closed window), until the transfer was given up.\(ending)",
                why: "The \(receiver) stopped reading: look at the \(receiver) program (hung, blocked on its disk or its output) rather than the network.")
        default:
            return Parts(
                facts: "The data connection for \(what) stalled: the \(sender) retransmitted unacknowledged data \(stall.retransmissions) times, with segments no larger than ones acknowledged before.\(ending)",
                why: "Packets are lost on the path, not only large ones: look for loss or a failing link between the two.")
        }
    }

    /// The data command with its argument ("RETR /pub/file").
    private static func what(_ facts: DataEvidence) -> SentenceText {
        // The two that are not empty, with a space between them (no arrays to filter and join).
        let name = facts.command?.name ?? ""
        let argument = facts.argument ?? ""
        return name.isEmpty ? "\(argument)" : argument.isEmpty ? "\(name)" : "\(name) \(argument)"
    }

    /// " (observed 50000–50010)" for the passive ports seen, " (port 50000 was announced)" for one.
    private static func passiveRange(_ facts: DataEvidence) -> SentenceText {
        guard let ports = facts.passivePorts else { return "" }
        return ports.lowerBound == ports.upperBound
            ? " (port \(ports.lowerBound) was announced)" : " (observed \(ports.lowerBound)–\(ports.upperBound))"
    }

    /// "226 Transfer complete" or "no reply".
    private static func replySummary(_ facts: DataEvidence) -> SentenceText {
        guard let reply = facts.reply else { return "no reply" }
        return "\(reply.code) \(reply.text)"
    }


    private static func formatSeconds(_ seconds: Double) -> SentenceText {
        let tenths = Int((seconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }
}

extension TransferFacts {
    /// Why it failed, in the user's terms, with the fix: its verdict as `CauseWording` words it.
    public var diagnosis: String? { withDiagnosis { String(decoding: $0, as: UTF8.self) } }

    /// `body` given the UTF-8 of `diagnosis` where the memo keeps it, for the writers that copy it out as bytes
    /// (no `String` per failed transfer); nil, without calling `body`, when there is nothing to explain.
    func withDiagnosis<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
        // The status is read in place first: most transfers complete, and asking for the whole verdict copied
        // it (342 bytes) only to find nothing to explain.
        guard CauseWording.explains(status) else { return nil }
        return CauseWording.withDiagnosis(of: verdict, body)
    }
}

extension String {
    /// The text without its final period, if its last character is one: `hasSuffix(".") ? dropLast() : self[...]`.
    ///
    /// Looked at as UTF-8 first. A last byte other than "." ends a last character that is not "."; a "." after an
    /// ASCII byte (or alone) is a character of its own (no grapheme rule joins it to an ASCII one), so cutting
    /// that byte is what `dropLast()` does. `dropLast()` walks grapheme breaks to find the last character: about
    /// 1 800 instructions per refused transfer on the control-heavy benchmark. Anything else takes that way.
    var trimmingFinalPeriod: Substring {
        let utf8 = self.utf8
        guard let last = utf8.last, last == UInt8(ascii: ".") else { return self[...] }
        let period = utf8.index(before: utf8.endIndex)
        if period == utf8.startIndex || utf8[utf8.index(before: period)] < 0x80 { return self[..<period] }
        return hasSuffix(".") ? dropLast() : self[...]
    }
}
