import FTPAnalysis
import NetworkTypes

/// Every sentence of a finding: its one-line summary and its explanation with the fix, worded from its typed
/// facts. The detectors decide what was found; this file only says it, so the text summary, the timelines,
/// the JSON document, the HTML report and the live printer say the same thing (issue 14). The explanation of a
/// failed data connection is its transfer's (`CauseWording`).
public enum FindingWording {
    /// The one line for lists.
    public static func summary(of finding: Finding) -> String {
        switch finding.facts {
        case .cleartextCredentials(let users, let accepted, let lastOutcome):
            // Bytes appended into one buffer, made a string once: joining the names and interpolating them (or
            // appending to a `String`, some 340 instructions a piece) cost more than the rest of the finding's
            // row (a finding per login on control-heavy traffic).
            var text = TextBuilder(capacity: 64)
            credentialsSummary(users, accepted, lastOutcome, into: &text)
            return text.string
        case .anonymousLogin(let user):
            return "anonymous login as \(user)"
        case .rootLogin(let accepted):
            return accepted ? "login as root accepted" : "login as root attempted"
        case .dangerousSite(let subcommand, let replyCode):
            return "SITE \(subcommand) accepted (\(replyCode))"
        case .tlsProtected(let implicit, _):
            return implicit
                ? "control channel encrypted from the first byte (implicit FTPS)" : "control channel encrypted after AUTH"
        case .captureGap(let missingBytes):
            return "\(missingBytes) bytes of the control connection are missing from the capture"
        case .controlAnomalies(let count, _):
            return "\(count) protocol anomal\(count == 1 ? "y" : "ies") on the control channel"
        case .notFTP(let client, let server):
            return "connection \(client) -> \(server) on an FTP control port is not FTP"
        case .failedDataConnection(let verdict):
            var text = TextBuilder(capacity: 96)
            failedConnectionSummary(verdict, into: &text)
            return text.string
        case .natAddressMismatch(let verb, let announced, let client):
            return "\(verb) announces \(announced) but the client connects from \(client)"
        case .bounce(let verb, let announced):
            return "\(verb) names a third host \(announced)"
        case .passiveAddressMismatch(let verb, let announced, let server):
            return "\(verb) reply names \(announced), not the server's \(server)"
        case .privateAddressAnnounced(let announced, let peer):
            return "private address \(announced) announced to \(peer)"
        case .bruteforce(let failures, let client, let server, let success):
            return "\(failures) failed logins from \(client) to \(server)"
                + (success == nil ? ", none succeeded" : ", then one succeeded")
        case .evasion(let observation):
            let pair = "\(observation.source) → \(observation.destination)"
            switch observation.kind {
            case .tinyFragment:
                return "tiny first IP fragment (\(observation.length) bytes) from \(pair): the TCP header is split (evasion attempt)"
            case .conflictingFragmentOverlap:
                return "IP fragments from \(pair) overlap with different content (evasion attempt)"
            case .ipv6FragmentOverlap:
                return "overlapping IPv6 fragments from \(pair): datagram discarded (evasion attempt)"
            }
        }
    }

