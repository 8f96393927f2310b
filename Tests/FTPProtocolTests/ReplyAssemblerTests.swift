import FTPProtocol
import Testing

@Suite("ReplyAssembler")
struct ReplyAssemblerTests {
    @Test(
        "single-line replies",
        arguments: [
            ("220 Service ready", 220, "Service ready"),
            ("200", 200, ""),  // "ddd" alone is a reply with no text
            ("226 ", 226, ""),
            ("331  two spaces", 331, " two spaces"),
            ("631 ZmFrZQ==", 631, "ZmFrZQ=="),  // RFC 2228 protected reply
            ("999 odd code kept", 999, "odd code kept"),
            ("050 odd code kept", 50, "odd code kept"),
        ])
    func singleLine(line: String, code: Int, text: String) {
        let events = assemble([line])
        #expect(events == [.reply(FTPReply(code: code, lines: [text]))])
    }

    @Test(
        "invalid lines",
        arguments: ["SYST not supported", "230_no_space", "99 PASV invalid", "SSH-2.0-mod_sftp/0.9.7", "", "22", " 220 x"])
    func invalid(line: String) {
        #expect(assemble([line]) == [.invalid(FTPLine(line))])
    }

    @Test("multi-line reply with interior ddd- lines and other codes, ended by the same code and a space")
    func multiline() {
        let lines = [
            "230-", "    The NetBSD Project FTP Server", "230-", "220 not the end: another code",
            "230-still inside", "230x not the end either", "230 Guest login ok, access restrictions apply.",
        ]
        let events = assemble(lines)
        let expected = FTPReply(
            code: 230,
            lines: [
                "", "    The NetBSD Project FTP Server", "230-", "220 not the end: another code", "230-still inside",
                "230x not the end either", "Guest login ok, access restrictions apply.",
            ], isMultiline: true)
        #expect(events == [.reply(expected)])
        if case .reply(let reply) = events.first {
            #expect(reply.text.hasSuffix("230x not the end either\nGuest login ok, access restrictions apply."))
            #expect(reply.displayLines[4] == "still inside")
            #expect(reply.displayLines[2] == "")
            #expect(reply.isCompletion && !reply.isPreliminary && reply.isComplete)
        }
    }

    @Test("push returns nil inside a multi-line reply, and a ddd alone ends it")
    func pushStates() {
        var assembler = ReplyAssembler()
        #expect(assembler.push(FTPLine("211-Features:")) == nil)
        #expect(assembler.isInsideMultiline)
        #expect(assembler.push(FTPLine(" MDTM")) == nil)
        #expect(assembler.push(FTPLine("SYST not a reply, but inside one")) == nil)
        let event = assembler.push(FTPLine("211"))
        #expect(event == .reply(FTPReply(code: 211, lines: ["Features:", " MDTM", "SYST not a reply, but inside one", ""], isMultiline: true)))
        #expect(!assembler.isInsideMultiline)
        #expect(assembler.push(FTPLine("200 next")) == .reply(FTPReply(code: 200, lines: ["next"])))
    }

    @Test("finish inside a multi-line reply returns it flagged incomplete")
    func finishInside() {
        let events = assemble(["220-Welcome", "220-to the server"])
        #expect(events == [.reply(FTPReply(code: 220, lines: ["Welcome", "220-to the server"], isMultiline: true, isComplete: false))])
        var assembler = ReplyAssembler()
        #expect(assembler.finish() == nil)
    }

    @Test("interior lines beyond maxReplyLines are counted, the first and last kept")
    func replyLineLimit() {
        var limits = FTPLimits()
        limits.maxReplyLines = 4
        let interior = (1...10).map { "line \($0)" }
        let events = assemble(["250-first"] + interior + ["250 last"], limits: limits)
        #expect(events == [.reply(FTPReply(code: 250, lines: ["first", "line 1", "line 2", "last"], isMultiline: true, truncatedLines: 8))])
    }

    @Test("a truncated line marks the reply")
    func truncatedLine() {
        var assembler = ReplyAssembler()
        let event = assembler.push(FTPLine(bytes: Array("500 xxxx".utf8), truncated: true, originalLength: 9000))
        guard case .reply(let reply) = event else {
            Issue.record("expected a reply")
            return
        }
        #expect(reply.hasTruncatedLine)
        #expect(reply.isPermanentFailure)
    }

    @Test(
        "reply classes",
        arguments: [(150, "1"), (227, "2"), (331, "3"), (425, "4"), (530, "5"), (632, "6")])
    func classes(code: Int, expected: String) {
        let reply = FTPReply(code: code, lines: [""])
        let flags = [
            reply.isPreliminary, reply.isCompletion, reply.isIntermediate, reply.isTransientFailure,
            reply.isPermanentFailure, reply.isProtected,
        ]
        #expect(flags.filter { $0 }.count == 1)
        #expect(flags[Int(expected)! - 1])
        #expect(reply.codeString == String(code))
    }

    @Test("the NetBSD banner from the corpus is one reply")
    func netBSDBanner() {
        // Shape of ipv4.tsv: "230-" opens, interior "230-" and ASCII art, then "230 Guest login ok...".
        let lines = ["230-", "    The NetBSD Project FTP Server", "      |  acorn[26,32] |  \\ \\___   / |", "230-",
                     "    EXPORT NOTICE", "    ", "230 Guest login ok, access restrictions apply."]
        let events = assemble(lines)
        #expect(events.count == 1)
        if case .reply(let reply) = events.first {
            #expect(reply.code == 230)
            #expect(reply.lines.count == 7)
            #expect(reply.isMultiline && reply.isComplete)
        }
    }
}
