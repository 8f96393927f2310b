import FTPProtocol
import NetworkTypes
import Testing

@testable import FTPAnalysis
@testable import Reports

/// The reports rendered from hand-built values (no capture): each says the verdict it is given, in its own form,
/// and none decides anything on its own.
@Suite struct HandBuiltReportTests {
    static let start = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)

    /// One session with a failed active transfer (NAT), a completed passive one and an unused announcement.
    static func session() -> FTPSession {
        let session = FTPSession(
            client: Endpoint(address: .v4(0xC000_0201), port: 50_000),
            server: Endpoint(address: .v4(0xC000_0215), port: 21), start: start, serial: 1, limits: FTPLimits())
        session.id = "S1"
        session.confirmed = true
        session.end = start.adding(nanoseconds: 20_000_000_000)
        session.user = "alice"
        session.loginAttempts = [
            LoginAttempt(user: "alice", time: start, password: "secret", outcome: .succeeded, replyCode: 230)
        ]
        let failed = Transfer.make()
        failed.command = .list
        failed.mode = .active
        failed.announcementVerb = .port
        failed.announced = Endpoint(address: .v4(0x0A00_0002), port: 40_000)
        failed.commandTime = start.adding(nanoseconds: 1_000_000_000)
        failed.reply = ReplyRecord(code: 425, text: "Failed to establish connection.", time: start.adding(nanoseconds: 6_000_000_000))
        var evidence = DataEvidence()
        evidence.synAttempts = 5
        evidence.announced = failed.announced
        evidence.vantage = .between
        evidence.mode = .active
        evidence.announcementVerb = .port
        evidence.client = session.client.address
        evidence.server = session.server.address
        evidence.announcedAddress = .behindNAT
        evidence.command = .list
        evidence.reply = ReplyLine(code: 425, text: "Failed to establish connection.")
        failed.verdict = DataVerdict(status: .unanswered, cause: .natWithoutALG, evidence: evidence)
        let completed = Transfer.make()
        completed.command = .retr
        completed.argument = "f"
        completed.mode = .passive
        completed.announced = Endpoint(address: .v4(0xC000_0215), port: 40_001)
        completed.reply = ReplyRecord(code: 226, text: "ok", time: start.adding(nanoseconds: 8_000_000_000))
        completed.verdict = DataVerdict(status: .completed, cause: nil, evidence: DataEvidence())
        let unused = Transfer.make()
        unused.mode = .passive
        unused.announcementVerb = .pasv
        unused.announcedAt = start.adding(nanoseconds: 9_000_000_000)
        session.transfers = [failed, completed, unused]
        session.endState = .quit
        session.ended = true
        return session
    }

    static func input(_ session: FTPSession) -> ReportInput {
        ReportInput(
            version: "test", inputs: [], stats: [], sessions: [session], findings: [],
            passwords: PasswordPolicy(showPasswords: false))
    }

    @Test func jsonCarriesTheCauseOfFailedTransfersOnly() {
        let transfers = Self.session().transfers.map { JSONDocument.transferText($0) }
        #expect(transfers[0].contains(#""status":"unanswered""#))
        #expect(transfers[0].contains(#""cause":"nat_without_alg""#))
        #expect(!transfers[1].contains(#""cause""#))
        #expect(transfers[2].contains(#""status":"unused""#) && !transfers[2].contains(#""cause""#))
    }

    @Test func timelineRowsCarryStatusAndCause() {
        let session = Self.session()
        var builder = TimelineRowBuilder(passwords: PasswordPolicy(showPasswords: false))
        _ = builder.row(for: .sessionStarted(session.identity))
        let rows = session.transfers.enumerated().map { builder.row(for: .transfer(session.identity, SettledTransfer($1, index: $0))) }
        #expect(rows.map(\.dataStatus) == [.unanswered, .completed, .unused])
        #expect(rows.map(\.cause) == [.natWithoutALG, nil, nil])
        // The sentence is worded from the verdict's facts alone.
        #expect(
            rows[0].detail
                == "The server's data connection to 10.0.0.2:40000 got no answer (5 SYNs unanswered). The client announced its private address 10.0.0.2 in PORT but its control connection comes from 192.0.2.1: it is behind NAT that does not rewrite PORT, so the server cannot reach it. Use passive mode (PASV/EPSV), or enable the NAT's FTP helper."
        )
        let csv = CSVTimelineWriter.record(rows[0])
        #expect(csv.contains("enable the NAT's FTP helper.\",nat_without_alg,"))
    }

    /// The timeline sink fills one row for every event, leaving alone the texts the next event assigns anyway
    /// (`TimelineRow.reset(…keeping:)`): whatever the order of the events, each row it writes is the one a fresh
    /// row gets, as CSV, as JSON Lines and as an ECS document.
    @Test func aReusedRowIsAFreshRow() {
        let session = Self.session()
        let identity = session.identity
        let t = { (seconds: Int64) in Self.start.adding(nanoseconds: seconds * 1_000_000_000) }
        var user = CommandRecord(time: t(1), verb: .user, argument: "alice")
        user.reply = ReplyRecord(code: 331, text: "Password required for alice, a reply text longer than fifteen bytes.", time: t(1))
        var pass = CommandRecord(time: t(2), verb: .pass, argument: "secret")
        pass.user = "alice"
        pass.reply = ReplyRecord(code: 230, text: "Logged in.", time: t(2))
        var unanswered = CommandRecord(time: t(3), verb: .list, argument: "")
        unanswered.user = "alice"
        unanswered.replyLost = true
        var anonymous = CommandRecord(time: t(4), verb: .user, argument: "anonymous")
        anonymous.reply = ReplyRecord(code: 530, text: "No.", time: t(4))
        var nouser = CommandRecord(time: t(5), verb: .syst, argument: "")
        nouser.reply = ReplyRecord(code: 215, text: "UNIX Type: L8", time: t(5))
        let transfers = session.transfers.enumerated().map {
            AnalysisEvent.transfer(identity, SettledTransfer($1, index: $0))
        }
        let events: [AnalysisEvent] =
            [.sessionStarted(identity), .command(identity, user), .command(identity, pass), transfers[0],
             .command(identity, unanswered), .reply(identity, ReplyRecord(code: 421, text: "Timeout.", time: t(6))),
             transfers[1], .command(identity, nouser), .gap(identity, time: t(7), length: 10, fromClient: true),
             transfers[2], .tlsStarted(identity, t(8)), .command(identity, anonymous), transfers[0],
             .command(identity, pass), .sessionEnded(session)]
        var fresh = TimelineRowBuilder(passwords: PasswordPolicy(showPasswords: false))
        var reusing = TimelineRowBuilder(passwords: PasswordPolicy(showPasswords: false))
        var row = TimelineRow(time: .zero, session: nil, event: .sessionStart)
        for (index, event) in events.enumerated() {
            let expected = fresh.row(for: event)
            reusing.fill(&row, for: event)
            #expect(CSVTimelineWriter.record(row) == CSVTimelineWriter.record(expected), "event \(index)")
            #expect(JSONLinesTimelineWriter.line(row) == JSONLinesTimelineWriter.line(expected), "event \(index)")
            #expect(
                ECSTimelineWriter.document(row, version: "test") == ECSTimelineWriter.document(expected, version: "test"),
                "event \(index)")
            #expect(row.controlCommunityID == session.communityID, "event \(index)")
        }
    }

    /// The transfer event carries a value: what the analysis does with the transfer afterwards (a late
    /// re-diagnosis) does not change what a streamed row says.
    @Test func theTransferEventIsASnapshot() {
        let session = Self.session()
        let transfer = session.transfers[0]
        let snapshot = SettledTransfer(transfer, index: 0)
        transfer.verdict = DataVerdict(status: .refused, cause: .clientFirewall, evidence: DataEvidence())
        transfer.extractedFile = ExtractedFile(fileName: "x", bytes: 1, sha256: "00", complete: true)
        #expect(snapshot.status == .unanswered)
        #expect(snapshot.cause == .natWithoutALG)
        #expect(snapshot.extractedFile == nil)
        #expect(snapshot.index == 0)
        var builder = TimelineRowBuilder(passwords: PasswordPolicy(showPasswords: false))
        _ = builder.row(for: .sessionStarted(session.identity))
        let row = builder.row(for: .transfer(session.identity, snapshot))
        #expect(row.dataStatus == .unanswered)
        #expect(row.cause == .natWithoutALG)
        #expect(row.context.sha256 == nil)
    }

    @Test func textSaysTheStatusAndCause() {
        let text = TextSummary().renderSession(Self.session(), PasswordPolicy(showPasswords: false))
        #expect(text.contains("alice, logged in"))
        #expect(text.contains("unanswered"))
        #expect(text.contains("cause nat_without_alg"))
        #expect(text.contains("transfers: 3, 1 failed"))
        #expect(!text.contains("secret"))
    }

    @Test func htmlSaysTheStatusAndCause() {
        let html = HTMLReport.render(Self.input(Self.session()))
        #expect(html.contains(#"<span class="chip bad">unanswered</span> <span class="cause muted">nat_without_alg</span>"#))
        #expect(html.contains(#">login succeeded</span>"#))
        #expect(!html.contains("secret"))
    }

    /// Colours follow `DataStatus.gravity`, the one order: the HTML tone of every status is its gravity's.
    @Test(arguments: DataStatus.allCases)
    func toneFollowsGravity(_ status: DataStatus) {
        let tone = HTMLReport.tone(status)
        switch status.gravity {
        case .failure: #expect(tone == "bad")
        case .warning: #expect(tone == "warn")
        case .ok: #expect(tone == "ok")
        case .none: #expect(tone == "grey")
        }
    }
}
