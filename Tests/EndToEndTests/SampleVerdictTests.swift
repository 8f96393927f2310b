import FTPAnalysis
import FTPScope
import Testing

/// The typed verdict of every failed transfer in the bundled samples: the cause the evidence supports.
@Suite struct SampleVerdictTests {
    struct Expectation: Sendable, CustomStringConvertible {
        var file: String
        /// The causes of the failed transfers, session by session, in order.
        var causes: [DataCause]
        var description: String { file }
    }

    static let expectations: [Expectation] = [
        // PORT 10.0.0.2 from a control connection coming from 192.0.2.1: NAT without an FTP helper.
        Expectation(file: "active-nat-failure.pcap", causes: [.natWithoutALG, .natWithoutALG]),
        Expectation(file: "active-nat-failure-server-side.pcap", causes: [.natWithoutALG, .natWithoutALG]),
        // Seen from the client's LAN the address is the client's own, but private, announced to a public server.
        Expectation(file: "active-nat-failure-client-side.pcap", causes: [.natWithoutALG, .natWithoutALG]),
        Expectation(file: "active-nat-illegal-port.pcap", causes: [.serverRefusedCommand]),
        Expectation(file: "active-firewall-refused.pcap", causes: [.clientFirewall]),
        Expectation(file: "active-firewall-dropped.pcap", causes: [.clientFirewall]),
        Expectation(file: "passive-blocked.pcap", causes: [.passivePortBlocked]),
        Expectation(file: "passive-rejected.pcap", causes: [.passivePortBlocked]),
        Expectation(file: "passive-icmp-rejected.pcap", causes: [.passivePortBlocked]),
        Expectation(file: "pasv-internal-address.pcap", causes: [.passiveAddressInternal]),
        Expectation(file: "aborted-transfer.pcap", causes: [.abortedByClient]),
        Expectation(file: "aborted-transfer-urgent-abor.pcap", causes: [.abortedByClient]),
        Expectation(file: "resumed-transfer.pcap", causes: [.unknown]),
        Expectation(file: "pyftpdlib-commands.pcap", causes: [.serverRefusedCommand]),
        Expectation(file: "passive-vsftpd.pcap", causes: []),
        Expectation(file: "explicit-ftps.pcap", causes: []),
    ]

    @Test(arguments: expectations)
    func failedTransfersHaveTheirCause(_ expected: Expectation) throws {
        let result = try OfflineAnalysis.run(paths: [SampleTests.path(expected.file)])
        let transfers = result.sessions.flatMap(\.transfers)
        #expect(transfers.filter(\.status.isFailure).map(\.cause) == expected.causes)
        // A cause only where the status is a failure (SPEC.md: one per failed transfer).
        #expect(transfers.allSatisfy { ($0.cause != nil) == $0.status.isFailure })
    }

    @Test func evidenceOfTheNATFailure() throws {
        let server = try OfflineAnalysis.run(paths: [SampleTests.path("active-nat-failure-server-side.pcap")])
        let failed = try #require(server.sessions.first?.transfers.first)
        #expect(failed.evidence.synAttempts == 5)
        #expect(failed.evidence.announced?.description.hasPrefix("10.0.0.2:") == true)
        #expect(failed.evidence.resetBy == nil)
        #expect(failed.evidence.icmp == nil)
        #expect(failed.evidence.vantage == .between)
        let client = try OfflineAnalysis.run(paths: [SampleTests.path("active-nat-failure-client-side.pcap")])
        #expect(client.sessions.first?.transfers.first?.evidence.vantage == .clientSide)
    }

    @Test func evidenceOfRejections() throws {
        let icmp = try OfflineAnalysis.run(paths: [SampleTests.path("passive-icmp-rejected.pcap")])
        let rejected = try #require(icmp.sessions.first?.transfers.first)
        #expect(rejected.evidence.icmp?.type == 3)
        #expect(rejected.evidence.icmp?.code == 10 || rejected.evidence.icmp?.code == 13 || rejected.evidence.icmp?.code == 9)
        #expect(rejected.evidence.icmp?.reporter.description == "192.0.2.21")
        let refused = try OfflineAnalysis.run(paths: [SampleTests.path("active-firewall-refused.pcap")])
        // The server opened the data connection (active mode); the client's side answered with RST.
        #expect(refused.sessions.first?.transfers.first?.evidence.resetBy == .client)
        let passive = try OfflineAnalysis.run(paths: [SampleTests.path("passive-rejected.pcap")])
        #expect(passive.sessions.first?.transfers.first?.evidence.resetBy == .server)
    }
}
