import ArgumentParser
import FTPAnalysis
import Reports

/// `--session`, `--status`, `--user`, `--client`, `--server` and `--summary` (SPEC.md): narrow every output to some
/// sessions and transfers, or shorten the text summary to one line per session.
struct NarrowingOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Only these sessions (comma-separated ids as the summary numbers them).", valueName: "ID,…"))
    var session: String?

    @Option(
        help: ArgumentHelp(
            "Only transfers with these outcomes, and the sessions that have one.",
            discussion:
                "Comma-separated data statuses: \(DataStatus.allCases.map(\.rawValue).joined(separator: ", ")); failed stands for every status but completed and unused.",
            valueName: "STATUS,…"),
        completion: .list(["failed"] + DataStatus.allCases.map(\.rawValue)))
    var status: String?

    @Option(help: ArgumentHelp("Only sessions that tried to log in as this user.", valueName: "NAME"))
    var user: String?

    @Option(help: ArgumentHelp("Only sessions from this client address (and port).", valueName: "ADDR[:PORT]"))
    var client: String?

    @Option(help: ArgumentHelp("Only sessions to this server address (and port).", valueName: "ADDR[:PORT]"))
    var server: String?

    @Flag(help: "The text summary without command lists: the headline, the findings and one line per session.")
    var summary = false

    func validate() throws { _ = try narrowing() }

    /// The narrowing asked for.
    func narrowing() throws -> Narrowing {
        var narrowing = Narrowing()
        if let session {
            var ids: Set<String> = []
            for part in session.split(separator: ",") {
                let id = part.uppercased()
                guard id.hasPrefix("S"), let number = Int(id.dropFirst()), number > 0 else {
                    throw ValidationError("--session: '\(part)' is not a session id (S1, S2, …)")
                }
                ids.insert("S\(number)")
            }
            guard !ids.isEmpty else { throw ValidationError("--session: give at least one session id") }
            narrowing.sessions = ids
        }
        if let status {
            switch Narrowing.statuses(status) {
            case .success(let statuses): narrowing.statuses = statuses
            case .failure(let error):
                throw ValidationError(
                    "--status: '\(error.word)' is not a data status (failed, "
                        + DataStatus.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
        }
        if let user {
            guard !user.isEmpty else { throw ValidationError("--user: give a user name") }
            narrowing.user = user
        }
        for (flag, text) in [("--client", client), ("--server", server)] {
            guard let text else { continue }
            guard let pattern = EndpointPattern(text) else {
                throw ValidationError("\(flag): '\(text)' is not an address or address:port (192.0.2.1:21, [2001:db8::1]:21)")
            }
            if flag == "--client" { narrowing.client = pattern } else { narrowing.server = pattern }
        }
        return narrowing
    }
}
