import FTPProtocol
import NetworkTypes
import TCPReassembly

/// FTP found on other ports by its content: the server speaks first with a 220 (or 120) greeting.
extension FTPAnalyzer {
    // MARK: - Probing connections on other ports

    func probe(_ connection: TCPConnection, session: FTPSession, data: UnsafeRawBufferPointer, fromClient: Bool)
    {
        session.probedBytes += data.count
        // Whether the server began with a greeting is judged on its first parsed line (`handleReplyEvent`), not
        // on this chunk; this only bounds how long a connection that never completes a line is probed.
        if session.probedBytes > configuration.contentProbeBytes && !session.confirmed {
            abandonProbe(connection)
        }
    }

    func abandonProbe(_ connection: TCPConnection) {
        if let session = connection.context as? FTPSession {
            liveSessions[ObjectIdentifier(session)] = nil
        }
        connection.context = nil
        connection.handling = .ignore
    }

    /// Called once a probed connection has shown a 220 greeting and an FTP command.
    func confirmProbe(_ session: FTPSession) {
        stats.sessionsFoundByContent += 1
        liveSessions[ObjectIdentifier(session)] = session
    }
}
