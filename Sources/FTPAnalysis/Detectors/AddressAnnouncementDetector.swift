import NetworkTypes

/// Findings about an announced data-channel address, once per kind and session: active mode behind NAT, bounce
/// (RFC 2577), a passive reply naming another host, a private address sent outside. The address judgements
/// themselves are `AddressRules`, shared with the data-channel diagnosis.
struct AddressAnnouncementDetector: FindingDetector {
    /// The kinds already reported, by session; dropped when the session ends.
    private var reported: [ObjectIdentifier: Set<FindingKind>] = [:]

    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
        switch event {
        case .addressAnnounced(let transfer, let session): judge(transfer, session: session, into: &found)
        case .sessionEnded(let session): reported[ObjectIdentifier(session)] = nil
        default: return
        }
    }

    /// True the first time `kind` is raised for `session`.
    private mutating func first(_ kind: FindingKind, of session: FTPSession) -> Bool {
        reported[ObjectIdentifier(session), default: []].insert(kind).inserted
    }

    private mutating func judge(_ transfer: Transfer, session: FTPSession, into found: inout [Finding]) {
        guard let mode = transfer.mode, let announced = transfer.announced else { return }
        // A 229 reply names no address (RFC 2428 section 3): the one it stands for is the control peer's, which
        // nobody announced.
        if transfer.announcementVerb == .epsv && announced.address == session.server.address { return }
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
                if first(.natAddressMismatch, of: session) {
                    found.append(
                        Finding(
                            kind: .natAddressMismatch, severity: .medium, session: session.id, time: time,
                            facts: .natAddressMismatch(
                                verb: transfer.announcementVerb ?? .port, announced: announced.address,
                                client: session.client.address),
                            evidence: evidence))
                }
            } else if first(.bounce, of: session) {
                found.append(
                    Finding(
                        kind: .bounce, severity: .high, session: session.id, time: time,
                        facts: .bounce(verb: transfer.announcementVerb ?? .port, announced: announced.address),
                        evidence: evidence))
            }
        }
        if !mode.serverConnects && AddressRules.passive(announced: announced.address, server: session.server.address) != .own
            && first(.passiveAddressMismatch, of: session)
        {
            found.append(
                Finding(
                    kind: .passiveAddressMismatch, severity: .medium, session: session.id, time: time,
                    facts: .passiveAddressMismatch(
                        verb: transfer.announcementVerb ?? .pasv, announced: announced.address,
                        server: session.server.address),
                    evidence: evidence))
        }
        let peer = mode.serverConnects ? session.server.address : session.client.address
        if AddressRules.privateToOutside(announced.address, peer: peer) && first(.privateAddressAnnounced, of: session) {
            found.append(
                Finding(
                    kind: .privateAddressAnnounced, severity: .low, session: session.id, time: time,
                    facts: .privateAddressAnnounced(announced: announced.address, peer: peer),
                    evidence: evidence))
        }
    }
}
