import FTPAnalysis
import NetworkTypes

/// What the user narrowed the outputs to (SPEC.md `--session`, `--status`, `--user`, `--client`, `--server`):
/// sessions by id, user and endpoints, and transfers by outcome. Every output applies the same value, so the text
/// summary, the timelines and the JSON document tell the same narrowed story.
public struct Narrowing: Sendable {
    /// Session ids (`S1`), if narrowed to them.
    public var sessions: Set<String>?
    /// Transfer outcomes, if narrowed to them.
    public var statuses: Set<DataStatus>?
    /// The user name of a login attempt of the session.
    public var user: String?
    /// The client end of the control connection.
    public var client: EndpointPattern?
    /// The server end of the control connection.
    public var server: EndpointPattern?

    /// Nothing narrowed.
    public init(
        sessions: Set<String>? = nil, statuses: Set<DataStatus>? = nil, user: String? = nil,
        client: EndpointPattern? = nil, server: EndpointPattern? = nil
    ) {
        self.sessions = sessions
        self.statuses = statuses
        self.user = user
        self.client = client
        self.server = server
    }

    /// True when nothing is narrowed.
    public var isEmpty: Bool { sessions == nil && statuses == nil && user == nil && client == nil && server == nil }

    /// `failed` stands for every status that is a failure (`DataStatus.isFailure`): all but completed and unused.
    public static let failedWord = "failed"

    /// Statuses from `failed,unused` and the like; nil with the word that is not one.
    public static func statuses(_ text: String) -> Result<Set<DataStatus>, StatusError> {
        var result: Set<DataStatus> = []
        for part in text.split(separator: ",") {
            let word = String(part).lowercased()
            if word == failedWord {
                result.formUnion(DataStatus.allCases.filter(\.isFailure))
            } else if let status = DataStatus(rawValue: word) {
                result.insert(status)
            } else {
                return .failure(StatusError(word: word))
            }
        }
        return result.isEmpty ? .failure(StatusError(word: text)) : .success(result)
    }

    /// A word that is not a data status.
    public struct StatusError: Error, Sendable {
        /// The word as given.
        public var word: String
    }

    /// True when the session's id and endpoints match; the user is judged apart (`matchesUser`), since it is
    /// known only once USER was sent.
    public func matchesConnection(_ session: FTPSession) -> Bool { matchesConnection(session.identity) }

    /// `matchesConnection` for a streamed event's session.
    public func matchesConnection(_ session: SessionIdentity) -> Bool {
        if let sessions, !sessions.contains(session.id) { return false }
        if let client, !client.matches(session.client) { return false }
        if let server, !server.matches(session.server) { return false }
        return true
    }

    /// True when no user is asked for, or the session tried to log in as that user.
    public func matchesUser(_ session: FTPSession) -> Bool {
        guard let user else { return true }
        return session.user == user || session.loginAttempts.contains { $0.user == user }
    }

    /// True when the session is kept.
    public func matches(_ session: FTPSession) -> Bool { matchesConnection(session) && matchesUser(session) }

    /// True when the transfer's outcome is kept.
    public func matches(_ transfer: some TransferFacts) -> Bool { statuses?.contains(transfer.status) ?? true }

    /// The session's transfers that are kept.
    public func transfers(of session: FTPSession) -> [Transfer] {
        statuses == nil ? session.transfers : session.transfers.filter(matches)
    }

    /// True when a finding is kept, given whether its session is. Under a status filter only the findings about
    /// a transfer with a kept outcome remain (their evidence names the status).
    public func matches(_ finding: Finding, sessionKept: Bool) -> Bool {
        if finding.session != nil && !sessionKept { return false }
        if finding.session == nil && !(sessions == nil && user == nil && client == nil && server == nil) {
            return false
        }
        guard let statuses else { return true }
        for (name, value) in finding.evidence where name == "status" {
            if case .string(let text) = value, let status = DataStatus(rawValue: text) { return statuses.contains(status) }
        }
        return false
    }

    /// The report input narrowed: sessions kept (with a kept transfer, under a status filter) and their findings.
    public func apply(to input: ReportInput) -> ReportInput {
        guard !isEmpty else { return input }
        var input = input
        input.sessions = input.sessions.filter { matches($0) && (statuses == nil || !transfers(of: $0).isEmpty) }
        let kept = Set(input.sessions.map(\.id))
        input.findings = input.findings.filter { matches($0, sessionKept: $0.session.map(kept.contains) ?? false) }
        input.narrowing = self
        return input
    }

    /// What was asked, for the headline: `--status failed --user alice`.
    public var description: String {
        var parts: [String] = []
        if let sessions { parts.append("--session " + sessions.sorted { $0.count != $1.count ? $0.count < $1.count : $0 < $1 }.joined(separator: ",")) }
        if let statuses {
            let failed = Set(DataStatus.allCases.filter(\.isFailure))
            let words =
                failed.isSubset(of: statuses)
                ? [Narrowing.failedWord] + DataStatus.allCases.filter { statuses.contains($0) && !failed.contains($0) }.map(\.rawValue)
                : DataStatus.allCases.filter(statuses.contains).map(\.rawValue)
            parts.append("--status " + words.joined(separator: ","))
        }
        if let user { parts.append("--user " + user) }
        if let client { parts.append("--client " + client.description) }
        if let server { parts.append("--server " + server.description) }
        return parts.joined(separator: " ")
    }
}

/// `ADDR` or `ADDR:PORT` (`[v6]:PORT` for IPv6) naming one end of a control connection.
public struct EndpointPattern: Sendable, Hashable, CustomStringConvertible {
    /// The address.
    public var address: IPAddress
    /// The port, when given.
    public var port: UInt16?

    /// Parses `192.0.2.1`, `192.0.2.1:21`, `2001:db8::1`, `[2001:db8::1]:21`; nil when it is none of these.
    public init?(_ text: String) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), let address = IPAddress(text[text.index(after: text.startIndex)..<close])
            else { return nil }
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                port = nil
            } else {
                guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
                self.port = port
            }
            self.address = address
            return
        }
        if let address = IPAddress(text) {
            self.address = address
            port = nil
            return
        }
        // One colon: IPv4 with a port.
        guard let colon = text.lastIndex(of: ":"), text.filter({ $0 == ":" }).count == 1,
            let address = IPAddress(text[..<colon]), address.isIPv4, let port = UInt16(text[text.index(after: colon)...])
        else { return nil }
        self.address = address
        self.port = port
    }

    /// True when `endpoint` has this address (and port, when one was given).
    public func matches(_ endpoint: Endpoint) -> Bool {
        endpoint.address == address && (port == nil || endpoint.port == port)
    }

    public var description: String {
        guard let port else { return address.description }
        return Endpoint(address: address, port: port).description
    }
}
