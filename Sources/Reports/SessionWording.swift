import FTPAnalysis
import TCPReassembly

/// Plain words for how a session went, for the text summary. The codes behind them (`end_state`,
/// `connection_state`, `login`) stay in the JSON document and the timelines, where scripts read them.
enum SessionWording {
    /// How the control connection ended, in words: "closed after QUIT", "reset by the server", …
    ///
    /// Who reset is read from the TCP state (Zeek's RSTO: the originator, the client, sent the RST; RSTR: the
    /// responder, the server).
    static func ended(_ session: FTPSession) -> String {
        switch session.endState {
        case .quit:
            return "closed after QUIT"
        case .closed:
            return "closed without QUIT"
        case .reset:
            switch session.connectionState {
            case .rsto, .rstos0: return "reset by the client"
            case .rstr, .rstrh: return "reset by the server"
            default: return "reset"
            }
        case .captureEnd:
            return "still open when the capture ended"
        case .timeout:
            return "went idle (no packet for the idle timeout)"
        }
    }

    /// The login outcome in words. A session whose commands were encrypted before any USER is not "none": its
    /// login happened where the capture cannot see it.
    static func login(_ session: FTPSession) -> String {
        switch session.login {
        case .succeeded: return "logged in"
        case .failed:
            let attempts = session.loginAttempts.count
            return attempts > 1 ? "login failed (\(attempts) attempts)" : "login failed"
        case .anonymous: return "anonymous login"
        case .none: return session.tls ? "login not visible (encrypted)" : "no login seen"
        case .unknown: return "login not answered"
        }
    }

    /// Plural-aware count: `1 session`, `2 sessions`.
    static func count(_ number: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(number) " + (number == 1 ? singular : plural ?? singular + "s")
    }
}

/// What earlier session blocks said, so that a block repeating it (thirty sessions to one server, each with the
/// same banner) refers to the first instead. Bounded: past `limit` texts, new ones are printed and not remembered.
public final class SaidBefore {
    private var banners: [String: String] = [:]
    private let limit: Int

    /// Creates an empty memory holding at most `limit` texts.
    public init(limit: Int = 1000) { self.limit = limit }

    /// The session that printed this banner first, if another did; otherwise remembers it for `session`.
    ///
    /// Short banners are printed each time: a reference would be no shorter.
    func banner(_ text: String, session: String) -> String? {
        guard text.count >= 24 else { return nil }
        if let first = banners[text] { return first == session ? nil : first }
        if banners.count < limit { banners[text] = session }
        return nil
    }
}
