import FTPAnalysis
import FTPScope
import Foundation
import Testing

/// What Zeek's baselines (and the corpus INDEX.md, checked with tshark) say about each trace: sessions, users,
/// logins and what became of the data channels.
@Suite struct ZeekBaselineTests {
    struct Expectation: Sendable, CustomStringConvertible {
        var trace: String
        var sessions: Int
        var user: String?
        var login: LoginOutcome
        var statuses: [DataStatus]
        var findings: Set<FindingKind> = []
        var tls = false
        var description: String { trace }
    }

    static let expectations: [Expectation] = [
        // NetBSD ftpd: 2×PASV, 2×PORT, all four data connections complete; server connects from 61920/61918.
        Expectation(
            trace: "ipv4.pcap", sessions: 1, user: "anonymous", login: .anonymous,
            statuses: [.completed, .completed, .completed, .completed], findings: [.anonymousLogin]),
        Expectation(
            trace: "ipv6.pcap", sessions: 1, user: "anonymous", login: .anonymous,
            statuses: [.completed, .completed, .completed, .completed, .completed], findings: [.anonymousLogin]),
        // The data connection opens right after the 229, before SIZE/CWD/RETR are sent.
        Expectation(
            trace: "retr.pcap", sessions: 1, user: "anonymous", login: .anonymous, statuses: [.completed],
            findings: [.anonymousLogin]),
        // Pure-FTPd answers USER ftp with 230 at once; the RETR data stream is thinned to a few segments.
        Expectation(
            trace: "bigtransfer.pcap", sessions: 1, user: "ftp", login: .anonymous, statuses: [.completed, .completed]),
        Expectation(
            trace: "pe.pcap", sessions: 1, user: "anonymous", login: .anonymous,
            statuses: Array(repeating: .completed, count: 5)),
        // Only one of five data connections kept: the other four are "not captured", not "failed".
        Expectation(
            trace: "pe-single.pcap", sessions: 1, user: "anonymous", login: .anonymous,
            statuses: [.notCaptured, .notCaptured, .notCaptured, .completed, .notCaptured]),
        // Capture starts mid-session: no login seen.
        Expectation(
            trace: "ftp-with-numbers-in-filename.pcap", sessions: 1, user: nil, login: .none,
            statuses: [.completed, .completed, .completed, .completed]),
        Expectation(
            trace: "ipv6-multiline-reply.pcap", sessions: 1, user: "anonymous", login: .anonymous,
            statuses: [.commandFailed]),
        Expectation(trace: "ipv6-retr-samba.pcap", sessions: 1, user: "anonymous", login: .anonymous, statuses: [.notCaptured]),
        // The server answers PASS with an SSH banner: no valid reply settles the login.
        Expectation(
            trace: "ipv6-violation.pcap", sessions: 1, user: "anonymous", login: .unknown, statuses: [],
            findings: [.protocolAnomaly]),
        Expectation(
            trace: "ftp-password-pass-command.pcap", sessions: 1, user: "Admin", login: .failed, statuses: [],
            findings: [.cleartextCredentials]),
        Expectation(
            trace: "var-services-std-ports.pcap", sessions: 1, user: "jsiwek", login: .succeeded, statuses: [],
            findings: [.cleartextCredentials]),
        Expectation(
            trace: "ftp-auth-tls.pcap", sessions: 1, user: nil, login: .none, statuses: [], findings: [.tlsProtected],
            tls: true),
        Expectation(
            trace: "ftp-invalid-reply-code.pcap", sessions: 1, user: "zeek", login: .succeeded, statuses: [],
            findings: [.protocolAnomaly, .cleartextCredentials]),
        Expectation(
            trace: "ftp-missing-reply-code.pcap", sessions: 1, user: "zeek", login: .succeeded, statuses: [],
            findings: [.protocolAnomaly, .cleartextCredentials]),
        Expectation(
            trace: "ftp-missing-space-after-reply-code.pcap", sessions: 1, user: "zeek", login: .succeeded,
            statuses: [.notSeen], findings: [.protocolAnomaly, .cleartextCredentials]),
        // 500 PORTs naming a third host on the client's own network, never answered.
        Expectation(
            trace: "ftp-many-port-expected.pcap.gz", sessions: 1, user: nil, login: .none,
            statuses: Array(repeating: .unused, count: 500), findings: [.bounce]),
        // Telnet option negotiation on port 21 is not FTP.
        Expectation(
            trace: "telnet-auth-missing-name.pcap", sessions: 0, user: nil, login: .none, statuses: [],
            findings: [.protocolAnomaly]),
        // GridFTP on port 2811, found by its content; everything after ADAT is protected.
        Expectation(trace: "globus-url-copy.pcap", sessions: 1, user: nil, login: .none, statuses: []),
    ]

