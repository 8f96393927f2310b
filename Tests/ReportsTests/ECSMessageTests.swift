import Testing

@testable import Reports

/// The ECS `message` takes a reply's first line from its bytes; it must be the line the character-based split
/// (what the message was first made with) finds, whatever the line ends and characters.
@Suite struct ECSMessageTests {
    @Test(arguments: [
        "226 Transfer complete.", "", "\n", "\n\n", "one\ntwo", "\nsecond", "\n\nthird\nfourth", "trailing\n",
        "cr\r\nlf", "\r\nafter crlf", "a\r\r\nb", "lone\rcr\nnext", "é\nè", "\n\u{301}combining", "x\n\u{301}",
        "tab\tin\nline", "🙂\n🙃",
    ])
    func firstLineIsTheSplitsFirst(_ text: String) {
        let expected = text.split(separator: "\n").first.map(String.init)
        var copy = text
        let found = copy.withUTF8 { bytes in
            ECSMessage.firstLine(of: bytes).map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
        }
        #expect(found == expected)
    }

    /// Without a detail, the message is the command, its argument, the data status and the reply.
    @Test func messageJoinsWhatWasSaidAndAnswered() {
        var row = TimelineRow(time: .zero, session: "S1", event: .dataConnection)
        row.command = "RETR"
        row.dataStatus = .completed
        row.replyCode = 226
        var out = JSONWriter(pretty: false)
        out.beginObject()
        ECSMessage.write(row, argument: "a.txt", replyText: "\nTransfer complete.\nBye", into: &out)
        out.endObject()
        #expect(out.text == #"{"message":"RETR a.txt completed → 226 Transfer complete."}"#)
        var bare = JSONWriter(pretty: false)
        bare.beginObject()
        ECSMessage.write(TimelineRow(time: .zero, session: "S1", event: .reply), argument: nil, replyText: nil, into: &bare)
        bare.endObject()
        #expect(bare.text == "{}")
    }
}
