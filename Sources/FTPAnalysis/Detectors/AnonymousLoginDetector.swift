/// A guest login the server accepted (RFC 1635): worth knowing, not a fault.
struct AnonymousLoginDetector: FindingDetector {
    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
        guard let session = event.credentialSession,
            let anonymous = session.loginAttempts.first(where: { $0.isAnonymousUser && $0.outcome == .anonymous })
        else { return }
        found.append(
            Finding(
                kind: .anonymousLogin, severity: .info, session: session.id, time: anonymous.time,
                facts: .anonymousLogin(user: anonymous.user),
                evidence: [("user", .string(anonymous.user)), ("password", .string(anonymous.password ?? ""))]))
    }
}
