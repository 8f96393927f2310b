import FTPAnalysis
import TestSupport
import Testing

/// The analyzer applies the control channel's one gap policy (FTPProtocol's `ServerControlChannel`).
@Suite struct ControlGapTests {
    /// A multi-line reply cut by a capture gap still answers its command (it used to be dropped, leaving the
    /// command without a reply and the next reply to be re-paired).
    @Test func multiLineReplyOpenAtAGapAnswersItsCommand() throws {
        var control = ConversationBuilder(client: Hosts.client, server: Hosts.server)
        control.handshake()
        control.serverSends("220 x\r\n")
        control.clientSends("FEAT\r\n")
        control.serverSends("211-Features:\r\n MDTM\r\n")
        let lost = control.packets.count
        control.serverSends(" SIZE\r\n211 End\r\n")
        control.clientSends("PWD\r\n")
        control.serverSends("257 \"/\" is the current directory\r\n")
        control.clientSends("QUIT\r\n")
        control.serverSends("221 bye\r\n")
        control.clientFIN()
        var frames = control.packets
        frames.remove(at: lost)
        let session = try #require(Harness().run(frames).sessions.first)
        #expect(session.missingBytes == UInt64(" SIZE\r\n211 End\r\n".utf8.count))
        #expect(session.commands.map(\.verbText) == ["FEAT", "PWD", "QUIT"])
        #expect(session.commands[0].reply?.code == 211)
        #expect(session.commands[0].reply?.text == "Features:\n MDTM")
        #expect(!session.commands[0].replyLost)
        #expect(session.commands[1].reply?.code == 257)
        #expect(session.commands[2].reply?.code == 221)
    }
}
