import FTPAnalysis

extension TextSummary {
    /// A session in one line (`--summary`): endpoints, user and login, how it ended, how many commands and
    /// transfers, and how many of them failed.
    func renderOneLiner(_ session: FTPSession) -> String {
        var parts: [String] = []
        var login = SessionWording.login(session)
        if let user = session.user { login = Escaping.terminal(user) + ", " + login }
        parts.append(login)
        parts.append(SessionWording.ended(session))
        parts.append(SessionWording.count(session.commands.count, "command"))
        if !session.transfers.isEmpty {
            var transfers = SessionWording.count(session.transfers.count, "transfer")
            let failed = session.transfers.filter(\.status.isFailure).count
            if failed > 0 { transfers += ", " + paint("\(failed) failed", .red) }
            parts.append(transfers)
        }
        return bold("\(session.id)  \(session.client) -> \(session.server)") + "  " + parts.joined(separator: "; ") + "\n"
    }
}
