import NetworkTypes
import Testing

@testable import Reports

/// Sentences built in the thread's scratch against the `String` interpolation they stand in for, however the
/// pieces nest.
@Suite struct SentenceTextTests {
    private static let client = Endpoint(address: .v4(0xC000_020A), port: 51_234)
    private static let server = IPAddress.v6(0x2001_0db8_0000_0000, 1)

    /// A piece of its own, made by a function while an outer piece is being built.
    private static func summary(_ code: Int, _ text: String) -> SentenceText { "\(code) \(text)" }

    /// Two pieces made, the first one returned: the second is left behind in the scratch.
    private static func firstOfTwo(_ number: Int) -> SentenceText {
        let first: SentenceText = "first \(number)"
        let second: SentenceText = "second \(first) and more"
        return second.isEmpty ? second : first
    }

    /// Two pieces made, the second (which copies the first) returned: the first lies between.
    private static func secondOfTwo(_ number: Int) -> SentenceText {
        let first: SentenceText = "one \(number)"
        return "two [\(first)]"
    }

    @Test func piecesMadeBeforeAndWhileASentenceIsBuiltReadAsStringInterpolation() {
        SentenceScratch.current.pointee.begin()
        let earlier: SentenceText = "made before \(Self.client)"
        let literal: SentenceText = "a literal"
        let inline = Self.client.port > 0
        let sentence: SentenceText = """
            A \(earlier), \(Self.summary(226, "Transfer complete")) then \(Self.firstOfTwo(7)); \
            \(Self.secondOfTwo(-42)) at \(Self.server) \(literal) \(inline ? "inline" : literal) \(peer: nil) \
            \(peer: Self.server) \(UInt64.max) \(-5).
            """
        let expected = """
            A made before 192.0.2.10:51234, 226 Transfer complete then first 7; two [one -42] at 2001:db8::1 \
            a literal inline the peer 2001:db8::1 18446744073709551615 -5.
            """
        #expect(sentence.string == expected)
        // The pieces made before are still themselves.
        #expect(earlier.string == "made before 192.0.2.10:51234")
        #expect(literal.string == "a literal")
        #expect(sentence.count == expected.utf8.count)
    }

    /// A sentence longer than the scratch's first buffer (it grows and moves) keeps every piece made before.
    @Test func growingTheScratchKeepsEarlierPieces() {
        SentenceScratch.current.pointee.begin()
        let early: SentenceText = "early \(Self.client)"
        var sentence: SentenceText = "start"
        var expected = "start"
        for index in 0..<300 {
            sentence = "\(sentence) \(index) \(early)"
            expected += " \(index) early 192.0.2.10:51234"
        }
        #expect(sentence.string == expected)
        #expect(early.string == "early 192.0.2.10:51234")
    }
}
