import Foundation
import NetworkTypes
import TestSupport
import Testing

@testable import Reports

/// Numbers in the JSON document and the timelines are rounded to thousandths and written from integers; the text
/// must be what the general path (`String(Double)` of the rounded value) gives, which is what every baseline
/// holds.
@Suite struct JSONNumberTests {
    /// The general path, as `appendNumber` took it for every value before the integer writer.
    private static func general(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        let scaled = (value * 1000).rounded() / 1000
        if scaled == scaled.rounded() && abs(scaled) < 1e15 { return String(Int64(scaled)) }
        return String(scaled)
    }

    private static func written(_ value: Double) -> String {
        var bytes: [UInt8] = []
        JSONWriter.appendNumber(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func integerWriterAgreesOnRandomValues() {
        var generator = SplitMix64(seed: 0x1E3)
        var fast = 0
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: JSONWriter.numberRoom)
        defer { scratch.deallocate() }
        for magnitude in -6...16 {
            for _ in 0..<3_000 {
                let value = Double.random(in: -1...1, using: &generator) * pow10(magnitude)
                #expect(Self.written(value) == Self.general(value), "\(value)")
                // Values made as milliseconds are: a whole number of nanoseconds over a million.
                let nanoseconds = Int64.random(in: 0...Int64(min(1e15, pow10(magnitude + 6))), using: &generator)
                let milliseconds = Double(nanoseconds) / 1e6
                #expect(Self.written(milliseconds) == Self.general(milliseconds), "\(nanoseconds) ns")
                if JSONWriter.writeNumber(value, into: scratch) != nil { fast += 1 }
            }
        }
        #expect(fast > 10_000, "most values take the integer writer")
        for value in [0.0, -0.0, 0.0004, -0.0004, 0.0005, -0.0005, 1.5, -1.5, 0.1, 0.7, 999_999_999_999.999, 1e12,
                      1e15, 1.0 / 3.0, Double.nan, Double.infinity, -Double.infinity, Double.leastNonzeroMagnitude] {
            #expect(Self.written(value) == Self.general(value), "\(value)")
        }
    }

    /// A duration of whole microseconds is written from the integer: the same text as the double path.
    @Test func millisecondsAgreeWithTheDoublePath() {
        var generator = SplitMix64(seed: 0x1E5)
        var durations: [Int64] = [0, 1, 999, 1_000, -1_000, 1_500, 500_000, 1 << 52, (1 << 52) - 1_000, -(1 << 52) + 1_000]
        for _ in 0..<20_000 {
            let microseconds = Int64(bitPattern: generator.next()) >> Int64(20 + generator.below(43))
            durations.append(microseconds * 1_000)
            durations.append(microseconds * 1_000 + Int64(generator.below(1_000)))
        }
        let start = Timestamp(nanoseconds: 1_700_000_000_123_456_000)
        for nanoseconds in durations {
            let end = Timestamp(nanoseconds: start.nanoseconds + nanoseconds)
            var integer = JSONWriter(pretty: false)
            integer.milliseconds(from: start, to: end)
            var double = JSONWriter(pretty: false)
            double.double(start.milliseconds(to: end))
            #expect(integer.text == double.text, "\(nanoseconds) ns")
        }
    }

    /// Integers below 1000 take their own digit writer; every integer must read as `String` writes it.
    @Test func integersAgreeWithTheirDescription() {
        var generator = SplitMix64(seed: 0x1E4)
        var values: [Int64] = Array(-1_100...1_100) + [Int64.min, Int64.max, 9_999, 10_000, 99_999]
        for _ in 0..<2_000 { values.append(Int64(bitPattern: generator.next()) >> Int64(generator.below(63))) }
        for value in values {
            var writer = JSONWriter(pretty: false)
            writer.int(value)
            #expect(writer.text == String(value))
            if value >= 0 {
                var unsigned = JSONWriter(pretty: false)
                unsigned.uint(UInt64(value))
                #expect(unsigned.text == String(value))
            }
        }
    }

    private func pow10(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<abs(exponent) { result *= 10 }
        return exponent < 0 ? 1 / result : result
    }
}

/// Strings in the JSON document: Foundation's JSON parser (an implementation from outside the project) reads back
/// exactly the text written, on random strings of plain text, quotes, backslashes, controls and the characters
/// JavaScript ends lines at, in runs long and short around the eight-byte scan.
@Suite struct JSONStringTests {
    @Test func foundationReadsBackRandomStrings() throws {
        var generator = SplitMix64(seed: 0x5751)
        let pieces = ["plain text ", "a", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}", "\u{2028}",
                      "\u{2029}", "\u{2027}", "é", "📁", "abcdefgh", "\u{E2}"]
        for _ in 0..<3_000 {
            let text = (0..<generator.below(12)).map { _ in pieces[generator.below(pieces.count)] }.joined()
            var writer = JSONWriter(pretty: false)
            writer.beginArray()
            writer.element()
            writer.string(text)
            writer.endArray()
            let bytes = writer.exactCopy()
            let parsed = try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String])
            #expect(parsed == [text], "\(text.debugDescription)")
            let written = String(decoding: bytes, as: UTF8.self)
            #expect(!written.contains("\u{2028}") && !written.contains("\u{2029}") && !written.contains("\n"))
        }
    }
}

