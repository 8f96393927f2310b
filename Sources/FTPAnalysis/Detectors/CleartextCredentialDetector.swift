import NetworkTypes

/// Passwords of named users sent before any TLS: once per session, at the first accepted login or at the end.
struct CleartextCredentialDetector: FindingDetector {
    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
        guard let session = event.credentialSession else { return }
        // One pass over the attempts, read in place: the named ones filtered into an array of their own first
        // cost an allocation and a copy of each attempt per session judged.
        let logins = session.loginAttempts
        var first: Int?
        var last = 0
        var succeeded = false
        var attempts: [EvidenceValue] = []
        // Distinct users, sorted: a session names one or two, so a scan beats building a Set.
        var users: [String] = []
        for index in logins.indices
        where logins[index].password != nil && !FTPSession.isAnonymousUser(logins[index].user) {
            if first == nil { first = index }
            last = index
            if logins[index].outcome == .succeeded { succeeded = true }
            attempts.append(
                .object([
                    ("user", .string(logins[index].user)),
                    ("outcome", .string(logins[index].outcome.rawValue)),
                    ("time", .string(logins[index].time.iso8601)),
                ]))
            if !users.contains(logins[index].user) { users.append(logins[index].user) }
        }
        guard let first else { return }
        if users.count > 1 { users.sort() }  // nearly always one: the sort's set-up is not free
        found.append(
            Finding(
                kind: .cleartextCredentials, severity: succeeded ? .high : .medium, session: session.id,
                time: logins[first].time,
                facts: .cleartextCredentials(users: users, accepted: succeeded, lastOutcome: logins[last].outcome),
                evidence: [("attempts", .list(attempts))]))
    }
}

extension DetectorEvent {
    /// The session whose logins are judged now: at its first accepted login, or at its end when that login never
    /// came (the analyzer marks `credentialsReported` when it raises `.loginAccepted`).
    var credentialSession: FTPSession? {
        switch self {
        case .loginAccepted(let session): return session
        case .sessionEnded(let session): return session.credentialsReported ? nil : session
        default: return nil
        }
    }
}
