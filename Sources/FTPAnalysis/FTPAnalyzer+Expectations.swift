import FTPProtocol
import NetworkTypes
import TCPReassembly

/// Announcing data channels to the correlator, and attaching the connections it matches.
extension FTPAnalyzer {
    // MARK: - Expectations

    func addExpectation(for transfer: Transfer, session: FTPSession, at time: Timestamp) {
        guard let endpoint = transfer.announced else { return }
        if session.confirmed {
            detect(.addressAnnounced(transfer, session))
        }
        if correlator.expectationCount >= configuration.maxExpectationsTotal {
            correlator.pruneExpectations(now: time)
            if correlator.expectationCount >= configuration.maxExpectationsTotal {
                stats.droppedExpectations += 1
                return
            }
        }
        session.expectationCount += 1
        if session.expectationCount > configuration.maxExpectationsPerSession {
            stats.droppedExpectations += 1
            if session.expectationCount == configuration.maxExpectationsPerSession + 1 {
                session.noteAnomaly(
                    "more than \(configuration.maxExpectationsPerSession) data-channel announcements; later ones not tracked",
                    at: time)
            }
            return
        }
        let expectation = Expectation(session: session, transfer: transfer, endpoint: endpoint, time: time)
        session.announcedEndpoints.append(endpoint)
        correlator.add(expectation)
        // A SYN seen just before its announcement (capture reordering) is matched now.
        if let early = correlator.recentUnmatched.lastIndex(where: { correlator.matches($0, expectation) != nil }) {
            let connection = correlator.recentUnmatched.remove(at: early)
            if let match = correlator.matches(connection, expectation) {
                if let control = connection.context as? ControlContext, control.probing {
                    liveSessions[ObjectIdentifier(control.session)] = nil
                }
                attach(connection, to: transfer, session: session, match: match)
                connection.handling = dataHandling
            }
        }
    }

    func attach(
        _ connection: TCPConnection, to transfer: Transfer, session: FTPSession, match: DataChannelMatch
    ) {
        stats.dataConnections += 1
        transfer.liveConnections.append((connection, match))
        connection.context = DataContext(transfer: transfer, session: session, match: match)
        for expectation in correlator.expectationsByEndpoint[transfer.announced ?? connection.responder] ?? []
        where expectation.transfer === transfer {
            expectation.used = true
        }
    }
}
