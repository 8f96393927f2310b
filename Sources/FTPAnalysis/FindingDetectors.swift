import FTPProtocol
import NetworkTypes

/// Turns the facts of settled sessions into findings. Parsers record; these judge.
struct FindingDetectors {
    /// Failed logins that make a brute-force finding, within `bruteforceWindow` (Zeek's default is 20 in 15 min).
    var bruteforceThreshold = 20
    /// The window, in nanoseconds.
    var bruteforceWindow: Int64 = 15 * 60 * 1_000_000_000
    private var failures: [HostPair: [(Timestamp, String)]] = [:]
    private var bruteforceRuns: [HostPair: BruteforceRun] = [:]
    private var bruteforceOrder: [HostPair] = []

    struct HostPair: Hashable {
        var client: IPAddress
        var server: IPAddress
    }

    mutating func findings(for session: FTPSession) -> [Finding] {
        var found: [Finding] = []
        // Data-channel, announcement and SITE findings are delivered as they are settled (see the analyzer);
        // the rest needs the whole session.
        if !session.credentialsReported { found += credentialFindings(for: session) }
        bruteforce(session, into: &found)
        if session.tls {
            found.append(
                Finding(
                    kind: .tlsProtected, severity: .info, session: session.id, time: session.tlsTime ?? session.start,
                    facts: .tlsProtected(implicit: session.implicitTLS, clearTextResumedAt: session.clearTextResumedAt),
                    evidence: [
                        ("implicit", .bool(session.implicitTLS)),
                        ("inferred_data_connections", .int(Int64(session.transfers.filter(\.inferred).count))),
                    ]))
        }
        if session.missingBytes > 0 {
            found.append(
                Finding(
                    kind: .captureGap, severity: .low, session: session.id, time: session.firstGapTime ?? session.start,
                    facts: .captureGap(missingBytes: session.missingBytes),
                    evidence: [("missing_bytes", .int(Int64(session.missingBytes)))]))
        }
        if !session.anomalies.isEmpty {
            let examples = session.anomalies.prefix(5).map { EvidenceValue.string($0.1) }
            found.append(
                Finding(
                    kind: .protocolAnomaly, severity: .low, session: session.id, time: session.anomalies[0].0,
                    facts: .controlAnomalies(
                        count: session.anomalies.count + session.droppedAnomalies, first: session.anomalies[0].1),
                    evidence: [
                        ("count", .int(Int64(session.anomalies.count + session.droppedAnomalies))),
                        ("examples", .list(examples)),
                    ]))
        }
        return found
    }

    /// The credential findings as they stand now; the analyzer reports them at the first accepted login so
    /// that time-ordered outputs need not wait for the session to end.
    func credentialFindings(for session: FTPSession) -> [Finding] {
        var found: [Finding] = []
        credentials(session, into: &found)
        if let root = rootLogin(session) { found.append(root) }
        return found
    }

    private func credentials(_ session: FTPSession, into found: inout [Finding]) {
        let withPassword = session.loginAttempts.filter { $0.password != nil }
        let named = withPassword.filter { !$0.isAnonymousUser }
        if !named.isEmpty {
            let succeeded = named.contains { $0.outcome == .succeeded }
            let attempts = named.map { attempt -> EvidenceValue in
                .object([
                    ("user", .string(attempt.user)),
                    ("outcome", .string(attempt.outcome.rawValue)),
                    ("time", .string(attempt.time.iso8601)),
                ])
            }
            let users = Array(Set(named.map(\.user))).sorted()
            found.append(
                Finding(
                    kind: .cleartextCredentials, severity: succeeded ? .high : .medium, session: session.id,
                    time: named[0].time,
                    facts: .cleartextCredentials(users: users, accepted: succeeded, lastOutcome: named.last!.outcome),
                    evidence: [("attempts", .list(attempts))]))
        }
        if let anonymous = session.loginAttempts.first(where: { $0.isAnonymousUser && $0.outcome == .anonymous }) {
            found.append(
                Finding(
                    kind: .anonymousLogin, severity: .info, session: session.id, time: anonymous.time,
                    facts: .anonymousLogin(user: anonymous.user),
                    evidence: [("user", .string(anonymous.user)), ("password", .string(anonymous.password ?? ""))]))
        }
    }

