import FTPProtocol
import Testing

@testable import Reports

/// The CSV timeline and the JSON document write a verb's name from its literal (`FTPVerb.nameWord`): the same text
/// as `name`, and none for a verb outside the catalog (written as sent).
@Suite struct VerbWordsTests {
    @Test func everyKnownVerbIsWrittenAsItsName() {
        for verb in FTPVerb.allKnown {
            #expect(verb.nameWord.map(\.description) == verb.name, "\(verb.name)")
        }
        #expect(FTPVerb.other(FTPVerb.Spelling(Array("XYZZ".utf8)[...])).nameWord == nil)
    }
}