    /// The summary's UTF-8 bytes for `body`. The kinds worded byte by byte (a finding per login, per failed
    /// data connection) are built in `scratch` (its storage kept from one finding to the next) and never made a
    /// `String`: the JSON document only copies them (an allocation, a validation and a release per finding).
    static func withSummary<Result>(
        of finding: Finding, scratch: inout [UInt8], _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result {
        scratch.removeAll(keepingCapacity: true)
        var text = TextBuilder(taking: &scratch)
        defer { text.give(to: &scratch) }
        switch finding.facts {
        case .cleartextCredentials(let users, let accepted, let lastOutcome):
            credentialsSummary(users, accepted, lastOutcome, into: &text)
        case .failedDataConnection(let verdict):
            failedConnectionSummary(verdict, into: &text)
        default:
            var worded = summary(of: finding)
            return worded.withUTF8(body)
        }
        return text.withBytes(body)
    }

    /// "password for alice, bob sent in clear text and accepted".
    private static func credentialsSummary(
        _ users: [String], _ accepted: Bool, _ lastOutcome: LoginOutcome, into text: inout TextBuilder
    ) {
        text.add("password for ")
        for (index, user) in users.enumerated() {
            if index > 0 { text.add(", ") }
            text.add(user)
        }
        if accepted {
            text.add(" sent in clear text and accepted")
        } else {
            text.add(" sent in clear text (login ")
            text.add(lastOutcome.rawValue)
            text.add(")")
        }
    }

    /// "data connection for RETR /a refused (192.0.2.1:50000)".
    private static func failedConnectionSummary(_ verdict: DataVerdict, into text: inout TextBuilder) {
        let facts = verdict.evidence
        text.add("data connection for ")
        let name = facts.command?.name ?? ""
        let argument = facts.argument ?? ""
        if name.isEmpty && argument.isEmpty {
            text.add("an announcement")
        } else {
            text.add(name)
            if !name.isEmpty && !argument.isEmpty { text.add(" ") }
            text.add(argument)
        }
        text.add(" ")
        text.add(verdict.status.rawValue)
        if let announced = facts.announced {
            text.add(" (")
            text.add(announced)
            text.add(")")
        }
    }

    /// The explanation: the likely cause and the fix.
    public static func detail(of finding: Finding) -> String {
        switch finding.facts {
        case .cleartextCredentials(_, let accepted, _):
            // Two whole literals, not one interpolated: a literal is returned without building or copying it.
            return accepted
                ? "USER/PASS crossed the network unencrypted, readable by anyone on the path. Require FTPS (AUTH TLS) or move to SFTP, and change the password."
                : "USER/PASS crossed the network unencrypted, readable by anyone on the path. Require FTPS (AUTH TLS) or move to SFTP, and change the password if it is a real one."
        case .anonymousLogin:
            return "The server accepts guest logins; make sure that is intended and that the guest area holds nothing private."
        case .rootLogin(let accepted):
            return accepted
                ? "The server lets root log in over FTP: deny it (vsftpd/ProFTPD: list root in ftpusers) and use an unprivileged account."
                : "Someone tried to log in as root; servers should refuse root over FTP (ftpusers)."
        case .dangerousSite(let subcommand, _):
            return "The server accepted a SITE \(subcommand) command, which runs programs or copies files on the server for the client: disable it (ProFTPD: remove mod_copy; wu-ftpd: no SITE EXEC) unless it is truly needed."
        case .tlsProtected(_, let clearTextResumedAt):
            guard let resumed = clearTextResumedAt else {
                return "Commands after the TLS handshake are not readable; credentials sent after it are protected. Data connections between the two hosts during the session are reported as inferred."
            }
            return "The channel returned to clear text (CCC) at \(resumed.iso8601); commands after that are readable again, and so is anything sent in them."
        case .captureGap:
            return "Packets were lost by the capture (not by the network): commands or replies around the gap may be missing. Capture with a larger buffer or snap length."
        case .controlAnomalies(_, let first):
            return "The control channel carried lines that are not valid FTP: \(first)."
        case .notFTP:
            return "No FTP greeting or command was seen on this connection; another protocol (SSH, telnet, a scanner) is using the FTP port, so it was not analysed as FTP."
        case .failedDataConnection(let verdict):
            return CauseWording.diagnosis(of: verdict) ?? "The data connection failed."
        case .natAddressMismatch:
            return "The client sits behind NAT that does not rewrite active-mode announcements, so the server is told to connect to an address it cannot reach. Use passive mode, or enable the NAT's FTP helper."
        case .bounce:
            return "The client asked the server to connect to a host other than itself (FTP bounce, RFC 2577): it can be used to scan or attack that host through the server. Servers should refuse PORT addresses other than the client's."
        case .passiveAddressMismatch:
            return "The server announces an address other than the one the client reached it at (server behind NAT, or a misconfigured external address). Clients that trust the reply connect to the wrong host; set the server's external address."
        case .privateAddressAnnounced:
            return "An internal address was sent to a peer outside that network: it cannot connect there, and the internal addressing is disclosed."
        case .bruteforce(_, _, _, let success):
            let guessing = "One client failed to log in repeatedly in a short time: password guessing. Block the client and enforce a lockout."
            guard let success else { return guessing + " No login from this client succeeded during the guessing or in the window after it." }
            return guessing
                + " A later login as \(success.user) succeeded (\(success.session), \(success.time.iso8601)): treat that account as compromised."
        case .evasion(let observation):
            switch observation.kind {
            case .tinyFragment:
                return "The first fragment of a TCP datagram is too short to hold the TCP header, so a filter that checks first fragments cannot see the ports or flags (RFC 1858 tiny fragment attack); ftpscope reassembled the datagram and analysed it whole."
            case .conflictingFragmentOverlap:
                return "Two fragments of one IPv4 datagram carry different bytes for the same offsets, which makes an analyzer and the end host read different data (RFC 1858 overlapping fragment attack). ftpscope kept the first bytes (BSD/Windows policy); Linux since 4.19 drops such datagrams and some stacks keep the last bytes, so the host may have seen the other version in the evidence, or nothing."
            case .ipv6FragmentOverlap:
                return "Two fragments of one IPv6 datagram overlap. RFC 5722 makes hosts discard the whole datagram, and ftpscope did the same; a host that does not follow it may have accepted one of the versions in the evidence."
            }
        }
    }
}

extension Finding {
    /// The one line for lists (`FindingWording.summary`).
    public var summary: String { FindingWording.summary(of: self) }
    /// The explanation with the fix (`FindingWording.detail`).
    public var detail: String { FindingWording.detail(of: self) }
}

/// A sentence built as UTF-8 bytes and made a `String` once (the same text as appending the pieces to a string).
private struct TextBuilder {
    private var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    /// A builder appending to `storage`'s bytes (left empty until `give(to:)` hands them back).
    init(taking storage: inout [UInt8]) { swap(&bytes, &storage) }

    /// Hands the bytes (and their storage) back to `storage`.
    mutating func give(to storage: inout [UInt8]) { swap(&bytes, &storage) }

    mutating func add(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Read where the string lies (a copy of it, for `withUTF8`, was retained and released).
    mutating func add(_ text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
            bytes.append(contentsOf: text.utf8)
        }
    }

    /// As `description` writes it, without making that string (an allocation and a copy per finding).
    mutating func add(_ endpoint: Endpoint) { endpoint.appendDescription(to: &bytes) }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        bytes.withUnsafeBufferPointer(body)
    }
}
