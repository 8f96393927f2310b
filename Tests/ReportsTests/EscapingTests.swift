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

    /// The JSON escaping works on UTF-8 bytes; its literals are what the scalar-by-scalar rule gives: `\u00XX`
    /// for controls and DEL, the short forms for `\n \r \t " \\`, `\u2028`/`\u2029`, everything else as is.
    @Test func jsonEscapesAreExact() {
        #expect(Escaping.json("a\u{0}b\u{1F}c\u{7F}") == "\"a\\u0000b\\u001fc\\u007f\"")
        #expect(Escaping.json("q\"b\\n\nr\rt\t") == "\"q\\\"b\\\\n\\nr\\rt\\t\"")
        #expect(Escaping.json("x\u{2028}y\u{2029}z") == "\"x\\u2028y\\u2029z\"")
        #expect(Escaping.json("é📁\u{2027}\u{202A}") == "\"é📁\u{2027}\u{202A}\"")
        #expect(Escaping.json("") == "\"\"")
        // The same character cut differently in the bytes (E2 80 A8 at the very end, and a lone E2 80).
        #expect(Escaping.json("end\u{2028}") == "\"end\\u2028\"")
    }

    /// Random strings over a hostile alphabet round-trip through a JSON parser from outside the project.
    @Test(arguments: 0..<8)
    func randomJSONStringsRoundTrip(_ seed: Int) throws {
        var generator = SeededGenerator(seed: UInt64(seed) &+ 0x9E37_79B9)
        let alphabet: [Character] = ["a", "\"", "\\", "\n", "\u{0}", "\u{1B}", "\u{7F}", "\u{2028}", "\u{2029}", "é", "📁", "\u{E2}"]
        for _ in 0..<200 {
            let text = String((0..<Int.random(in: 0...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            let literal = Escaping.json(text)
            let parsed = try JSONSerialization.jsonObject(with: Data("[\(literal)]".utf8)) as? [String]
            #expect(parsed == [text])
            #expect(!literal.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || $0.value == 0x2028 || $0.value == 0x2029 })
        }
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

/// splitmix64: a small deterministic generator for repeatable random tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
