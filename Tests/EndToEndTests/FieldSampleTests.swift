import FTPAnalysis
import FTPScope
import Foundation
import Reports
import Testing

/// The "failures from the field" captures (issue 15; samples/make-field-samples.sh made them, samples/README.md
/// says what each shows): status, cause and finding of each, and their JSON baselines.
@Suite struct FieldSampleTests {
    struct Expectation: Sendable, CustomStringConvertible {
        var file: String
        var logins: [LoginOutcome]
        var statuses: [[DataStatus]]
        /// The causes of the failed transfers, session by session, in order.
        var causes: [DataCause]
        var findings: Set<FindingKind>
        var description: String { file }
    }

    static let expectations: [Expectation] = [
        // ftplib connects to the passive port before RETR; vsftpd answers 550 and resets the queued connection.
        Expectation(
            file: "refused-after-connect-vsftpd.pcap", logins: [.succeeded], statuses: [[.commandFailed, .completed]],
            causes: [.serverRefusedCommand], findings: [.cleartextCredentials]),
        // pyftpdlib answers 550 and closes the unused data connection with a FIN.
        Expectation(
            file: "refused-after-connect-pyftpdlib.pcap", logins: [.succeeded],
            statuses: [[.commandFailed, .completed]], causes: [.serverRefusedCommand], findings: [.cleartextCredentials]),
        // Twelve wrong passwords in about ten seconds over four connections.
        Expectation(
            file: "guessing-run-pyftpdlib.pcap", logins: [.failed, .failed, .failed, .failed],
            statuses: [[], [], [], []], causes: [], findings: [.cleartextCredentials, .bruteforce]),
        // Server behind a NAT that forwards only port 21; vsftpd announces its public address. curl tries EPSV
        // until its connect timeout, then PASV, then gives up without a transfer command. At the server no SYN
        // ever arrives; the 229 names no address, the 227 names 198.51.100.1 (a passive_address_mismatch).
        Expectation(
            file: "passive-not-forwarded-server-side.pcap", logins: [.succeeded], statuses: [[.notSeen, .notSeen]],
            causes: [.passivePortNotForwarded, .passivePortNotForwarded],
            findings: [.cleartextCredentials, .failedDataConnection, .passiveAddressMismatch]),
        // At the client the EPSV SYNs leave and get no answer; the PASV is abandoned without a SYN. From here the
        // NAT is invisible: blocked or not forwarded look alike.
        Expectation(
            file: "passive-not-forwarded-client-side.pcap", logins: [.succeeded], statuses: [[.unanswered, .notSeen]],
            causes: [.passivePortBlocked, .passivePortBlocked], findings: [.cleartextCredentials, .failedDataConnection]),
        // A router drops packets of 1400 bytes or more without ICMP. At the server: 1448-byte segments
        // retransmitted, never acknowledged; vsftpd's lingering close ends in 226 although nothing arrived.
        Expectation(
            file: "stalled-mtu-server-side.pcap", logins: [.succeeded], statuses: [[.stalled]],
            causes: [.pathMTUBlackhole], findings: [.cleartextCredentials, .failedDataConnection]),
        // At the client: no data segment arrives; the server's final ACK carries a sequence number 15,928 bytes on.
        Expectation(
            file: "stalled-mtu-client-side.pcap", logins: [.succeeded], statuses: [[.stalled]],
            causes: [.pathMTUBlackhole], findings: [.cleartextCredentials, .failedDataConnection]),
        // The client stops reading: zero window, persist probes, 421 Data timeout, the client's RST.
        Expectation(
            file: "stalled-receiver-vsftpd.pcap", logins: [.succeeded], statuses: [[.stalled]],
            causes: [.dataTimeout], findings: [.cleartextCredentials, .failedDataConnection]),
        // ProFTPD 1.3.8 and Pure-FTPd 1.0.50 (unpacked from their Debian packages): the same refusal after connect,
        // each resets the queued data connection; then a download completes.
        Expectation(
            file: "proftpd-session.pcap", logins: [.succeeded], statuses: [[.commandFailed, .completed]],
            causes: [.serverRefusedCommand], findings: [.cleartextCredentials]),
        Expectation(
            file: "pure-ftpd-session.pcap", logins: [.succeeded], statuses: [[.commandFailed, .completed]],
            causes: [.serverRefusedCommand], findings: [.cleartextCredentials]),
    ]

