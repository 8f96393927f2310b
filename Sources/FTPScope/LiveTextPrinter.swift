import FTPAnalysis
import Glibc
import NetworkTypes
import Reports

/// The text that `sniff` streams while it runs: one line per event as it settles, written (and so flushed) at once.
///
/// A stand-in until the streaming outputs (`Outputs`) land: it is an `AnalysisEventSink` like them, so swapping it
/// is a change of the sink given to `LiveAnalysis.run`. Lines begin with the event's time, the session and the
/// timeline's event name (SPEC.md): `session_start`, `reply`, `command`, `tls_start`, `gap`, `data_connection`,
/// `finding`, `session_end`. Wire text is escaped for the terminal; passwords follow the password policy.
public final class LiveTextPrinter: AnalysisEventSink {
    private let passwords: PasswordPolicy
    private let write: (String) -> Void

    /// A printer writing to `write` (standard output, unbuffered, by default).
    public init(showPasswords: Bool, write: @escaping (String) -> Void = LiveTextPrinter.writeStandardOutput) {
        self.passwords = PasswordPolicy(showPasswords: showPasswords)
        self.write = write
    }

    /// Writes all of `text` to standard output with `write(2)`: nothing waits in a buffer.
    public static func writeStandardOutput(_ text: String) {
        var remaining = Array(text.utf8)[...]
        while !remaining.isEmpty {
            let written = remaining.withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return  // closed pipe: nothing more can be said
            }
            remaining = remaining.dropFirst(written)
        }
    }

    /// Prints one event.
    public func analysis(_ event: AnalysisEvent) {
        write(LiveTextPrinter.render(event, passwords: passwords))
    }

    /// The line(s) for one event, each ending in a newline.
    public static func render(_ event: AnalysisEvent, passwords: PasswordPolicy) -> String {
        switch event {
        case .sessionStarted(let session):
            return line(session.start, session, "session_start", "\(session.client) -> \(session.server)")
        case .reply(let session, let reply):
            return line(reply.time, session, "reply", "\(reply.code) \(firstLine(reply.text))")
        case .command(let event):
            let session = event.session
            let command = event.record
            var text = Escaping.terminal(command.verbText)
            let argument = passwords.displayArgument(of: command)
            if !argument.isEmpty { text += " " + Escaping.terminal(argument.prefix(160)) }
            if let reply = command.reply {
                text += " -> \(reply.code) \(firstLine(reply.text))"
                if let latency = command.replyTimeMilliseconds {
                    text += " (\(HumanUnits.duration(milliseconds: latency)))"
                }
            } else if let malformed = command.malformedReply {
                text += " -> malformed reply \"\(Escaping.terminal(malformed.prefix(80)))\""
            } else {
                text += " -> (no reply)"
            }
            return line(command.time, session, "command", text)
        case .tlsStarted(let session, let time):
            return line(time, session, "tls_start", "control channel encrypted from here on")
        case .gap(let session, let time, let length, let fromClient):
            return line(time, session, "gap", "\(length) bytes missing from the \(fromClient ? "client" : "server")")
        case .transfer(let session, let transfer):
            var text = transfer.status.rawValue
            let what = [transfer.command?.name, transfer.path ?? transfer.argument].compactMap { $0 }.filter { !$0.isEmpty }
            text += " " + (what.isEmpty ? "(no command)" : Escaping.terminal(what.joined(separator: " ").prefix(120)))
            text += " " + (transfer.mode?.rawValue ?? "-")
            text += " announced " + (transfer.announced?.description ?? "-")
            if let observed = transfer.observed, observed != transfer.announced { text += " observed \(observed)" }
            if transfer.bytes > 0 || transfer.status == .completed { text += ", \(HumanUnits.bytes(transfer.bytes))" }
            if transfer.synAttempts > 1 || transfer.status == .unanswered { text += ", \(transfer.synAttempts) SYN" }
            if let reply = transfer.reply { text += ", reply \(reply.code)" }
            var out = line(transfer.end ?? transfer.start ?? session.lastSeen, session.id, "data_connection", text)
            if let diagnosis = transfer.diagnosis { out += "    " + Escaping.terminal(diagnosis) + "\n" }
            return out
        case .finding(let finding):
            let text = "[\(finding.severity.rawValue)] \(finding.kind.rawValue): \(Escaping.terminal(finding.summary))"
            return prefix(finding.time, finding.session ?? "-", "finding") + text + "\n    "
                + Escaping.terminal(finding.detail) + "\n"
        case .sessionEnded(let session):
            var text = session.endState.rawValue
            text += ": user \(Escaping.terminal(session.user ?? "-")) (login \(session.login.rawValue))"
            text += ", \(session.commands.count) command\(session.commands.count == 1 ? "" : "s")"
            text += ", \(session.transfers.count) transfer\(session.transfers.count == 1 ? "" : "s")"
            text += ", \(HumanUnits.duration(milliseconds: session.start.milliseconds(to: session.end)))"
            if session.tls { text += ", TLS" }
            return line(session.end, session.id, "session_end", text)
        }
    }

    private static func prefix(_ time: Timestamp, _ session: String, _ event: String) -> String {
        "\(time.iso8601) \(session) \(event) "
    }

    private static func line(_ time: Timestamp, _ session: SessionIdentity, _ event: String, _ text: String) -> String {
        prefix(time, session.id, event) + text + "\n"
    }

    private static func line(_ time: Timestamp, _ session: String, _ event: String, _ text: String) -> String {
        prefix(time, session, event) + text + "\n"
    }

    private static func firstLine(_ text: String) -> String {
        Escaping.terminal(text.firstLine.prefix(120))
    }
}