    /// The finding of a settled data channel that failed, if it did.
    func dataChannelFinding(_ transfer: Transfer, index: Int, session: FTPSession) -> Finding? {
        // A stalled data connection was made, then stopped: as much a failed data connection as one never made.
        guard transfer.status.isConnectionFailure || transfer.status == .stalled else { return nil }
        var evidence: [(String, EvidenceValue)] = [
            ("transfer", .int(Int64(index))),
            ("status", .string(transfer.status.rawValue)),
            ("syn_attempts", .int(Int64(transfer.synAttempts))),
        ]
        if let cause = transfer.cause { evidence.append(("cause", .string(cause.rawValue))) }
        if let mode = transfer.mode { evidence.append(("mode", .string(mode.rawValue))) }
        if let announced = transfer.announced { evidence.append(("announced", .string(announced.description))) }
        if let command = transfer.command { evidence.append(("command", .string(command.name))) }
        if let reply = transfer.reply {
            evidence.append(("reply_code", .int(Int64(reply.code))))
            evidence.append(("reply_text", .string(reply.text)))
        }
        return Finding(
            kind: .failedDataConnection, severity: .medium, session: session.id, time: transfer.start ?? session.start,
            facts: .failedDataConnection(transfer.verdict), evidence: evidence)
    }

    /// Findings about an announced address (once per kind and session), when the announcement is parsed.

    func announcementFindings(_ transfer: Transfer, session: FTPSession) -> [Finding] {
        var found: [Finding] = []
        guard let mode = transfer.mode, let announced = transfer.announced else { return [] }
        // A 229 reply names no address (RFC 2428 section 3): the one it stands for is the control peer's, which
        // nobody announced.
        if transfer.announcementVerb == .epsv && announced.address == session.server.address { return [] }
        let time = transfer.announcedAt ?? session.start
        // Made only for a finding: nearly every announcement has none, and the endpoint text is not free.
        var evidence: [(String, EvidenceValue)] {
            [
                ("mode", .string(mode.rawValue)), ("announced", .string(announced.description)),
                ("client", .string(session.client.description)), ("server", .string(session.server.description)),
            ]
        }
        let activeTarget =
            mode.serverConnects ? AddressRules.active(announced: announced.address, client: session.client.address) : .own
        if activeTarget != .own {
            // NAT hides a private client behind a public address; a client that is itself on a private
            // network naming another host is asking the server to connect to a third party (bounce).
            if activeTarget == .behindNAT {
                if !session.reportedNAT {
                    session.reportedNAT = true
                    found.append(
                        Finding(
                            kind: .natAddressMismatch, severity: .medium, session: session.id, time: time,
                            facts: .natAddressMismatch(
                                verb: transfer.announcementVerb ?? .port, announced: announced.address,
                                client: session.client.address),
                            evidence: evidence))
                }
            } else if !session.reportedBounce {
                session.reportedBounce = true
                found.append(
                    Finding(
                        kind: .bounce, severity: .high, session: session.id, time: time,
                        facts: .bounce(verb: transfer.announcementVerb ?? .port, announced: announced.address),
                        evidence: evidence))
            }
        }
        if !mode.serverConnects && AddressRules.passive(announced: announced.address, server: session.server.address) != .own
            && !session.reportedPassive
        {
            session.reportedPassive = true
            found.append(
                Finding(
                    kind: .passiveAddressMismatch, severity: .medium, session: session.id, time: time,
                    facts: .passiveAddressMismatch(
                        verb: transfer.announcementVerb ?? .pasv, announced: announced.address,
                        server: session.server.address),
                    evidence: evidence))
        }
        let peer = mode.serverConnects ? session.server.address : session.client.address
        if AddressRules.privateToOutside(announced.address, peer: peer) && !session.reportedPrivate {
            session.reportedPrivate = true
            found.append(
                Finding(
                    kind: .privateAddressAnnounced, severity: .low, session: session.id, time: time,
                    facts: .privateAddressAnnounced(announced: announced.address, peer: peer),
                    evidence: evidence))
        }
        return found
    }

