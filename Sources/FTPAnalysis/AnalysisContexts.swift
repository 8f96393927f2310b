import NetworkTypes
import TCPReassembly

// A control connection's context is its `FTPSession` itself (its stream heads and probing state are the
// session's): a context object of its own was one more cache miss per control segment, with hundreds of sessions
// open at once.

/// What the analysis attaches to a data connection.
///
/// Reused: the correlator keeps the contexts of the last connections closed and gives one to the next connection
/// attached when nothing else holds it any more (`DataChannelCorrelator.spareContexts`); one per data connection
/// was an allocation each, made on the analysis thread.
final class DataContext {
    private(set) var transfer: Transfer
    private(set) var session: FTPSession
    private(set) var match: DataChannelMatch

    init(transfer: Transfer, session: FTPSession, match: DataChannelMatch) {
        self.transfer = transfer
        self.session = session
        self.match = match
    }

    /// Makes this (unshared) context another connection's.
    func reuse(transfer: Transfer, session: FTPSession, match: DataChannelMatch) {
        self.transfer = transfer
        self.session = session
        self.match = match
    }
}

/// An announced endpoint waiting for its connection.
///
/// A value, kept in its port's list of slots (`ExpectationTable`), which are reused: an object per announcement was
/// an allocation each. `used` is set in the list, in place.
///
/// Its session and transfer are not its own (`Unmanaged`): the table retains them when it files the expectation and
/// releases them when it removes it, and whoever makes one before filing it holds both. So copying one out of the
/// table, as every connection opened does, is a plain copy, and `withObjects` reads them without retaining them:
/// held strongly, each copy, read and destruction was two retains and two releases (atomic), tens of thousands per
/// capture.
struct Expectation {
    let sessionReference: Unmanaged<FTPSession>
    let transferReference: Unmanaged<Transfer>
    let endpoint: Endpoint
    let time: Timestamp
    var used = false

    init(session: FTPSession, transfer: Transfer, endpoint: Endpoint, time: Timestamp) {
        sessionReference = Unmanaged.passUnretained(session)
        transferReference = Unmanaged.passUnretained(transfer)
        self.endpoint = endpoint
        self.time = time
    }

    /// The session that announced it (valid while the table holds the expectation, or its maker the session).
    var session: FTPSession { sessionReference.takeUnretainedValue() }
    /// The transfer it announces (valid as `session`).
    var transfer: Transfer { transferReference.takeUnretainedValue() }

    /// True when it announces `transfer` (compared by address, nothing retained).
    func announces(_ transfer: Transfer) -> Bool {
        transferReference.toOpaque() == Unmanaged.passUnretained(transfer).toOpaque()
    }

    /// `body` with the session and the transfer, not retained for it (valid as `session`).
    func withObjects<Result>(_ body: (FTPSession, Transfer) -> Result) -> Result {
        sessionReference._withUnsafeGuaranteedRef { session in
            transferReference._withUnsafeGuaranteedRef { transfer in body(session, transfer) }
        }
    }
}

extension StringProtocol {
    /// The text without the characters of `set` at either end (Foundation stays out of the analysis).
    func trimmingCharacters(in set: String) -> Substring {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return slice
    }
}
