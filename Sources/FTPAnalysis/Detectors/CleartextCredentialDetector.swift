import NetworkTypes

/// Passwords of named users sent before any TLS: once per session, at the first accepted login or at the end.
struct CleartextCredentialDetector: FindingDetector {
    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
        guard let session = event.credentialSession else { return }
        let named = session.loginAttempts.filter { $0.password != nil && !$0.isAnonymousUser }
        guard !named.isEmpty else { return }
        let succeeded = named.contains { $0.outcome == .succeeded }
        let attempts = named.map { attempt -> EvidenceValue in
            .object([
                ("user", .string(attempt.user)),
                ("outcome", .string(attempt.outcome.rawValue)),
                ("time", .string(attempt.time.iso8601)),
            ])
        }
        // Distinct users, sorted: a session names one or two, so a scan beats building a Set.
        var users: [String] = []
        for attempt in named where !users.contains(attempt.user) { users.append(attempt.user) }
        if users.count > 1 { users.sort() }  // nearly always one: the sort's set-up is not free
        found.append(
            Finding(
                kind: .cleartextCredentials, severity: succeeded ? .high : .medium, session: session.id,
                time: named[0].time,
                facts: .cleartextCredentials(users: users, accepted: succeeded, lastOutcome: named.last!.outcome),
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
