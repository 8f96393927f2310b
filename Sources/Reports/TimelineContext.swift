import FTPAnalysis
import FTPProtocol
import NetworkTypes

/// What a timeline row knows beyond SPEC.md's columns, for writers that need typed facts rather than text: the
/// Elastic Common Schema writer puts addresses in `source`/`destination`, times in `event.start`/`end`, the login
/// outcome in `event.outcome`. The CSV and our JSON Lines ignore it, so their columns stay the contract.
public struct TimelineContext: Sendable {
    /// The control connection's client and server.
    public var client: Endpoint?
    /// The control connection's server.
    public var server: Endpoint?
    /// Community ID of the control connection where the row's `community_id` is not it: on a data connection's
    /// row (whose `community_id` is the data connection's) and on a finding about a connection that is no
    /// session. Nil on other rows; `TimelineRow.controlCommunityID` reads either.
    public var controlCommunityID: String?
    /// The data connection actually seen (data-channel rows): who opened it and who accepted it.
    public var dataOriginator: Endpoint?
    /// The side that accepted the data connection.
    public var dataResponder: Endpoint?
    /// When what the row describes began and ended (a session, a data connection), where it has a span.
    public var start: Timestamp?
    /// End of the span.
    public var end: Timestamp?
    /// A data command's argument resolved against the working directory.
    public var path: String?
    /// SHA-256 of the extracted file (`--extract`).
    public var sha256: String?
    /// For USER/PASS/ACCT rows whose reply settles a login attempt: whether it was accepted.
    public var login: LoginVerdict?
    /// The failed-or-not of a data-channel row, from `DataStatus` (the one definition of failure).
    public var dataFailed: Bool?
    /// The control channel is protected by TLS at this point.
    public var tls = false

    /// A login attempt's result, as far as a single reply tells it (RFC 959 section 5.4: 230/202 accept, 4xx/5xx
    /// refuse; 331/332 ask for more).
    public enum LoginVerdict: Sendable, Equatable {
        /// 230 or 202.
        case accepted
        /// A 4xx or 5xx reply.
        case refused
        /// 331/332: the exchange goes on.
        case continuing
    }

    /// Creates an empty context.
    public init() {}

    /// Makes this context what `init()` makes, field by field: assigning a fresh context destroyed the old one
    /// whole through an outlined call for every timeline row, and its texts are usually absent already.
    mutating func reset() {
        client = nil
        server = nil
        if controlCommunityID != nil { controlCommunityID = nil }
        dataOriginator = nil
        dataResponder = nil
        start = nil
        end = nil
        if path != nil { path = nil }
        if sha256 != nil { sha256 = nil }
        login = nil
        dataFailed = nil
        tls = false
    }

    /// Reads back an endpoint as SPEC.md writes it (`192.0.2.10:51234`, `[2001:db8::1]:21`).
    static func endpoint(_ text: String) -> Endpoint? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            return nil
        }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return IPAddress(host).map { Endpoint(address: $0, port: port) }
    }

    /// The verdict a reply gives a USER, PASS or ACCT command; nil for other commands or no reply.
    static func loginVerdict(verb: FTPVerb, replyCode: Int?) -> LoginVerdict? {
        guard verb.isLogin, let code = replyCode else { return nil }
        switch code {
        case 230, 202: return .accepted
        case 300..<400: return .continuing
        case 400..<600: return .refused
        default: return nil
        }
    }
}
