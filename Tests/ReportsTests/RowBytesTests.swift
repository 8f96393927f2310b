import FTPAnalysis
import FTPProtocol
import NetworkTypes
import Testing

@testable import Reports

/// The row buffer behind the timeline writers, and the memo of verdict wordings: each against the plain thing it
/// stands in for.
@Suite struct RowBytesTests {
    /// Random appends of every kind, with growth far past the initial room and shrinking after a huge row, give
    /// exactly the bytes a `[UInt8]` collects.
    @Test func appendsAreWhatAnArrayCollects() {
        var generator = SystemRandomNumberGenerator()
        let buffer = RowBytes(capacity: 16)
        var expected: [UInt8] = []
        for round in 0..<2_000 {
            if round % 97 == 0 {
                buffer.removeAll()
                expected.removeAll()
            }
            switch Int.random(in: 0..<6, using: &generator) {
            case 0:
                let byte = UInt8.random(in: 0...255, using: &generator)
                buffer.append(byte)
                expected.append(byte)
            case 1:
                buffer.append(0x0D, 0x0A)
                expected += [0x0D, 0x0A]
            case 2:
                // Now and then a run bigger than everything so far (a huge reply text).
                let count = round % 301 == 0 ? 40_000 : Int.random(in: 0..<64, using: &generator)
                let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
                bytes.withUnsafeBufferPointer { buffer.append($0) }
                expected += bytes
            case 3:
                let value = Int64.random(in: Int64.min...Int64.max, using: &generator)
                buffer.appendDecimal(value)
                expected += Array(String(value).utf8)
            case 4:
                let endpoint = Endpoint(
                    address: .v6(UInt64.random(in: 0...UInt64.max), UInt64.random(in: 0...3)), port: 21)
                buffer.append(endpoint, cache: round % 2 == 0 ? EndpointTextCache() : nil)
                expected += Array(endpoint.description.utf8)
            default:
                let value = Double.random(in: -1e6...1e6, using: &generator)
                buffer.appendNumber(value)
                JSONWriter.appendNumber(value, to: &expected)
            }
            #expect(buffer.count == expected.count)
        }
        #expect(Array(buffer.bytes) == expected)
    }

    @Test func numbersOutsideTheIntegerPathAreStillJSONWritersText() {
        let buffer = RowBytes()
        var expected: [UInt8] = []
        for value in [1e300, -2.5e18, .infinity, .nan, 0.0005, -0.0] {
            buffer.appendNumber(value)
            JSONWriter.appendNumber(value, to: &expected)
        }
        #expect(Array(buffer.bytes) == expected)
    }

    static func verdict(port: UInt16, syns: Int, argument: String?, status: DataStatus) -> DataVerdict {
        var evidence = DataEvidence()
        evidence.synAttempts = syns
        evidence.announced = Endpoint(address: .v4(0x0A00_0002), port: port)
        evidence.mode = .active
        evidence.announcementVerb = .port
        evidence.client = .v4(0xC000_0201)
        evidence.server = .v4(0xC000_0215)
        evidence.announcedAddress = .behindNAT
        evidence.command = .retr
        evidence.argument = argument
        return DataVerdict(status: status, cause: .natWithoutALG, evidence: evidence)
    }

    /// The memo answers what wording afresh answers: for repeats, for more verdicts than it has slots, and for
    /// verdicts with the same fingerprint (same endpoints, SYNs and reply) that differ elsewhere.
    @Test func rememberedWordingIsTheFreshWording() {
        var verdicts: [DataVerdict] = []
        for port in stride(from: UInt16(40_000), to: 40_600, by: 1) {
            verdicts.append(Self.verdict(port: port, syns: Int(port % 4), argument: "f\(port)", status: .unanswered))
        }
        // Same fingerprint as the first, other argument and status: must not be taken for it.
        verdicts.append(Self.verdict(port: 40_000, syns: 0, argument: "other", status: .unanswered))
        verdicts.append(Self.verdict(port: 40_000, syns: 0, argument: "f40000", status: .refused))
        for round in 0..<3 {
            for (index, verdict) in verdicts.enumerated() where (index + round) % 3 != 0 {
                #expect(CauseWording.wording(of: verdict) == CauseWording.makeWording(of: verdict))
                #expect(CauseWording.diagnosis(of: verdict) == CauseWording.makeWording(of: verdict)?.sentence)
                // The bytes the writers read in place, from a slot that held longer and shorter sentences.
                let inPlace = CauseWording.withDiagnosis(of: verdict) { Array($0) }
                #expect(inPlace == CauseWording.makeWording(of: verdict).map { Array($0.sentence.utf8) })
            }
        }
        // Nothing to explain: the body is not called.
        var completed = verdicts[0]
        completed.status = .completed
        #expect(CauseWording.withDiagnosis(of: completed) { _ in Issue.record("called") } == nil)
        #expect(CauseWording.diagnosis(of: verdicts[0]) != CauseWording.diagnosis(of: verdicts[601]))
    }