    /// SITE subcommands that run programs or copy files on the server: SITE EXEC (wu-ftpd, RFC 959's SITE
    /// left implementation-defined) and ProFTPD mod_copy's CPFR/CPTO (CVE-2015-3306).
    static let dangerousSiteCommands: Set<String> = ["EXEC", "CPFR", "CPTO"]

    /// A dangerous SITE command the server accepted, when its reply arrives.
    func siteFinding(_ command: CommandRecord, session: FTPSession) -> Finding? {
        guard command.verb == .site else { return nil }
        let sub = command.argument.split(separator: " ").first.map { $0.uppercased() } ?? ""
        guard FindingDetectors.dangerousSiteCommands.contains(sub), let reply = command.reply,
            reply.code >= 200 && reply.code < 300
        else { return nil }
        return Finding(
            kind: .riskyCommand, severity: .high, session: session.id, time: command.time,
            facts: .dangerousSite(subcommand: sub, replyCode: reply.code),
            evidence: [("argument", .string(command.argument)), ("reply_code", .int(Int64(reply.code)))])
    }

    private func rootLogin(_ session: FTPSession) -> Finding? {
        guard let root = session.loginAttempts.first(where: { $0.user.lowercased() == "root" }) else { return nil }
        let accepted = session.loginAttempts.contains { $0.user.lowercased() == "root" && $0.outcome == .succeeded }
        return Finding(
            kind: .riskyCommand, severity: accepted ? .high : .medium, session: session.id, time: root.time,
            facts: .rootLogin(accepted: accepted),
            evidence: [("outcome", .string(accepted ? "succeeded" : root.outcome.rawValue))])
    }

    private mutating func bruteforce(_ session: FTPSession, into found: inout [Finding]) {
        let pair = HostPair(client: session.client.address, server: session.server.address)
        for attempt in session.loginAttempts {
            if attempt.outcome == .succeeded || attempt.outcome == .anonymous {
                // A login that worked after the guessing began: the one thing the reader must check.
                if bruteforceRuns[pair] != nil && bruteforceRuns[pair]!.success == nil {
                    bruteforceRuns[pair]!.success = (attempt.time, session.id, attempt.user)
                }
                continue
            }
            guard attempt.outcome == .failed else { continue }
            if var run = bruteforceRuns[pair] {
                run.failures += 1
                run.sessions.insert(session.id)
                if run.users.count < 20 { run.users.insert(attempt.user) }
                bruteforceRuns[pair] = run
                continue
            }
            var list = failures[pair, default: []]
            list.append((attempt.time, attempt.user))
            list.removeAll { $0.0.nanoseconds(to: attempt.time) > bruteforceWindow }
            failures[pair] = list
            if list.count >= bruteforceThreshold {
                // Reported once, at the end of the analysis, with every failure counted (not only those that
                // crossed the threshold).
                failures[pair] = nil
                bruteforceRuns[pair] = BruteforceRun(
                    first: list[0].0, crossed: attempt.time, session: session.id, failures: list.count,
                    sessions: [session.id], users: Set(list.map(\.1)))
                bruteforceOrder.append(pair)
            }
        }
    }

    /// A password-guessing run: failed logins from one client to one server past the threshold.
    struct BruteforceRun {
        var first: Timestamp
        var crossed: Timestamp
        var session: String
        var failures: Int
        var sessions: Set<String>
        var users: Set<String>
        var success: (Timestamp, String, String)?
    }

    /// The brute-force findings, once every login is known (call when the analysis ends).
    func bruteforceFindings() -> [Finding] {
        bruteforceOrder.compactMap { pair in
            guard let run = bruteforceRuns[pair] else { return nil }
            var evidence: [(String, EvidenceValue)] = [
                ("failures", .int(Int64(run.failures))),
                ("users", .list(run.users.sorted().prefix(20).map { .string($0) })),
                ("first", .string(run.first.iso8601)),
            ]
            let success = run.success.map { BruteforceSuccess(session: $0.1, user: $0.2, time: $0.0) }
            if let success { evidence.append(("succeeded_after", .string(success.session))) }
            return Finding(
                kind: .bruteforce, severity: .high, session: run.session, time: run.crossed,
                facts: .bruteforce(failures: run.failures, client: pair.client, server: pair.server, success: success),
                evidence: evidence)
        }
    }
}
