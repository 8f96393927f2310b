import FTPProtocol
import Testing

/// The texts of recent control lines handed out again (`ControlTextCache`): what comes out of a channel with a
/// cache is what comes out without one, line for line, whatever the cache kept or replaced.
struct ControlTextCacheTests {
    /// Replies and commands that repeat, vary, collide, are short (inline), long (past the cache's limit) or not
    /// ASCII (never kept), fed through channels with and without a cache.
    static let serverBytes = Array(
        ("220 ftpscope benchmark server ready\r\n" + "226 Transfer complete.\r\n" + "226 Transfer complete.\r\n"
            + "227 Entering Passive Mode (198,51,100,2,195,80).\r\n"
            + "227 Entering Passive Mode (198,51,100,2,195,81).\r\n" + "200 OK\r\n"
            + "250 Verzeichnis gewechselt: /tmp/\u{00FC}berall\r\n"
            + "250 Verzeichnis gewechselt: /tmp/\u{00FC}berall\r\n"
            + "211-Features:\r\n MDTM\r\n SIZE files larger than a terabyte\r\n211 End\r\n"
            + "550 " + String(repeating: "x", count: 300) + "\r\n"
            + "550 " + String(repeating: "x", count: 300) + "\r\n"
            + "226 Transfer complete.\r\n").utf8) + [0x32, 0x30, 0x30, 0x20, 0xC3, 0x28, 0x41, 0x0D, 0x0A]
    static let clientBytes = Array(
        ("USER anonymous\r\nPASS guest@example.com\r\nSIZE /pub/releases/file_000123.bin\r\n"
            + "MDTM /pub/releases/file_000123.bin\r\nRETR /pub/releases/file_000123.bin\r\n"
            + "RETR /pub/releases/file_000124.bin\r\nCWD /srv/\u{00E9}t\u{00E9}/archives\r\nNOOP\r\n").utf8)

    static func replies(_ texts: ControlTextCache?, rounds: Int) -> [FTPReply] {
        var channel = ServerControlChannel()
        var replies: [FTPReply] = []
        for _ in 0..<rounds {
            serverBytes.withUnsafeBytes { bytes in
                let onEvent: (consuming ReplyEvent) -> Void = { event in
                    if case .reply(let reply) = event { replies.append(reply) }
                }
                if let texts { channel.append(bytes, texts: texts, onEvent) } else { channel.append(bytes, onEvent) }
            }
        }
        return replies
    }

    static func commands(_ texts: ControlTextCache?, rounds: Int) -> [FTPCommand] {
        var channel = ClientControlChannel()
        var commands: [FTPCommand] = []
        for _ in 0..<rounds {
            clientBytes.withUnsafeBytes { bytes in
                let onCommand: (FTPLine, inout FTPCommand) -> Void = { _, command in commands.append(command) }
                if let texts {
                    channel.append(bytes, texts: texts, onCommand)
                } else {
                    channel.append(bytes, onCommand)
                }
            }
        }
        return commands
    }

    @Test func repliesAreTheSameWithACache() {
        let plain = Self.replies(nil, rounds: 3)
        let cached = Self.replies(ControlTextCache(), rounds: 3)
        #expect(plain.count == 3 * 13)
        #expect(cached == plain)
        #expect(plain.contains { $0.text == "Verzeichnis gewechselt: /tmp/\u{00FC}berall" })
        #expect(plain.contains { $0.text == "\\xC3(A" })
    }

    @Test func commandsAreTheSameWithACache() {
        let plain = Self.commands(nil, rounds: 3)
        let cached = Self.commands(ControlTextCache(), rounds: 3)
        #expect(plain.count == 3 * 8)
        #expect(cached == plain)
        #expect(cached[2].argument == "/pub/releases/file_000123.bin")
    }

    /// Many different texts in a row (more than the cache has slots) replace each other and still come out right.
    @Test func replacedTextsStayRight() {
        let texts = ControlTextCache()
        var server = ServerControlChannel()
        var got: [String] = []
        let count = ControlTextCache.slotCount * 3
        for round in 0..<2 {
            for index in 0..<count {
                let line = Array("150 Opening BINARY mode data connection for file_\(index).bin\r\n".utf8)
                line.withUnsafeBytes { bytes in
                    server.append(bytes, texts: texts) { event in
                        if case .reply(let reply) = event { got.append(reply.text) }
                    }
                }
            }
            #expect(got.count == (round + 1) * count)
        }
        for (position, text) in got.enumerated() {
            #expect(text == "Opening BINARY mode data connection for file_\(position % count).bin")
        }
    }
}
