import FTPAnalysis
import FTPScope
import Foundation
import NetworkTypes
import Reports
import TestSupport
import Testing

/// Streams the issue (16) says we gave up on where peers see commands, each on a built capture with the expected
/// commands.
@Suite struct MangledStreamTests {
    static let client = Endpoint(address: .v4(192, 0, 2, 10), port: 40100)
    static let server = Endpoint(address: .v4(198, 51, 100, 20), port: 21)

    static func analyze(_ name: String, _ conversation: ConversationBuilder) throws -> AnalysisResult {
        let path = NSTemporaryDirectory() + "ftpscope-mangled-\(getpid())-\(name).pcap"
        let packets = conversation.packets.map { PcapWriter.Packet(time: $0.0, data: $0.1) }
        try Data(PcapWriter.pcap(packets, nanosecond: true)).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        return try OfflineAnalysis.run(paths: [path])
    }

    static func login(_ conversation: inout ConversationBuilder) {
        conversation.handshake()
        conversation.serverSends("220 ready\r\n")
        conversation.clientSends("USER alice\r\n")
        conversation.serverSends("331 password\r\n")
        conversation.clientSends("PASS secret\r\n")
        conversation.serverSends("230 welcome\r\n")
    }

    static func verbs(_ result: AnalysisResult) -> [String] { result.sessions.first?.commands.map(\.verbText) ?? [] }

    /// A command in a final segment without a line end: delivered, flagged `truncated`, and noted.
    @Test func partialLineAtEndOfStreamIsDelivered() throws {
        var conversation = ConversationBuilder(client: Self.client, server: Self.server)
        Self.login(&conversation)
        conversation.clientSends("QUIT")
        conversation.clientFIN()
        conversation.serverFIN()
        let result = try Self.analyze("partial", conversation)
        #expect(Self.verbs(result) == ["USER", "PASS", "QUIT"])
        let session = try #require(result.sessions.first)
        #expect(session.commands.last?.truncated == true)
        #expect(session.anomalies.contains { $0.1.contains("without CRLF at the end of the stream") })
    }

    /// A client sends a well-formed QUIT on port 21 and the server resets before any greeting: a failed FTP
    /// session with its command, not "another protocol".
    @Test func commandsWithoutGreetingMakeASession() throws {
        var conversation = ConversationBuilder(client: Self.client, server: Self.server)
        conversation.handshake()
        conversation.clientSends("QUIT\r\n")
        conversation.reset(from: .server)
        let result = try Self.analyze("no-greeting", conversation)
        #expect(Self.verbs(result) == ["QUIT"])
        let session = try #require(result.sessions.first)
        #expect(session.banner == nil && session.login == .none)
        #expect(session.anomalies.contains { $0.1.contains("no greeting") })
        #expect(result.analysisStats.nonFTPControlConnections == 0)
        #expect(!result.findings.contains { $0.summary.contains("is not FTP") })
    }