    @Test(arguments: expectations)
    func matchesBaseline(_ expected: Expectation) throws {
        let result = try OfflineAnalysis.run(paths: [Paths.trace(expected.trace)])
        #expect(result.sessions.count == expected.sessions)
        for kind in expected.findings {
            #expect(result.findings.contains { $0.kind == kind }, "finding \(kind.rawValue)")
        }
        guard let session = result.sessions.first else { return }
        #expect(session.id == "S1")
        #expect(session.user == expected.user)
        #expect(session.login == expected.login)
        #expect(session.tls == expected.tls)
        #expect(session.transfers.map(\.status) == expected.statuses)
    }

    @Test func bruteforceSessions() throws {
        let result = try OfflineAnalysis.run(paths: [Paths.trace("bruteforce.pcap")])
        #expect(result.sessions.count == 30)
        #expect(result.sessions.allSatisfy { $0.user == "bro" && $0.login == .failed })
        #expect(result.sessions.map(\.id) == (1...30).map { "S\($0)" })
        #expect(result.findings.filter { $0.kind == .bruteforce }.count == 1)
        // Rejected logins are not "credentials": each session's finding says the login failed.
        let cleartext = result.findings.filter { $0.kind == .cleartextCredentials }
        #expect(cleartext.count == 30)
        #expect(cleartext.allSatisfy { $0.severity == .medium })
    }

    @Test func bigTransferCountsBytesBeyondFourGiB() throws {
        let result = try OfflineAnalysis.run(paths: [Paths.trace("bigtransfer.pcap")])
        let retr = try #require(result.sessions.first?.transfers.last)
        #expect(retr.command == .retr)
        #expect(retr.expectedSize == 5_416_666_670)
        // Zeek's conn.log: resp_bytes 5416666670, missed_bytes 5416642848; 23,822 bytes are in the capture.
        #expect(retr.bytes == 5_416_666_670)
        #expect(retr.missingBytes == 5_416_642_848)
        #expect(retr.capturedBytes == 23_822)
    }

    @Test func retrFileSizeFromThe150Reply() throws {
        let result = try OfflineAnalysis.run(paths: [Paths.trace("ftp-with-numbers-in-filename.pcap")])
        let retr = try #require(result.sessions.first?.transfers.last)
        #expect(retr.path == "/mirror/internic/rfc/rfc1001.txt")
        #expect(retr.expectedSize == 154_427)
        #expect(retr.bytes == 154_427)
        #expect(result.sessions.first?.startedMidstream == true)
    }

    @Test func passiveAddressOtherThanTheServer() throws {
        let result = try OfflineAnalysis.run(paths: [Paths.trace("cwd-navigation.pcap")])
        let session = try #require(result.sessions.first)
        #expect(session.transfers.filter { $0.command == .retr }.count == 687)
        #expect(session.transfers.filter { $0.status == .notCaptured }.count == 687)
        // One PASV was lost in a capture gap; its 227 still announces the endpoint.
        #expect(session.transfers.allSatisfy { $0.announced?.address.description == "205.167.25.101" })
        #expect(session.commands.filter(\.reconstructed).map(\.verbText) == ["PASV"])
        #expect(result.findings.contains { $0.kind == .passiveAddressMismatch })
        #expect(result.findings.contains { $0.kind == .captureGap })
        #expect(session.missingBytes == 233)
    }

    @Test func retrPathUsesTrackedWorkingDirectory() throws {
        let result = try OfflineAnalysis.run(paths: [Paths.trace("ipv6-multiline-reply.pcap")])
        let session = try #require(result.sessions.first)
        let retr = try #require(session.transfers.last)
        #expect(retr.reply?.code == 550)
        #expect(session.banner?.split(separator: "\n").count == 12)
        #expect(session.unsolicitedReplies.map(\.code) == [221])
    }
}
