import FTPProtocol
import NetworkTypes

/// What a finding found, as values: one case per finding the detectors raise, carrying what its wording quotes.
/// The sentences (summary, explanation and fix) are the reports' business (Reports/FindingWording.swift), so a
/// finding says the same thing in every output (issue 14: reports render, never judge).
public enum FindingFacts: Sendable {
    /// Named users' passwords crossed the network unencrypted (`cleartext_credentials`).
    case cleartextCredentials(users: [String], accepted: Bool, lastOutcome: LoginOutcome)
    /// A guest login (`anonymous_login`).
    case anonymousLogin(user: String)
    /// A login as root, accepted or only attempted (`risky_command`).
    case rootLogin(accepted: Bool)
    /// A SITE subcommand that runs programs or copies files on the server, accepted (`risky_command`).
    case dangerousSite(subcommand: String, replyCode: Int)
    /// The control channel is encrypted (`tls_protected`); `clearTextResumedAt` when CCC returned it to clear text.
    case tlsProtected(implicit: Bool, clearTextResumedAt: Timestamp?)
    /// Bytes of the control connection missing from the capture (`capture_gap`).
    case captureGap(missingBytes: UInt64)
    /// Lines on the control channel that are not valid FTP (`protocol_anomaly`): how many, and the first.
    case controlAnomalies(count: Int, first: String)
    /// A connection on an FTP control port that carries another protocol (`protocol_anomaly`).
    case notFTP(client: Endpoint, server: Endpoint)
    /// A data connection that could not be made or stalled (`failed_data_connection`): the transfer's verdict.
    case failedDataConnection(DataVerdict)
    /// An active announcement of a private address while the client connects from another (`nat_address_mismatch`).
    case natAddressMismatch(verb: FTPVerb, announced: IPAddress, client: IPAddress)
    /// An active announcement naming a third host (`bounce`, RFC 2577).
    case bounce(verb: FTPVerb, announced: IPAddress)
    /// A passive reply naming an address other than the server's control address (`passive_address_mismatch`).
    case passiveAddressMismatch(verb: FTPVerb, announced: IPAddress, server: IPAddress)
    /// A private address announced to a peer outside private address space (`private_address_announced`).
    case privateAddressAnnounced(announced: IPAddress, peer: IPAddress)
    /// Repeated failed logins from one client to one server (`bruteforce`); `success` is a later login that worked.
    case bruteforce(failures: Int, client: IPAddress, server: IPAddress, success: BruteforceSuccess?)
    /// Something below TCP that makes an analyzer and the end host read different bytes (`protocol_anomaly`).
    case evasion(EvasionObservation)
}

extension FindingFacts {
    /// The typed cause of failed data connections this finding explains, when it explains one: an active
    /// announcement NAT did not rewrite is `nat_without_alg`, a third host `bounce`, a passive reply naming an
    /// address other than the server's `passive_address_internal` (as the correlator's verdict names the failures
    /// they lead to), and a failed data connection its own cause.
    public var cause: DataCause? {
        switch self {
        case .natAddressMismatch: return .natWithoutALG
        case .bounce: return .bounce
        case .passiveAddressMismatch: return .passiveAddressInternal
        case .failedDataConnection(let verdict): return verdict.cause
        default: return nil
        }
    }
}

/// A login that succeeded after a password-guessing run began.
public struct BruteforceSuccess: Sendable, Hashable {
    /// The session it happened in.
    public var session: String
    /// The user it logged in as.
    public var user: String
    /// When.
    public var time: Timestamp

    /// Creates a record.
    public init(session: String, user: String, time: Timestamp) {
        self.session = session
        self.user = user
        self.time = time
    }
}
