import FTPAnalysis
import FTPScope
import Foundation
import Reports
import Testing

/// The bundled real captures (samples/README.md says how each was made and what it shows).
@Suite struct SampleTests {
    struct Expectation: Sendable, CustomStringConvertible {
        var file: String
        var logins: [LoginOutcome]
        var statuses: [[DataStatus]]
        var findings: Set<FindingKind>
        var description: String { file }
    }

    static let expectations: [Expectation] = [
        // Behind NAT: two active LISTs to the private 10.0.0.2 go unanswered (425), then passive works.
        Expectation(
            file: "active-nat-failure.pcap", logins: [.succeeded],
            statuses: [[.unanswered, .unanswered, .completed, .completed]],
            findings: [.cleartextCredentials, .failedDataConnection, .natAddressMismatch, .privateAddressAnnounced]),
        Expectation(
            file: "active-nat-illegal-port.pcap", logins: [.succeeded], statuses: [[.commandFailed]],
            findings: [.cleartextCredentials, .natAddressMismatch, .privateAddressAnnounced]),
        Expectation(
            file: "passive-vsftpd.pcap", logins: [.succeeded], statuses: [[.completed, .completed, .completed]],
            findings: [.cleartextCredentials]),
        Expectation(
            file: "passive-vsftpd.pcap.gz", logins: [.succeeded], statuses: [[.completed, .completed, .completed]],
            findings: [.cleartextCredentials]),
        Expectation(
            file: "passive-vsftpd-any.pcapng", logins: [.succeeded], statuses: [[.completed, .completed, .completed]],
            findings: [.cleartextCredentials]),
        Expectation(
            file: "active-port.pcap", logins: [.succeeded], statuses: [[.completed, .completed]],
            findings: [.cleartextCredentials]),
        Expectation(
            file: "active-firewall-refused.pcap", logins: [.succeeded], statuses: [[.refused]],
            findings: [.cleartextCredentials, .failedDataConnection]),
        Expectation(
            file: "active-firewall-dropped.pcap", logins: [.succeeded], statuses: [[.unanswered]],
            findings: [.cleartextCredentials, .failedDataConnection]),
        Expectation(
            file: "passive-blocked.pcap", logins: [.succeeded], statuses: [[.unanswered]],
            findings: [.cleartextCredentials, .failedDataConnection]),
        Expectation(
            file: "pasv-internal-address.pcap", logins: [.succeeded], statuses: [[.unanswered]],
            findings: [.cleartextCredentials, .failedDataConnection, .passiveAddressMismatch, .privateAddressAnnounced]),
        Expectation(
            file: "epsv-ipv6.pcap", logins: [.succeeded, .succeeded], statuses: [[.completed, .completed], [.completed]],
            findings: [.cleartextCredentials]),
        // The same NAT failure seen from the client's LAN: no SYN ever arrives, then 425.
        Expectation(
            file: "active-nat-failure-client-side.pcap", logins: [.succeeded],
            statuses: [[.notSeen, .notSeen, .completed, .completed]],
            findings: [.cleartextCredentials, .failedDataConnection, .privateAddressAnnounced]),
        Expectation(
            file: "active-nat-failure-server-side.pcap", logins: [.succeeded],
            statuses: [[.unanswered, .unanswered, .completed, .completed]],
            findings: [.cleartextCredentials, .failedDataConnection, .natAddressMismatch, .privateAddressAnnounced]),
        Expectation(
            file: "passive-rejected.pcap", logins: [.succeeded], statuses: [[.refused]],
            findings: [.cleartextCredentials, .failedDataConnection]),
        // The server's firewall answers the data SYN with ICMP administratively prohibited.
        Expectation(
            file: "passive-icmp-rejected.pcap", logins: [.succeeded], statuses: [[.refused]],
            findings: [.cleartextCredentials, .failedDataConnection]),
        Expectation(
            file: "aborted-transfer.pcap", logins: [.succeeded], statuses: [[.aborted, .completed]],
            findings: [.cleartextCredentials]),
        // ABOR as TCP urgent data: vsftpd answers it 500, and the transfer 426.
        Expectation(
            file: "aborted-transfer-urgent-abor.pcap", logins: [.succeeded], statuses: [[.aborted, .completed]],
            findings: [.cleartextCredentials]),
        // The first download is cut off by the client (FIN, then RST to the rest) although vsftpd says 226.
        Expectation(
            file: "resumed-transfer.pcap", logins: [.succeeded, .succeeded], statuses: [[.reset], [.completed]],
            findings: [.cleartextCredentials]),
        Expectation(
            file: "anonymous-vsftpd.pcap", logins: [.anonymous], statuses: [[.completed, .completed]],
            findings: [.anonymousLogin]),
        // AUTH TLS: nothing after the 234 is readable; the two data connections are inferred.
        Expectation(
            file: "explicit-ftps.pcap", logins: [.none], statuses: [[.completed, .completed]],
            findings: [.tlsProtected]),
        Expectation(
            file: "implicit-ftps.pcap", logins: [.none], statuses: [[.completed, .completed]],
            findings: [.tlsProtected]),
        Expectation(
            file: "pyftpdlib-commands.pcap", logins: [.succeeded],
            statuses: [[.completed, .completed, .completed, .completed, .commandFailed]],
            findings: [.cleartextCredentials]),
        Expectation(
            file: "nonstandard-port-2121.pcap", logins: [.succeeded], statuses: [[.completed]],
            findings: [.cleartextCredentials]),
        Expectation(
            file: "failed-logins-pyftpdlib.pcap", logins: [.failed, .failed, .failed, .failed, .succeeded],
            statuses: [[], [], [], [], [.completed]], findings: [.cleartextCredentials]),
    ]