    /// The reply text quoted without its final period is what `dropLast()` leaves of it, for ASCII texts and for
    /// ones whose period follows a character of more than one byte or joins it (a prepended mark, U+0600).
    @Test func trimmingFinalPeriodIsDropLast() {
        let texts = [
            "", ".", "..", "No such file.", "No such file", "Fichier inexistant: é.", "é.", "\u{0600}.", "a.\u{0301}",
            "done.\r", "\r.", "👍.", "x\u{200D}.",
        ]
        for text in texts {
            let expected = text.hasSuffix(".") ? text.dropLast() : text[...]
            #expect(text.trimmingFinalPeriod == expected, "\(text.unicodeScalars.map(\.value))")
            #expect(Array(text.trimmingFinalPeriod.utf8) == Array(expected.utf8))
        }
    }

    /// A CSV cell written from a text's UTF-8 (a diagnosis read in place) is the cell written from the text: plain,
    /// quoted for commas, with quotes doubled, neutralised as a formula, with controls shown, and empty.
    @Test func textCellFromBytesIsTheTextCell() {
        let texts = [
            "plain words", "a, b and c", "he said \"no\", twice", "=SUM(A1)", "bell\u{07} here", "",
            "The client's data connection to 10.0.0.2:40000 got no answer (2 SYNs unanswered).",
        ]
        for text in texts {
            let fromString = RowBytes()
            CSVTimelineWriter.textCell(text, fromString)
            let fromBytes = RowBytes()
            Array(text.utf8).withUnsafeBufferPointer { CSVTimelineWriter.textCell(utf8: $0, fromBytes) }
            #expect(Array(fromBytes.bytes) == Array(fromString.bytes), "\(text)")
        }
    }

    /// A verdict equal to one worded before but not the same bytes (its argument an equal string in a buffer of
    /// its own) is still answered from the memo with the same wording; one that differs only in the bytes of an
    /// argument of the same length is not taken for it.
    @Test func equalVerdictsInOtherBuffersShareTheirWording() {
        // Built at run time and longer than a small string: each is a buffer of its own.
        // A refused RETR: its wording quotes the argument.
        func refused(_ tail: String) -> DataVerdict {
            var verdict = Self.verdict(
                port: 41_000, syns: 0, argument: String(repeating: "/pub/archive", count: 3) + tail,
                status: .commandFailed)
            verdict.evidence.refusal = .command
            verdict.evidence.reply = ReplyLine(code: 550, text: "No such file.")
            return verdict
        }
        let first = refused("a.tar")
        let equal = refused("a.tar")
        let other = refused("b.tar")
        // Not the same bytes, yet equal: `==` decides.
        let firstBytes = withUnsafeBytes(of: first) { Array($0) }
        #expect(withUnsafeBytes(of: equal) { Array($0) } != firstBytes)
        #expect(first == equal)
        let worded = CauseWording.diagnosis(of: first)
        #expect(worded == CauseWording.makeWording(of: first)?.sentence)
        #expect(CauseWording.diagnosis(of: first) == worded)
        #expect(CauseWording.diagnosis(of: equal) == worded)
        #expect(CauseWording.wording(of: equal) == CauseWording.makeWording(of: equal))
        let otherWorded = CauseWording.diagnosis(of: other)
        #expect(otherWorded == CauseWording.makeWording(of: other)?.sentence)
        #expect(otherWorded != worded)
        #expect(otherWorded?.contains("b.tar") == true)
    }
}
