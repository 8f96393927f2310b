import FTPProtocol
import Testing

@testable import Reports

/// The CSV timeline writes a verb's name from its literal (`FTPVerb.nameWord`): the same text as `name`.
@Suite struct VerbWordsTests {
    @Test func everyKnownVerbIsWrittenAsItsName() {
        for verb in FTPVerb.allKnown {
            #expect(verb.nameWord.map(\.description) == verb.name, "\(verb.name)")
        }
    }
}
