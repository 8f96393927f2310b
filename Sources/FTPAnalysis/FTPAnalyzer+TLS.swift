import FTPProtocol
import NetworkTypes
import TCPReassembly

/// The control channel going into and out of TLS (RFC 4217), and implicit FTPS found by its first record.
extension FTPAnalyzer {
    /// The control channel is encrypted from now on (a 234 to AUTH, or implicit FTPS).
    func startTLS(_ session: FTPSession, at time: Timestamp) {
        guard !session.clientEncrypted && !session.serverEncrypted else { return }
        session.tls = true
        session.clientEncrypted = true
        session.serverEncrypted = true
        if session.tlsTime == nil { session.tlsTime = time }
        session.clientTLS = TLSRecordSkipper()
        session.serverTLS = TLSRecordSkipper()
        correlator.sessionProtected(session)
        if session.confirmed { emit(.tlsStarted(session.identity, time)) }
    }

    /// The channel left TLS (after CCC): parse it as text again, from a clean line start.
    func resumeClearText(_ session: FTPSession, fromClient: Bool, at time: Timestamp) {
        if session.clearTextResumedAt == nil { session.clearTextResumedAt = time }
        if fromClient {
            session.clientEncrypted = false
            session.clientChannel.restart()
        } else {
            session.serverEncrypted = false
            session.serverChannel.restart()
        }
        if !session.clientEncrypted && !session.serverEncrypted { correlator.sessionInClearText(session) }
    }

    /// What the first bytes of a direction decided.
    enum StreamOpening {
        /// All of the chunk is held (it could still begin a TLS record).
        case hold
        /// TLS from the first byte: the held bytes and the chunk went to the TLS skipper.
        case implicitTLS
        /// Clear text: replay this many held bytes, then the chunk, as usual.
        case replay(Int)
    }

    /// Judges the first three bytes of a direction, however they are segmented: a channel beginning with a TLS
    /// handshake record is implicit FTPS (port 990; RFC 4217 section 1 calls it deprecated, but servers still offer
    /// it). Nothing of such a channel is readable.
    func openStream(_ session: FTPSession, data: UnsafeRawBufferPointer, fromClient: Bool, at time: Timestamp)
        -> StreamOpening
    {
        var head = fromClient ? session.clientHead : session.serverHead
        defer { if fromClient { session.clientHead = head } else { session.serverHead = head } }
        let heldBefore = head.held
        head.take(data)
        let encrypted = fromClient ? session.clientEncrypted : session.serverEncrypted
        guard !session.probing, !encrypted, session.commands.isEmpty, !session.greetingSeen,
            session.validReplyLines == 0, head.couldBeTLS
        else {
            head.held = 0
            return .replay(heldBefore)
        }
        guard head.isComplete else {
            head.held = head.count
            return .hold
        }
        head.held = 0
        session.implicitTLS = true
        confirm(session)
        startTLS(session, at: time)
        if heldBefore > 0 {
            head.withBytes { bytes in
                let replay = UnsafeRawBufferPointer(rebasing: bytes[..<heldBefore])
                _ = fromClient ? session.clientTLS.consume(replay) : session.serverTLS.consume(replay)
            }
        }
        _ = fromClient ? session.clientTLS.consume(data) : session.serverTLS.consume(data)
        return .implicitTLS
    }
}