/// The writer's word-at-a-time paths (keys copied as whole words, indentation stored a word at a time, strings
/// checked and copied in overlapping words) against the byte-at-a-time ones: `JSONValue`'s serializer and
/// `Escaping.appendJSON`, which handle every byte alone.
@Suite struct JSONWriterLayoutTests {
    /// Names of every length from 0 to 33 (around the four- and eight-byte copies).
    private static let names: [StaticString] = [
        "", "a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh", "abcdefghi", "abcdefghij",
        "abcdefghijk", "abcdefghijkl", "abcdefghijklm", "abcdefghijklmn", "abcdefghijklmno", "abcdefghijklmnop",
        "abcdefghijklmnopq", "abcdefghijklmnopqr", "abcdefghijklmnopqrs", "abcdefghijklmnopqrst",
        "abcdefghijklmnopqrstu", "abcdefghijklmnopqrstuv", "abcdefghijklmnopqrstuvw", "abcdefghijklmnopqrstuvwx",
        "abcdefghijklmnopqrstuvwxy", "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz0",
        "abcdefghijklmnopqrstuvwxyz01", "abcdefghijklmnopqrstuvwxyz012", "abcdefghijklmnopqrstuvwxyz0123",
        "abcdefghijklmnopqrstuvwxyz01234", "abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnopqrstuvwxyz0123456",
    ]

    /// Objects nested `levels` deep, each with a member of every name (the innermost holds the strings), written
    /// by the writer and as a tree.
    @Test(arguments: [true, false], [0, 1, 3, 4, 8, 9, 14])
    func nestedMembersMatchTheTree(pretty: Bool, levels: Int) {
        var writer = JSONWriter(pretty: pretty, capacity: 64)
        func level(_ remaining: Int) -> JSONValue {
            writer.beginObject()
            var members: [(String, JSONValue)] = []
            for (position, name) in Self.names.enumerated() {
                writer.key(name)
                let text = name.description
                if remaining > 0 && position == Self.names.count / 2 {
                    members.append((text, level(remaining - 1)))
                } else {
                    writer.string(text)
                    members.append((text, .string(text)))
                }
            }
            writer.key("empty")
            writer.beginArray()
            writer.endArray()
            members.append(("empty", .array([])))
            // A name known only at run time (finding evidence), escaped as a string is.
            writer.key(text: "run \"time\"\u{1}")
            writer.int(remaining)
            members.append(("run \"time\"\u{1}", .int(Int64(remaining))))
            writer.endObject()
            return .object(members)
        }
        let tree = level(levels)
        #expect(writer.text == tree.serialized(pretty: pretty))
    }

    /// Every text of up to 19 bytes with one byte that needs an escape (or none) at each position, and pairs
    /// of them: the short-text halves, the overlapping last word and the hand-over to the escaping path.
    @Test func shortTextsMatchTheByteEscaper() {
        let specials = ["\"", "\\", "\n", "\u{1}", "\u{7F}", "\u{2028}", "\u{2029}", "\u{2027}", "é"]
        var texts: [String] = []
        for length in 0..<20 {
            let plain = String(repeating: "x", count: length)
            texts.append(plain)
            for position in 0...length {
                for special in specials {
                    var text = plain
                    text.insert(contentsOf: special, at: text.index(text.startIndex, offsetBy: position))
                    texts.append(text)
                    texts.append(text + special)
                }
            }
        }
        for text in texts {
            var writer = JSONWriter(pretty: false, capacity: 64)
            writer.string(text)
            var reference: [UInt8] = []
            Escaping.appendJSON(text, to: &reference)
            #expect(writer.exactCopy() == reference, "\(text.debugDescription)")
        }
    }

