import Foundation
import Reports
import Testing

@Suite struct EscapingTests {
    static let hostile = [
        "plain", "\u{1B}[31mred\u{1B}[0m", "tab\there", "line\nbreak", "cr\rreturn", "nul\u{0}byte", "del\u{7F}",
        "c1\u{9B}31m", "back\\slash", "quote\"s", "bidi\u{202E}txt.exe", "sep\u{2028}arator", "emoji 📁", "\\x41",
    ]

    @Test(arguments: hostile)
    func terminalTextHasNoControlCharacters(_ text: String) {
        let escaped = Escaping.terminal(text)
        #expect(!escaped.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) })
        #expect(!escaped.unicodeScalars.contains { (0x202A...0x202E).contains($0.value) })
    }

    @Test func terminalEscapesAreReadable() {
        #expect(Escaping.terminal("\u{1B}[31m") == "\\x1b[31m")
        #expect(Escaping.terminal("a\\b") == "a\\\\b")
        #expect(Escaping.terminal("a\nb") == "a\\nb")
    }

    @Test(arguments: hostile)
    func jsonStringsRoundTrip(_ text: String) throws {
        let literal = Escaping.json(text)
        let parsed = try JSONSerialization.jsonObject(with: Data("[\(literal)]".utf8)) as? [String]
        #expect(parsed == [text])
        #expect(!literal.unicodeScalars.contains { $0.value < 0x20 })
    }

    @Test func jsonDocumentsAreValid() throws {
        let value = JSONValue.object([
            ("text", .string("\u{1B}\"\\\n")), ("n", .int(-3)), ("u", .uint(UInt64.max)), ("d", .double(1.25)),
            ("nan", .double(.nan)), ("list", .array([.null, .bool(true)])), ("empty", .object([])),
        ])
        for pretty in [true, false] {
            let text = value.serialized(pretty: pretty)
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            #expect(object?["text"] as? String == "\u{1B}\"\\\n")
            #expect(object?["d"] as? Double == 1.25)
            #expect(object?["nan"] is NSNull)
        }
    }

    /// The streamed form of a document (deferred arrays, flushed in small pieces) is the same text as the whole.
    @Test func streamedDocumentsEqualWholeOnes() throws {
        var made = 0
        let commands = JSONValue.deferredArray(
            JSONDeferredArray(count: 500) { index in
                made += 1
                return .object([("n", .int(Int64(index))), ("text", .string("line \(index) \u{1B}"))])
            })
        let value = JSONValue.object([
            ("sessions", .array([.object([("commands", commands), ("none", .deferredArray(JSONDeferredArray(count: 0) { _ in .null }))])])),
            ("after", .bool(true)),
        ])
        for pretty in [true, false] {
            let whole = value.serialized(pretty: pretty)
            var pieces: [String] = []
            value.write(pretty: pretty, chunkBytes: 64) { pieces.append($0) }
            #expect(pieces.joined() == whole)
            #expect(pieces.count > 10, "written in pieces, not at the end")
            #expect(pieces.allSatisfy { $0.utf8.count < 64 + 200 }, "no piece grows past a chunk and one element")
            let object = try JSONSerialization.jsonObject(with: Data(whole.utf8)) as? [String: Any]
            let sessions = object?["sessions"] as? [[String: Any]]
            #expect((sessions?.first?["commands"] as? [Any])?.count == 500)
            #expect((sessions?.first?["none"] as? [Any])?.isEmpty == true)
        }
        #expect(made == 2000, "each element made once per serialisation, never kept")
    }

    @Test func humanUnits() {
        #expect(HumanUnits.bytes(512) == "512 B")
        #expect(HumanUnits.bytes(20_000) == "19.5 KiB")
        #expect(HumanUnits.bytes(5_416_666_670) == "5.0 GiB")
        #expect(HumanUnits.duration(milliseconds: 850) == "850 ms")
        #expect(HumanUnits.duration(milliseconds: 12_345) == "12.3 s")
    }
}
