import FTPProtocol
import NetworkTypes
import TCPReassembly

/// The analyzer's side of the data-channel correlator: it hands the correlator what the control channel and the
/// TCP connections show, and carries out what the correlator decides (route a connection, deliver a transfer).
extension FTPAnalyzer {
    /// Data connections are reassembled only when their payload is wanted (extraction); otherwise counted.
    var dataHandling: StreamHandling { dataSink == nil ? .countOnly : .reassemble }

    /// A readable announcement: the detectors see it, the correlator files it (and attaches a connection seen
    /// just before it).
    func addExpectation(for transfer: Transfer, session: FTPSession, at time: Timestamp) {
        guard transfer.announced != nil else { return }
        if session.confirmed {
            detect(.addressAnnounced(transfer, session))
        }
        switch correlator.announce(transfer, session: session, at: time) {
        case .filed(let early?):
            guard let connection = early.connection as? TCPConnection else { return }
            if let probed = connection.context as? FTPSession, probed.probing {
                // It was being probed as FTP on another port: it is this session's data channel instead.
                liveSessions[ObjectIdentifier(probed)] = nil
            }
            connection.handling = route(connection, early.attachment)
        case .filed(nil):
            break
        case .dropped(let firstOverSessionLimit):
            stats.droppedExpectations += 1
            if firstOverSessionLimit {
                session.noteAnomaly(.expectationCap(configuration.maxExpectationsPerSession), at: time)
            }
        }
    }

    /// The final reply to a transfer's data command arrived (`transfer.reply` is set).
    func trySettle(_ transfer: Transfer, session: FTPSession) {
        correlator.finalReply(for: transfer, session: session, carryOut)
    }

    /// Routes a connection the correlator attached to its transfer; returns how to read it.
    func route(_ connection: TCPConnection, _ attachment: DataChannelAttachment) -> StreamHandling {
        stats.dataConnections += 1
        connection.context = attachment.context
        switch attachment.routing {
        case .payload: return dataHandling
        case .countOnly: return .countOnly
        }
    }

    /// Carries out one of the correlator's decisions.
    func carryOut(_ action: CorrelationAction) {
        switch action {
        case .release(let connection):
            // Nothing will read this transfer again (streamed outputs have it; nothing extracts its bytes).
            if !configuration.retainSessions && dataSink == nil, let connection = connection as? TCPConnection {
                connection.context = nil
            }
        case .settled(let transfer, let session):
            if let result = dataSink?.dataChannelSettled(transfer, of: session) {
                if let file = result.file { transfer.extractedFile = file }
                if let listing = result.listing { transfer.listing = listing }
            }
            if session.confirmed {
                let index = session.transfers.lastIndex { $0 === transfer } ?? 0
                emit(.transfer(session.identity, SettledTransfer(transfer, index: index)))
                detect(.dataChannelSettled(transfer, index: index, session))
            }
        }
    }
}
