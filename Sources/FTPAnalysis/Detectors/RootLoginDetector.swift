/// A login as root, attempted or accepted: servers should refuse it (ftpusers).
struct RootLoginDetector: FindingDetector {
    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
        guard let session = event.credentialSession,
            let root = session.loginAttempts.first(where: { FTPSession.isWord($0.user, "root") })
        else { return }
        let accepted = session.loginAttempts.contains { FTPSession.isWord($0.user, "root") && $0.outcome == .succeeded }
        found.append(
            Finding(
                kind: .riskyCommand, severity: accepted ? .high : .medium, session: session.id, time: root.time,
                facts: .rootLogin(accepted: accepted),
                evidence: [("outcome", .string(accepted ? "succeeded" : root.outcome.rawValue))]))
    }
}
