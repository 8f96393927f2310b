import FTPProtocol
import Testing

/// The control channel per direction: framing, reply assembly and the one gap policy the analyzer and the fuzz
/// target share.
@Suite struct ControlChannelTests {
    /// A side's stream: text, or a gap.
    enum Piece {
        case text(String)
        case gap
    }

    static func commands(_ pieces: [Piece], feeding: Feeding = .whole) -> [String] {
        var channel = ClientControlChannel()
        var out: [String] = []
        for piece in pieces {
            switch piece {
            case .gap: channel.gap()
            case .text(let text):
                for chunk in feeding.chunks(of: Array(text.utf8)) {
                    chunk.withUnsafeBytes { bytes in channel.append(bytes) { _, command in out.append(command.verbText + " " + command.argument) } }
                }
            }
        }
        channel.finish { _, command in out.append(command.verbText + " " + command.argument) }
        return out
    }

    static func replies(_ pieces: [Piece], feeding: Feeding = .whole) -> [String] {
        var channel = ServerControlChannel()
        var out: [String] = []
        func record(_ event: ReplyEvent) {
            switch event {
            case .reply(let reply): out.append("\(reply.code) \(reply.text)\(reply.isComplete ? "" : " (incomplete)")")
            case .invalid(let line): out.append("invalid \(line.text)")
            }
        }
        for piece in pieces {
            switch piece {
            case .gap: channel.gap(record)
            case .text(let text):
                for chunk in feeding.chunks(of: Array(text.utf8)) {
                    chunk.withUnsafeBytes { bytes in channel.append(bytes, record) }
                }
            }
        }
        channel.finish(record)
        return out
    }

    @Test(arguments: Feeding.allCases)
    func partialLineBeforeAGapIsDropped(_ feeding: Feeding) {
        // "RETR fi" was cut by the gap; "le.txt\r\n" after it is not a command; "NOOP" is.
        let pieces: [Piece] = [.text("USER a\r\nRETR fi"), .gap, .text("le.txt\r\nNOOP\r\n")]
        #expect(Self.commands(pieces, feeding: feeding) == ["USER a", "NOOP "])
    }

    @Test(arguments: Feeding.allCases)
    func wholeLineAfterAGapIsKept(_ feeding: Feeding) {
        let pieces: [Piece] = [.text("USER a\r\n"), .gap, .text("PASS b\r\nQUIT\r\n")]
        #expect(Self.commands(pieces, feeding: feeding) == ["USER a", "PASS b", "QUIT "])
    }

    @Test(arguments: Feeding.allCases)
    func replyLineAfterAGapMustStartLikeAReply(_ feeding: Feeding) {
        let pieces: [Piece] = [.text("220 hi\r\n"), .gap, .text("ssword.\r\n230 ok\r\n"), .gap, .text("200 x\r\n")]
        #expect(Self.replies(pieces, feeding: feeding) == ["220 hi", "230 ok", "200 x"])
    }

    /// A multi-line reply open at a gap was silently dropped before: its code and first lines answer a command.
    @Test(arguments: Feeding.allCases)
    func openMultiLineReplyIsDeliveredAtAGap(_ feeding: Feeding) {
        let pieces: [Piece] = [.text("211-Features:\r\n MDTM\r\n SI"), .gap, .text("200 next\r\n")]
        #expect(Self.replies(pieces, feeding: feeding) == ["211 Features:\n MDTM (incomplete)", "200 next"])
    }

    @Test func restartAfterTLSStartsAClearLine() {
        var channel = ClientControlChannel()
        var out: [String] = []
        Array("garbage-without-end".utf8).withUnsafeBytes { channel.append($0) { _, c in out.append(c.verbText) } }
        channel.restart()
        Array("PWD\r\n".utf8).withUnsafeBytes { channel.append($0) { _, c in out.append(c.verbText) } }
        #expect(out == ["PWD"])
    }
}
