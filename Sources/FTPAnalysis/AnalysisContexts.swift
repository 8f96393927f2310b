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
struct Expectation {
    let session: FTPSession
    let transfer: Transfer
    let endpoint: Endpoint
    let time: Timestamp
    var used = false
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