    @Test(arguments: expectations)
    func statusCauseAndFindings(_ expected: Expectation) throws {
        let result = try OfflineAnalysis.run(paths: [SampleTests.path(expected.file)])
        #expect(result.sessions.map(\.login) == expected.logins)
        #expect(result.sessions.map { $0.transfers.map(\.status) } == expected.statuses)
        let transfers = result.sessions.flatMap(\.transfers)
        #expect(transfers.filter(\.status.isFailure).map(\.cause) == expected.causes)
        #expect(transfers.allSatisfy { ($0.cause != nil) == $0.status.isFailure })
        #expect(Set(result.findings.map(\.kind)) == expected.findings)
        #expect(result.warnings.isEmpty)
    }

    /// The server's reply decides: the reset of a data connection opened before a refused RETR is not the failure.
    @Test(arguments: ["refused-after-connect-vsftpd.pcap", "refused-after-connect-pyftpdlib.pcap"])
    func refusalAfterConnectIsTheServersReply(_ file: String) throws {
        let result = try OfflineAnalysis.run(paths: [SampleTests.path(file)])
        let refused = try #require(result.sessions.first?.transfers.first)
        #expect(refused.command == .retr)
        #expect(refused.reply?.code == 550)
        // The data connection was established before the command.
        let connection = try #require(refused.observedConnection)
        #expect(connection.history.contains("h"))
        let diagnosis = try #require(refused.diagnosis)
        #expect(diagnosis.contains("refused RETR /pub/missing.bin with 550"))
        #expect(diagnosis.contains("not at fault"))
        #expect(diagnosis.contains("Check that the path exists"))
        if file.contains("vsftpd") {
            // vsftpd's wording, and its kernel's reset of the queued connection.
            #expect(refused.reply?.text == "Failed to open file.")
            #expect(refused.evidence.resetBy == .server)
            #expect(diagnosis.contains("reset as a consequence"))
        } else {
            #expect(refused.reply?.text == "No such file or directory.")
            #expect(refused.evidence.resetBy == nil)
        }
    }

    /// The explanation says where the capture was taken and what to forward.
    @Test func unforwardedPassiveRangeIsExplainedFromTheServer() throws {
        let result = try OfflineAnalysis.run(paths: [SampleTests.path("passive-not-forwarded-server-side.pcap")])
        let transfers = try #require(result.sessions.first?.transfers)
        #expect(transfers.map(\.announcementVerb) == [.epsv, .pasv])
        #expect(transfers.allSatisfy { $0.command == nil && $0.connections.isEmpty })
        let pasv = try #require(transfers.last?.diagnosis)
        #expect(pasv.contains("The capture is at the server"))
        #expect(pasv.contains("forwards the control port but not the passive ports"))
        #expect(pasv.contains("to 10.0.1.21"))
        let epsv = try #require(transfers.first?.diagnosis)
        #expect(epsv.contains("port \(transfers[0].announced!.port) in its 229 reply to EPSV"))
        #expect(epsv.contains("sent PASV"))
        // A 229 names no address, so nothing private was announced.
        #expect(result.findings.allSatisfy { $0.kind != .privateAddressAnnounced })
        let failed = result.findings.filter { $0.kind == .failedDataConnection }
        #expect(failed.count == 2)
        #expect(failed.allSatisfy { $0.detail.contains("forward the passive range") })
        let client = try OfflineAnalysis.run(paths: [SampleTests.path("passive-not-forwarded-client-side.pcap")])
        let abandoned = try #require(client.sessions.first?.transfers.last?.diagnosis)
        #expect(abandoned.contains("the client did not try this one"))
    }

