import NetworkTypes
import TCPReassembly

/// What the analysis attaches to a control connection.
final class ControlContext {
    let session: FTPSession
    /// True while the connection is judged by its content (and after it turned out not to be FTP).
    var probing: Bool { session.phase == .probing || session.phase == .notFTP }
    var probedBytes = 0
    /// The first bytes of each direction.
    var clientHead = StreamHead()
    var serverHead = StreamHead()

    init(session: FTPSession) {
        self.session = session
    }
}

/// What the analysis attaches to a data connection.
final class DataContext {
    let transfer: Transfer
    let session: FTPSession
    let match: DataChannelMatch

    init(transfer: Transfer, session: FTPSession, match: DataChannelMatch) {
        self.transfer = transfer
        self.session = session
        self.match = match
    }
}

/// An announced endpoint waiting for its connection.
final class Expectation {
    let session: FTPSession
    let transfer: Transfer
    let endpoint: Endpoint
    let time: Timestamp
    var used = false

    init(session: FTPSession, transfer: Transfer, endpoint: Endpoint, time: Timestamp) {
        self.session = session
        self.transfer = transfer
        self.endpoint = endpoint
        self.time = time
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
