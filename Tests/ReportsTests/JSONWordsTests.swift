import FTPAnalysis
import FTPProtocol
import Testing

@testable import Reports

/// The vocabulary literals the writers copy are the raw values the words are defined by (the connection states
/// and close kinds of the transport layer are held to theirs by the documents the end-to-end tests compare).
@Suite struct JSONWordsTests {
    private static func text(_ word: StaticString) -> String { word.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } }

    @Test func everyWordIsItsRawValue() {
        for status in DataStatus.allCases { #expect(Self.text(status.word) == status.rawValue) }
        for cause in DataCause.allCases { #expect(Self.text(cause.word) == cause.rawValue) }
        let modes: [DataMode] = [.active, .passive, .extendedActive, .extendedPassive, .longActive, .longPassive]
        for mode in modes { #expect(Self.text(mode.word) == mode.rawValue) }
        for match in [DataChannelMatch.exact, .portOnly, .inferred] { #expect(Self.text(match.word) == match.rawValue) }
        for side in [DataSide.client, .server] { #expect(Self.text(side.word) == side.rawValue) }
    }
}