/// The final summary of `sniff` in text: why it stopped, libpcap's counters, and the totals of what was streamed.
public enum LiveSummary {
    /// Renders it (lines ending in newlines).
    public static func render(_ result: LiveAnalysisResult) -> String {
        var out = "\n"
        out += "Stopped by \(result.stopReason) after \(HumanUnits.duration(milliseconds: result.elapsedSeconds * 1000)).\n"
        if let failure = result.failure { out += "  warning: \(Escaping.terminal(failure.message))\n" }
        out += "capture \(Escaping.terminal(result.interface)): live, \(result.linkType), filter \"\(Escaping.terminal(result.filter))\"\n"
        let capture = result.capture
        out += "  libpcap: \(capture.received) received, \(capture.dropped) dropped by the kernel, "
            + "\(capture.interfaceDropped) dropped by the interface\n"
        let packets = result.analysis.packetStats
        out += "  ftpscope: \(packets.packets) packets analysed (\(HumanUnits.bytes(packets.bytes))), "
            + "capture waited for the analysis \(capture.waits) times "
            + "(\(HumanUnits.duration(milliseconds: Double(capture.waitedNanoseconds) / 1e6)))"
        if capture.oversizedPackets > 0 { out += ", \(capture.oversizedPackets) oversized" }
        if capture.batches > 0 {
            out += "; \(capture.batches) batches of \(capture.captured / capture.batches) packets on average"
        }
        out += "\n"
        let tally = result.tally
        let ended = tally.sessionsEnded.values.reduce(0, +)
        out += "Sessions: \(tally.sessionsStarted) started, \(ended) ended"
        let endings = tally.sessionsEnded.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
        if !endings.isEmpty { out += " (" + endings.joined(separator: ", ") + ")" }
        out += ", \(tally.commands) commands\n"
        let transfers = DataStatus.allCases.compactMap { status in tally.transfers[status].map { "\(status.rawValue) \($0)" } }
        out += "Transfers: " + (transfers.isEmpty ? "none" : transfers.joined(separator: ", ")) + "\n"
        let findings = Severity.allCases.compactMap { severity in tally.findings[severity].map { "\(severity.rawValue) \($0)" } }
        out += "Findings: " + (findings.isEmpty ? "none" : findings.joined(separator: ", ")) + "\n"
        out += "Totals: " + result.stats.map { "\($0.0.replacingOccurrences("_", " ")) \($0.1)" }.joined(separator: ", ") + "\n"
        return out
    }
}

extension String {
    fileprivate func replacingOccurrences(_ character: Character, _ replacement: Character) -> String {
        String(map { $0 == character ? replacement : $0 })
    }
}