    static func path(_ file: String) -> String { Paths.samples.appendingPathComponent(file).path }

    @Test(arguments: expectations)
    func sessionsLoginsAndDataChannels(_ expected: Expectation) throws {
        let result = try OfflineAnalysis.run(paths: [Self.path(expected.file)])
        #expect(result.sessions.map(\.login) == expected.logins)
        #expect(result.sessions.map { $0.transfers.map(\.status) } == expected.statuses)
        #expect(Set(result.findings.map(\.kind)) == expected.findings)
        #expect(result.warnings.isEmpty)
    }

    @Test func natFailureIsExplained() throws {
        let result = try OfflineAnalysis.run(paths: [Self.path("active-nat-failure.pcap")])
        let session = try #require(result.sessions.first)
        let failed = session.transfers[0]
        #expect(failed.mode == .active)
        #expect(failed.announced?.description.hasPrefix("10.0.0.2:") == true)
        #expect(failed.synAttempts == 5)
        #expect(failed.reply?.code == 425)
        let diagnosis = try #require(failed.diagnosis)
        #expect(diagnosis.contains("NAT"))
        #expect(diagnosis.contains("passive mode"))
        #expect(session.transfers[3].bytes == 20_000)
    }

    @Test func uploadBytesCountTheClientSide() throws {
        let result = try OfflineAnalysis.run(paths: [Self.path("passive-vsftpd.pcap")])
        let transfers = try #require(result.sessions.first?.transfers)
        #expect(transfers.map(\.command) == [.list, .retr, .stor])
        #expect(transfers.map(\.bytes) == [133, 4096, 3000])
        #expect(transfers[1].path == "/pub/notes.txt")
        #expect(transfers[2].path == "/upload/upload.txt")
    }

    @Test func urgentAbortRepliesPairWithTheirCommands() throws {
        let result = try OfflineAnalysis.run(paths: [Self.path("aborted-transfer-urgent-abor.pcap")])
        let commands = try #require(result.sessions.first?.commands)
        #expect(commands.first { $0.verb == .retr }?.reply?.code == 426)
        #expect(commands.first { $0.verb == .abor }?.reply?.code == 500)
    }

    @Test func protectedSessionsInferTheirDataConnections() throws {
        let result = try OfflineAnalysis.run(paths: [Self.path("explicit-ftps.pcap")])
        let session = try #require(result.sessions.first)
        #expect(session.tls)
        #expect(session.loginAttempts.isEmpty, "no credential is invented from TLS bytes")
        #expect(session.transfers.allSatisfy { $0.inferred && $0.observed != nil })
    }

    @Test func passwordsHiddenUnlessAsked() throws {
        let result = try OfflineAnalysis.run(paths: [Self.path("active-nat-failure.pcap")])
        let hidden = JSONDocument.render(result.reportInput(showPasswords: false))
        let shown = JSONDocument.render(result.reportInput(showPasswords: true))
        let text = TextSummary().render(result.reportInput(showPasswords: false))
        #expect(!hidden.contains("ftpscope-pass"))
        #expect(!text.contains("ftpscope-pass"))
        #expect(hidden.contains("<hidden>"))
        #expect(shown.contains("ftpscope-pass"))
    }

    @Test func severalCapturesAreOneStreamInTimeOrder() throws {
        // Given out of time order, sessions are still numbered by their first packet.
        let result = try OfflineAnalysis.run(paths: [Self.path("passive-vsftpd.pcap"), Self.path("active-nat-failure.pcap")])
        #expect(result.inputs.count == 2)
        #expect(result.sessions.count == 2)
        #expect(result.sessions[0].client.description.hasPrefix("192.0.2.1:"))
        #expect(result.sessions.map(\.id) == ["S1", "S2"])
    }

    /// Every sample's JSON document against its committed baseline. A baseline changes only on purpose:
    /// run with FTPSCOPE_UPDATE_BASELINES=1 to rewrite them, then read the diff.
    @Test(arguments: expectations.map(\.file))
    func jsonMatchesBaseline(_ file: String) throws {
        var result = try OfflineAnalysis.run(paths: [Self.path(file)])
        result.inputs[0].path = "samples/" + file
        let rendered = JSONDocument.render(result.reportInput(showPasswords: false))
        let baseline = Paths.repositoryRoot.appendingPathComponent("Tests/EndToEndTests/Baselines/\(file).json")
        if ProcessInfo.processInfo.environment["FTPSCOPE_UPDATE_BASELINES"] == "1" {
            try FileManager.default.createDirectory(
                at: baseline.deletingLastPathComponent(), withIntermediateDirectories: true)
            try rendered.write(to: baseline, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: baseline, encoding: .utf8)
        #expect(rendered == expected, "JSON differs from \(baseline.lastPathComponent); rerun with FTPSCOPE_UPDATE_BASELINES=1 and read the diff")
    }
}