    /// Longer texts with bytes that need escapes (and near misses: U+2027, é, a lone E2 lead byte's neighbours)
    /// scattered at random, U+2028 across the sixteen-byte blocks the escaping path goes through byte by byte,
    /// and runs of plain text between them of every length around a block: the escaping path's return to whole
    /// words must write what the byte escaper writes.
    @Test func longerTextsWithScatteredEscapesMatchTheByteEscaper() {
        var generator = SplitMix64(seed: 0x2028)
        let specials = [
            "\"", "\\", "\n", "\r", "\t", "\u{1}", "\u{1F}", "\u{7F}", "\u{2028}", "\u{2029}", "\u{2027}", "é", "📁",
        ]
        for _ in 0..<4_000 {
            var text = ""
            for _ in 0..<generator.below(6) {
                text += String(repeating: "p", count: generator.below(40))
                text += specials[generator.below(specials.count)]
            }
            text += String(repeating: "q", count: generator.below(40))
            var writer = JSONWriter(pretty: false, capacity: 64)
            writer.string(text)
            var reference: [UInt8] = []
            Escaping.appendJSON(text, to: &reference)
            #expect(writer.exactCopy() == reference, "\(text.debugDescription)")
        }
    }
}

/// Bytes copied out of the writer into a pool block (`JSONBytesPool.copy`, the way held sessions were kept before
/// the blocks were handed over whole) stay untouched by what the emptied writer writes next, across its growth.
@Suite struct JSONWriterHeldCopyTests {
    @Test func heldCopiesStayWhileTheWriterGoesOn() {
        var writer = JSONWriter(pretty: true, indent: 2, capacity: 64)
        let pool = JSONBytesPool(limit: 1 << 16)
        var held: [(JSONBytes, String)] = []
        for round in 0..<6 {
            writer.beginObject()
            for index in 0..<(round * 40) {
                writer.key("index")
                writer.string("round \(round), member \(index)")
            }
            writer.endObject()
            let text = writer.text
            let bytes = writer.withBytes { pool.copy($0) }
            writer.removeAll()
            #expect(writer.count == 0)
            held.append((bytes, text))
        }
        for (bytes, text) in held {
            #expect(bytes.count == text.utf8.count)
            #expect(bytes.withBytes { String(decoding: $0, as: UTF8.self) } == text)
        }
        #expect(held[0].1 == "{}" && held[5].1.utf8.count > 4_000)
    }
}

/// The streamed document hands each session over in the writer's own storage (`exchangeStorage`) and the writer
/// goes on in another block: what was handed over stays as written while the writer writes on, grows its new
/// block (a `realloc` of a pool block) and hands that over in turn.
@Suite struct JSONWriterExchangeTests {
    @Test func handedOverStorageKeepsItsBytesWhileTheWriterGoesOn() {
        let pool = JSONBytesPool(limit: 1 << 20)
        var writer = JSONWriter(pretty: true, indent: 2, capacity: 64)
        var held: [(JSONBytes, String)] = []
        var storage = pool.block(for: 4096)
        // The writer's own 64 bytes are not one of the pool's sizes: given back, they are freed, not kept.
        let original = writer.exchangeStorage(for: storage.base, capacity: storage.capacity)
        #expect(original.count == 0 && original.capacity == 64)
        pool.give(original.base, capacity: original.capacity)
        #expect(pool.spareBytes == 0)
        for round in 0..<8 {
            writer.beginObject()
            // Round 5 outgrows its 4 KiB block several times over (grown by doubling: still one of the pool's
            // sizes, so it goes back to the pool like the others).
            for index in 0..<(round == 5 ? 2_000 : round * 10) {
                writer.key("index")
                writer.string("round \(round), member \(index)")
            }
            writer.endObject()
            let text = writer.text
            storage = pool.block(for: 4096)
            let given = writer.exchangeStorage(for: storage.base, capacity: storage.capacity)
            #expect(given.count == text.utf8.count && writer.count == 0 && writer.reservedCapacity == 4096)
            #expect(round == 5 ? given.capacity > 4096 : given.capacity == 4096)
            held.append((pool.adopt(given.base, count: given.count, capacity: given.capacity), text))
        }
        for (bytes, text) in held { #expect(bytes.withBytes { String(decoding: $0, as: UTF8.self) } == text) }
        #expect(held[0].1 == "{}" && held[5].1.utf8.count > 50_000)
        let grown = held[5].0.count
        held.removeAll()
        // Every block came back, the grown one among them.
        #expect(pool.spareBytes >= 7 * 4096 + grown)
    }
}