    /// Something that is not FTP on port 21 is still "not FTP" (the rule above needs well-formed commands).
    @Test func otherProtocolsStayNotFTP() throws {
        var conversation = ConversationBuilder(client: Self.client, server: Self.server)
        conversation.handshake()
        conversation.clientSends("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        conversation.reset(from: .server)
        let result = try Self.analyze("not-ftp", conversation)
        #expect(result.sessions.isEmpty)
        #expect(result.analysisStats.nonFTPControlConnections == 1)
    }

    /// A 112 KB reply line is cut at the line cap like a command, and says so.
    @Test func overlongReplyIsFlaggedTruncated() throws {
        var conversation = ConversationBuilder(client: Self.client, server: Self.server)
        Self.login(&conversation)
        conversation.clientSends("PASV\r\n")
        conversation.serverSends("227 " + String(repeating: "x", count: 112_000) + "\r\n")
        conversation.clientSends("QUIT\r\n")
        conversation.serverSends("221 bye\r\n")
        let result = try Self.analyze("long-reply", conversation)
        #expect(Self.verbs(result) == ["USER", "PASS", "PASV", "QUIT"])
        let session = try #require(result.sessions.first)
        let pasv = try #require(session.commands.first { $0.verb == .pasv })
        #expect(pasv.reply?.code == 227 && pasv.reply?.truncated == true)
        #expect(session.commands.last?.reply?.truncated == false)
        #expect(session.anomalies.contains { $0.1.contains("227 reply line longer than 4096 bytes cut") })
        let json = JSONDocument.render(result.reportInput(showPasswords: false))
        #expect(json.contains("\"reply_truncated\": true"))
    }

    /// A command sent after the sender's FIN, at the FIN's sequence number (a real client bug report against
    /// Suricata, whose test expects the QUIT logged): delivered, so the QUIT and its 221 are seen.
    @Test func commandAfterFINIsDelivered() throws {
        var conversation = ConversationBuilder(client: Self.client, server: Self.server)
        Self.login(&conversation)
        let finSeq = conversation.clientSeq
        conversation.clientFIN()
        conversation.emit(
            from: .client, seq: finSeq, ack: conversation.serverSeq, flags: [.psh, .ack], payload: Array("QUIT\r\n".utf8))
        conversation.serverSends("221 bye\r\n")
        conversation.serverFIN()
        let result = try Self.analyze("after-fin", conversation)
        #expect(Self.verbs(result) == ["USER", "PASS", "QUIT"])
        #expect(result.sessions.first?.commands.last?.reply?.code == 221)
        #expect(result.sessions.first?.anomalies.contains { $0.1.contains("after its FIN") } == true)
        #expect(Dictionary(uniqueKeysWithValues: result.stats)["tcp_data_after_fin"] == 1)
    }

    /// The client's first data segment far ahead of its SYN (bytes ACKed but never captured): the missing range
    /// is reported and the stream resynchronises at the next line, so the commands after it are decoded.
    @Test func largeForwardJumpResynchronisesAtTheNextLine() throws {
        var conversation = ConversationBuilder(client: Self.client, server: Self.server)
        conversation.handshake()
        conversation.serverSends("220 ready\r\n")
        conversation.clientSeq &+= 50_000
        conversation.clientSends("ER alice\r\nPASS x\r\n")
        conversation.serverSends("331 password\r\n230 ok\r\n")
        conversation.clientSends("PASV\r\n")
        conversation.serverSends("227 Entering Passive Mode (198,51,100,20,195,80)\r\n")
        let result = try Self.analyze("jump", conversation)
        let verbs = Self.verbs(result)
        #expect(!verbs.contains("ER"), "the half line after the gap is skipped, never parsed")
        #expect(verbs == ["PASS", "PASV"])
        let session0 = try #require(result.sessions.first)
        #expect(session0.commands.map { $0.reply?.code ?? 0 } == [230, 227], "replies pair with the commands after the gap")
        #expect(session0.unsolicitedReplies.map(\.code) == [331], "the 331 answered the USER lost in the gap")
        let session = try #require(result.sessions.first)
        #expect(session.anomalies.contains { $0.1.contains("50000 bytes missing from the client side") })
        #expect(result.findings.contains { $0.kind == .captureGap })
    }

    /// Two segments with the same sequence numbers and different content: the first delivered stands (the
    /// receiving host already acknowledged it), and the other version is in the anomaly.
    @Test func conflictingRetransmissionIsReported() throws {
        var conversation = ConversationBuilder(client: Self.client, server: Self.server)
        conversation.handshake()
        conversation.serverSends("220 ready\r\n")
        let seq = conversation.clientSeq
        conversation.clientSends("USER alice\r\n")
        conversation.emit(
            from: .client, seq: seq, ack: conversation.serverSeq, flags: [.psh, .ack], payload: Array("USER mallo\r\n".utf8))
        conversation.serverSends("331 password\r\n")
        conversation.clientSends("QUIT\r\n")
        conversation.serverSends("221 bye\r\n")
        let result = try Self.analyze("conflict", conversation)
        #expect(Self.verbs(result) == ["USER", "QUIT"])
        let session = try #require(result.sessions.first)
        #expect(session.commands.first?.argument == "alice")
        #expect(session.conflictingRetransmissions == 1)
        let note = try #require(session.anomalies.first { $0.1.contains("conflicting retransmission") })
        #expect(note.1.contains("first wins") && note.1.contains("USER alice") && note.1.contains("USER mallo"))
        #expect(result.reassemblyCounters.inconsistentOverlaps == 1)
        #expect(result.findings.contains { $0.kind == .protocolAnomaly && $0.session == session.id })
        let stats = Dictionary(uniqueKeysWithValues: result.stats)
        #expect(stats["tcp_inconsistent_retransmissions"] == 1)
        let text = TextSummary().render(result.reportInput(showPasswords: false))
        #expect(text.contains("1 conflicting TCP retransmission"))
    }

    /// An identical retransmission is just that: no anomaly.
    @Test func identicalRetransmissionIsNotAConflict() throws {
        var conversation = ConversationBuilder(client: Self.client, server: Self.server)
        conversation.handshake()
        conversation.serverSends("220 ready\r\n")
        let seq = conversation.clientSeq
        conversation.clientSends("USER alice\r\n")
        conversation.emit(
            from: .client, seq: seq, ack: conversation.serverSeq, flags: [.psh, .ack], payload: Array("USER alice\r\n".utf8))
        conversation.serverSends("331 password\r\n")
        let result = try Self.analyze("identical", conversation)
        #expect(result.sessions.first?.conflictingRetransmissions == 0)
        #expect(result.reassemblyCounters.inconsistentOverlaps == 0)
    }

    /// A FIN and data with sequence numbers before the start of the stream (negative offsets) must not trap
    /// (found by FuzzReassembler after the data-after-FIN check was added).
    @Test func dataAfterAFINBeforeTheStreamStartIsSafe() throws {
        var conversation = ConversationBuilder(client: Self.client, server: Self.server)
        Self.login(&conversation)
        let early = conversation.clientSeq &- 100
        conversation.emit(from: .client, seq: early, ack: conversation.serverSeq, flags: [.fin, .ack], payload: [])
        conversation.emit(
            from: .client, seq: early, ack: conversation.serverSeq, flags: [.psh, .ack], payload: Array("QUIT\r\n".utf8))
        let result = try Self.analyze("early-fin", conversation)
        #expect(Self.verbs(result) == ["USER", "PASS"])
    }
}