    /// The counters behind the black hole, from both vantages, and the fix in words.
    @Test func pathMTUBlackholeEvidence() throws {
        let server = try OfflineAnalysis.run(paths: [SampleTests.path("stalled-mtu-server-side.pcap")])
        let atServer = try #require(server.sessions.first?.transfers.first)
        let sent = try #require(atServer.observedConnection?.responderProgress)
        #expect(sent.largestRetransmittedSegment == 1448)
        #expect(sent.largestAcknowledgedSegment == 0)
        #expect(sent.retransmittedSegments >= 5)
        #expect(sent.unacknowledgedBytes > 0)
        #expect(atServer.reply?.code == 226)
        let diagnosis = try #require(atServer.diagnosis)
        #expect(diagnosis.contains("1448-byte segments"))
        #expect(diagnosis.contains("path-MTU black hole"))
        #expect(diagnosis.contains("Clamp the TCP MSS"))
        #expect(diagnosis.contains("ICMP type 3 code 4"))
        let finding = try #require(server.findings.first { $0.kind == .failedDataConnection })
        #expect(finding.summary.contains("stalled"))
        #expect(finding.evidence.contains { $0.0 == "cause" && $0.1 == .string("path_mtu_blackhole") })

        let client = try OfflineAnalysis.run(paths: [SampleTests.path("stalled-mtu-client-side.pcap")])
        let atClient = try #require(client.sessions.first?.transfers.first)
        #expect(atClient.bytes == 0)
        #expect(atClient.observedConnection?.responderProgress.unseenSentBytes == 15_928)
        #expect(atClient.diagnosis?.contains("15928 bytes sent that never reached this capture point") == true)
    }

    @Test func stoppedReceiverEvidence() throws {
        let result = try OfflineAnalysis.run(paths: [SampleTests.path("stalled-receiver-vsftpd.pcap")])
        let transfer = try #require(result.sessions.first?.transfers.first)
        let client = try #require(transfer.observedConnection?.originatorProgress)
        #expect(client.zeroWindows >= 3)
        #expect(client.close == .rst)
        // vsftpd's wording for its data timeout.
        #expect(transfer.reply?.code == 421)
        #expect(transfer.reply?.text == "Data timeout. Reconnect. Sorry.")
        let diagnosis = try #require(transfer.diagnosis)
        #expect(diagnosis.contains("zero window"))
        #expect(diagnosis.contains("stopped reading"))
    }

    /// Each server's wording, as the analysis keeps it.
    @Test func proftpdAndPureFTPdWording() throws {
        let proftpd = try OfflineAnalysis.run(paths: [SampleTests.path("proftpd-session.pcap")])
        let p = try #require(proftpd.sessions.first)
        #expect(p.banner?.contains("ftpscope sample ProFTPD") == true)
        #expect(p.transfers[0].reply?.text == "/pub/missing.bin: No such file or directory")
        #expect(p.transfers[0].evidence.resetBy == .server)
        #expect(p.transfers[1].preliminaryReply?.text == "Opening BINARY mode data connection for /pub/notes.txt (4096 bytes)")
        #expect(p.transfers[1].reply?.text == "Transfer complete")
        #expect(p.transfers[1].bytes == 4_096)
        let pure = try OfflineAnalysis.run(paths: [SampleTests.path("pure-ftpd-session.pcap")])
        let q = try #require(pure.sessions.first)
        // Pure-FTPd greets with a six-line 220 and measures its own speed in the 226.
        // Every line of it starts `220-`; the first line's text is what follows the code and hyphen.
        #expect(q.banner?.hasPrefix("--------- Welcome to Pure-FTPd [privsep] [TLS] ----------\n") == true)
        #expect(q.banner?.contains("You are user number 1 of 50 allowed.") == true)
        #expect(q.transfers[0].reply?.text == "Can't open /pub/missing.bin: No such file or directory")
        #expect(q.transfers[0].diagnosis?.contains("refused RETR /pub/missing.bin with 550 Can't open") == true)
        #expect(q.transfers[1].preliminaryReply?.text == "Accepted data connection")
        #expect(q.transfers[1].reply?.text.hasPrefix("File successfully transferred\n") == true)
        #expect(q.transfers[1].bytes == 4_096)
    }

