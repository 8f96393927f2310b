@testable import FTPAnalysis
import NetworkTypes
import TCPReassembly
import Testing

/// The data-channel correlator on its own: announcements and connection values in, matches out (no pcap).
@Suite struct CorrelatorTests {
    static let start = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)
    static let client = Endpoint(address: .v4(192, 0, 2, 10), port: 40_000)
    static let server = Endpoint(address: .v4(198, 51, 100, 21), port: 21)

    /// A correlator holding one passive announcement of `announced` by a session between `client` and `server`.
    static func announced(_ announced: Endpoint) -> (DataChannelCorrelator, FTPSession, FTPAnalysis.Expectation) {
        let correlator = DataChannelCorrelator(configuration: AnalysisConfiguration())
        let session = FTPSession(client: client, server: server, start: start, serial: 1)
        let transfer = Transfer()
        transfer.mode = .passive
        transfer.announced = announced
        let expectation = FTPAnalysis.Expectation(session: session, transfer: transfer, endpoint: announced, time: start)
        session.announcedEndpoints.append(announced)
        correlator.add(expectation)
        return (correlator, session, expectation)
    }

    static func connection(from originator: Endpoint, to responder: Endpoint, afterSeconds: Int64 = 1) -> TCPConnection {
        TCPConnection(
            originator: originator, responder: responder, sawInitialSYN: true,
            firstTime: start.adding(nanoseconds: afterSeconds * 1_000_000_000), serial: 2)
    }

    @Test func exactEndpointMatches() throws {
        let data = Endpoint(address: .v4(198, 51, 100, 21), port: 40_010)
        let (correlator, _, expectation) = Self.announced(data)
        let (found, match) = try #require(
            correlator.findExpectation(for: Self.connection(from: Endpoint(address: .v4(192, 0, 2, 10), port: 40_001), to: data)))
        #expect(found === expectation)
        #expect(match == .exact)
    }

    /// The server announced an internal address; the client connected to the same port on the server's public
    /// one: matched on the port alone, between the session's hosts only.
    @Test func samePortOtherAddressIsPortOnlyBetweenTheSessionsHosts() throws {
        let (correlator, _, _) = Self.announced(Endpoint(address: .v4(10, 0, 0, 5), port: 40_010))
        let natted = Endpoint(address: .v4(198, 51, 100, 21), port: 40_010)
        let fromClient = Self.connection(from: Endpoint(address: .v4(192, 0, 2, 10), port: 40_001), to: natted)
        #expect(correlator.findExpectation(for: fromClient)?.1 == .portOnly)
        let stranger = Self.connection(
            from: Endpoint(address: .v4(203, 0, 113, 9), port: 40_001), to: Endpoint(address: .v4(203, 0, 113, 80), port: 40_010))
        #expect(correlator.findExpectation(for: stranger) == nil)
    }

    @Test func connectionOutsideTheWindowOrAfterTheSessionEndedIsNotMatched() {
        let data = Endpoint(address: .v4(198, 51, 100, 21), port: 40_010)
        let (correlator, session, _) = Self.announced(data)
        let late = Self.connection(
            from: Endpoint(address: .v4(192, 0, 2, 10), port: 40_001), to: data,
            afterSeconds: AnalysisConfiguration().expectationLifetime / 1_000_000_000 + 10)
        #expect(correlator.findExpectation(for: late) == nil)
        correlator.dropExpectations(of: session)
        #expect(correlator.expectationCount == 0)
        #expect(correlator.findExpectation(for: Self.connection(from: Endpoint(address: .v4(192, 0, 2, 10), port: 40_001), to: data)) == nil)
    }
}