    /// The evidence per transfer (JSON members and timeline columns) on real captures.
    @Test func transferMetrics() throws {
        let receiver = try OfflineAnalysis.run(paths: [SampleTests.path("stalled-receiver-vsftpd.pcap")])
        let stalled = try #require(receiver.sessions.first?.transfers.first?.metrics)
        #expect(stalled.zeroWindows >= 3)
        // vsftpd's last 24 bytes went twice (frame 28, a tail-loss probe; Wireshark too calls it a retransmission
        // and the client answers with a D-SACK).
        #expect(stalled.retransmissions == 1)
        #expect(stalled.closedBy == .client)
        #expect(stalled.close == .rst)
        #expect(stalled.firstByteMilliseconds.map { $0 >= 0 && $0 < 100 } == true)
        let mtu = try OfflineAnalysis.run(paths: [SampleTests.path("stalled-mtu-server-side.pcap")])
        let blackhole = try #require(mtu.sessions.first?.transfers.first?.metrics)
        #expect(blackhole.retransmissions >= 5)
        #expect(blackhole.closedBy == .client)
        #expect(blackhole.close == .fin)
        let normal = try OfflineAnalysis.run(paths: [SampleTests.path("passive-vsftpd.pcap")])
        let transfers = try #require(normal.sessions.first?.transfers)
        #expect(transfers.allSatisfy { $0.metrics?.retransmissions == 0 && $0.metrics?.zeroWindows == 0 })
        #expect(transfers.allSatisfy { $0.metrics?.close == .fin })
        // The JSON document and the timeline carry them.
        let json = JSONDocument.render(mtu.reportInput(showPasswords: false))
        #expect(json.contains("\"retransmissions\": \(blackhole.retransmissions)"))
        #expect(json.contains("\"closed_by\": \"client\""))
        let header = TimelineRow.columns.suffix(6)
        #expect(Array(header) == ["bytes_per_second", "first_byte_ms", "retransmissions", "zero_windows", "closed_by", "close"])
    }

    @Test func guessingRunIsFlaggedWithTheDefaults() throws {
        let result = try OfflineAnalysis.run(paths: [SampleTests.path("guessing-run-pyftpdlib.pcap")])
        let attempts = result.sessions.flatMap(\.loginAttempts)
        #expect(attempts.count == 12)
        #expect(attempts.allSatisfy { $0.outcome == .failed })
        #expect(attempts.filter { $0.user == "alice" }.count == 10)
        let first = try #require(attempts.first?.time)
        let last = try #require(attempts.last?.time)
        #expect(first.nanoseconds(to: last) < 60 * 1_000_000_000)
        let finding = try #require(result.findings.first { $0.kind == .bruteforce })
        #expect(finding.severity == .high)
        // The number in the sentence is the one in the evidence.
        let failures = try #require(finding.evidence.first { $0.0 == "failures" }?.1)
        guard case .int(let count) = failures else {
            Issue.record("failures is not a number: \(failures)")
            return
        }
        #expect(count == 12)
        #expect(finding.summary == "12 failed logins from 192.0.2.10 to 192.0.2.21, none succeeded")
        // Zeek's old default (20 in 15 minutes) would not have flagged it; the option still works both ways.
        var lax = AnalysisConfiguration()
        lax.bruteforceThreshold = 20
        lax.bruteforceWindow = 15 * 60 * 1_000_000_000
        let laxResult = try OfflineAnalysis.run(paths: [SampleTests.path("guessing-run-pyftpdlib.pcap")], configuration: lax)
        #expect(laxResult.findings.allSatisfy { $0.kind != .bruteforce })
    }

    /// JSON baselines of these samples (FTPSCOPE_UPDATE_BASELINES=1 rewrites them; read the diff).
    @Test(arguments: expectations.map(\.file))
    func jsonMatchesBaseline(_ file: String) throws {
        var result = try OfflineAnalysis.run(paths: [SampleTests.path(file)])
        result.inputs[0].path = "samples/" + file
        let rendered = JSONDocument.render(result.reportInput(showPasswords: false))
        let baseline = Paths.repositoryRoot.appendingPathComponent("Tests/EndToEndTests/Baselines/\(file).json")
        if ProcessInfo.processInfo.environment["FTPSCOPE_UPDATE_BASELINES"] == "1" {
            try rendered.write(to: baseline, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: baseline, encoding: .utf8)
        #expect(rendered == expected, "JSON differs from \(baseline.lastPathComponent); rerun with FTPSCOPE_UPDATE_BASELINES=1 and read the diff")
    }
}
