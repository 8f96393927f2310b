import FTPProtocol
import TestSupport
import Testing

@Suite("LineFramer")
struct LineFramerTests {
    static let sampleSession: [UInt8] = Array(
        "220 ready\r\nUSER anonymous\r\nPASS a@b\nCWD /pub/a\rb\r\n\r\nLIST\r\n".utf8)
        + [0xFF, 0xF4, 0xFF, 0xF2] + Array("ABOR\r\n".utf8)  // IAC IP IAC DM before ABOR (RFC 959 4.1.3)
        + Array("SITE x".utf8) + [0xFF, 0xFF] + Array("y\r\n".utf8)  // IAC IAC is a 0xFF data byte
        + [0xFF, 0xFB, 0x01] + Array("NOOP\r\n".utf8)  // IAC WILL ECHO removed
        + Array("RETR caf\u{E9}\r\n".utf8) + [0x52, 0x45, 0x54, 0x52, 0x20, 0xC3, 0x28, 0x0D, 0x0A]  // invalid UTF-8
        + Array("QUIT".utf8)  // unterminated

    static let sampleExpected: [String] = [
        "220 ready", "USER anonymous", "PASS a@b", "CWD /pub/a\rb", "", "LIST", "ABOR", "SITE x\\xFFy", "NOOP",
        "RETR caf\u{E9}", "RETR \\xC3(", "QUIT",
    ]

    @Test("whole, byte by byte and random splits give the same lines", arguments: Feeding.allCases)
    func feedingsAgree(feeding: Feeding) {
        let lines = frame(Self.sampleSession, feeding: feeding)
        #expect(lines.map(\.text) == Self.sampleExpected)
        #expect(lines.map(\.unterminated) == Array(repeating: false, count: Self.sampleExpected.count - 1) + [true])
        #expect(lines.allSatisfy { !$0.truncated && $0.originalLength == $0.bytes.count })
    }

    @Test("many random seeds agree with whole feeding", arguments: 0..<64)
    func randomSeeds(seed: Int) {
        let whole = frame(Self.sampleSession)
        #expect(frame(Self.sampleSession, feeding: .randomSplits, seed: UInt64(seed)) == whole)
    }

    @Test(
        "line ends",
        arguments: [
            ("A\r\nB\r\n", ["A", "B"]),
            ("A\nB\n", ["A", "B"]),
            ("A\r\nB\n", ["A", "B"]),
            ("A\rB\r\n", ["A\rB"]),  // bare CR is data
            ("A\r\rB\n", ["A\r\rB"]),
            ("A\r\r\n", ["A\r"]),  // the last CR before LF is the line end, the first is data
            ("\r\n\n", ["", ""]),
            ("A\n\rB\n", ["A", "\rB"]),
        ])
    func lineEnds(input: String, expected: [String]) {
        for feeding in Feeding.allCases {
            let lines = frame(input, feeding: feeding)
            #expect(lines.map(\.text) == expected, "\(feeding)")
            #expect(lines.allSatisfy { !$0.unterminated })
        }
    }

    @Test("CR at the end of one chunk and LF at the start of the next are one line end")
    func crlfAcrossChunks() {
        var framer = LineFramer()
        var lines: [String] = []
        framer.append(Array("USER a\r".utf8)) { lines.append($0.text) }
        #expect(lines.isEmpty)
        #expect(framer.pendingByteCount == 7)
        framer.append(Array("\nPASS b\r\n".utf8)) { lines.append($0.text) }
        #expect(lines == ["USER a", "PASS b"])
        #expect(framer.pendingByteCount == 0)
    }

    @Test(
        "TELNET IAC sequences are stripped (RFC 854)",
        arguments: [
            ([0xFF, 0xFF], [0xFF]),  // IAC IAC -> data 0xFF
            ([0xFF, 0xFB, 0x18], []),  // IAC WILL TERMINAL-TYPE
            ([0xFF, 0xFC, 0x0A], []),  // IAC WONT with option byte 0x0A: the option is not a line end
            ([0xFF, 0xFD, 0x01], []),  // IAC DO ECHO
            ([0xFF, 0xFE, 0x01], []),  // IAC DONT ECHO
            ([0xFF, 0xF4], []),  // IAC IP
            ([0xFF, 0xF2], []),  // IAC DM
            ([0xFF, 0xF1], []),  // IAC NOP
            ([0xFF, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF]),
            ([0xFF, 0xFF, 0xFF, 0xF4], [0xFF]),
        ] as [([UInt8], [UInt8])])
    func iacSequences(sequence: [UInt8], data: [UInt8]) {
        let input = Array("AB".utf8) + sequence + Array("C\r\n".utf8)
        for feeding in Feeding.allCases {
            let lines = frame(input, feeding: feeding)
            #expect(lines.count == 1, "\(feeding)")
            #expect(lines.first?.bytes == Array("AB".utf8) + data + Array("C".utf8), "\(feeding)")
        }
    }

    @Test("IAC split across chunks at every position")
    func iacSplitEverywhere() {
        let input: [UInt8] = Array("X".utf8) + [0xFF, 0xFB, 0x03, 0xFF, 0xFF] + Array("Y\r\n".utf8)
        for cut in 0...input.count {
            var framer = LineFramer()
            var lines: [FTPLine] = []
            framer.append(Array(input[..<cut])) { lines.append($0) }
            framer.append(Array(input[cut...])) { lines.append($0) }
            #expect(lines.map(\.bytes) == [[0x58, 0xFF, 0x59]], "cut at \(cut)")
        }
    }

    @Test("over-long lines keep the first maxLineLength bytes and count the rest", arguments: Feeding.allCases)
    func truncation(feeding: Feeding) {
        var limits = FTPLimits()
        limits.maxLineLength = 8
        let long = String(repeating: "A", count: 20)
        let lines = frame("SHORT\r\n\(long)\r\nNEXT\r\n12345678\r\n", feeding: feeding, limits: limits)
        #expect(lines.map(\.text) == ["SHORT", "AAAAAAAA", "NEXT", "12345678"])
        #expect(lines.map(\.truncated) == [false, true, false, false])
        #expect(lines.map(\.originalLength) == [5, 20, 4, 8])
    }

    @Test("the default limit is 4096 bytes")
    func defaultLimit() {
        let lines = frame(String(repeating: "x", count: 10_000) + "\n")
        #expect(lines.count == 1)
        #expect(lines[0].bytes.count == 4096)
        #expect(lines[0].originalLength == 10_000)
        #expect(lines[0].truncated)
    }

    @Test("finish emits the partial line flagged unterminated, then the framer starts afresh")
    func finishPartial() {
        var framer = LineFramer()
        var lines: [FTPLine] = []
        framer.append(Array("NOOP\r\nSTAT".utf8)) { lines.append($0) }
        framer.finish { lines.append($0) }
        #expect(lines.map(\.text) == ["NOOP", "STAT"])
        #expect(lines.map(\.unterminated) == [false, true])
        framer.finish { lines.append($0) }
        #expect(lines.count == 2)  // nothing pending: nothing emitted
        framer.append(Array("HELP\r".utf8)) { lines.append($0) }
        framer.finish { lines.append($0) }
        #expect(lines.last == FTPLine(bytes: Array("HELP".utf8), unterminated: true))  // trailing CR dropped
    }

    @Test(
        "invalid UTF-8 bytes are written as \\xNN",
        arguments: [
            ([0x41, 0xFE, 0x42], "A\\xFEB"),
            ([0xC3, 0xA9], "\u{E9}"),
            ([0xC3], "\\xC3"),
            ([0xE2, 0x82], "\\xE2\\x82"),  // truncated 3-byte sequence
            ([0xC0, 0xAF], "\\xC0\\xAF"),  // overlong "/"
            ([0xED, 0xA0, 0x80], "\\xED\\xA0\\x80"),  // UTF-16 surrogate
            ([0x00, 0x1B], "\u{0}\u{1B}"),  // valid control characters are kept
            ([0xF0, 0x9F, 0x98, 0x80, 0x80], "\u{1F600}\\x80"),
        ] as [([UInt8], String)])
    func invalidUTF8(bytes: [UInt8], text: String) {
        #expect(FTPLine(bytes: bytes).text == text)
    }

    @Test("emitted lines do not share the framer's buffer")
    func linesAreIndependent() {
        var framer = LineFramer()
        var lines: [FTPLine] = []
        framer.append(Array("AAAA\nBB\n".utf8)) { lines.append($0) }
        #expect(lines.map(\.text) == ["AAAA", "BB"])
        #expect(lines[0].bytes.capacity < 4096)
    }
}

/// The framer against the rule stated byte by byte (RFC 854 IAC handling, LF or the stream's end ends a line and
/// a CR just before it goes, the first `maxLineLength` bytes kept), on random streams of plain bytes, CR, LF and TELNET commands fed
/// in random chunks.
@Suite struct LineFramerRuleTests {
    private static func byRule(_ stream: [UInt8], limit: Int) -> [FTPLine] {
        var lines: [FTPLine] = []
        var data: [UInt8] = []  // the line's data bytes, CR included until a LF removes a final one
        var index = 0
        func end(unterminated: Bool) {
            lines.append(
                FTPLine(
                    bytes: Array(data.prefix(limit)), truncated: data.count > limit, originalLength: data.count,
                    unterminated: unterminated))
            data.removeAll()
        }
        while index < stream.count {
            let byte = stream[index]
            index += 1
            if byte == 0xFF {
                guard index < stream.count else { break }
                let command = stream[index]
                index += 1
                if command == 0xFF { data.append(0xFF) } else if (251...254).contains(command) { index += 1 }
                continue
            }
            if byte == 0x0A {
                if data.last == 0x0D { data.removeLast() }
                end(unterminated: false)
            } else {
                data.append(byte)
            }
        }
        if !data.isEmpty {  // the stream's end ends the last line too, and a CR just before it goes as well
            if data.last == 0x0D { data.removeLast() }
            end(unterminated: true)
        }
        return lines
    }

    @Test func randomStreamsFollowTheRule() {
        var generator = SplitMix64(seed: 0xF4A3)
        let alphabet: [UInt8] = [0x41, 0x42, 0x20, 0x0D, 0x0A, 0xFF, 0xFB, 0xF4, 0x00, 0xC3]
        for _ in 0..<2_000 {
            let limit = 1 + generator.below(12)
            let stream = (0..<generator.below(80)).map { _ in
                generator.below(3) == 0 ? alphabet[generator.below(alphabet.count)] : 0x61
            }
            var framer = LineFramer(limits: FTPLimits(maxLineLength: limit, maxReplyLines: 10))
            var lines: [FTPLine] = []
            var start = 0
            while start < stream.count {
                let end = min(stream.count, start + 1 + generator.below(10))
                framer.append(Array(stream[start..<end])) { lines.append($0) }
                start = end
            }
            framer.finish { lines.append($0) }
            #expect(lines == Self.byRule(stream, limit: limit), "\(stream) limit \(limit)")
        }
    }

    /// Framers sharing one line buffer (as an analysis's sessions do), fed chunks of their streams in turn, each
    /// follow the rule: a line split across chunks keeps its bytes while the other framers use the shared buffer.
    @Test func framersSharingALineBufferFollowTheRule() {
        var generator = SplitMix64(seed: 0x5A4E)
        let alphabet: [UInt8] = [0x41, 0x42, 0x20, 0x0D, 0x0A, 0xFF, 0xFB, 0xF4, 0x00, 0xC3]
        let shared = SharedLineBuffer.allocate()
        defer { shared.deallocate() }
        for _ in 0..<500 {
            let limit = 1 + generator.below(12)
            let limits = FTPLimits(maxLineLength: limit, maxReplyLines: 10)
            let streams = (0..<3).map { _ in
                (0..<generator.below(80)).map { _ in
                    generator.below(3) == 0 ? alphabet[generator.below(alphabet.count)] : 0x61
                }
            }
            var framers = streams.map { _ in LineFramer(limits: limits) }
            var lines: [[FTPLine]] = streams.map { _ in [] }
            var starts = streams.map { _ in 0 }
            while starts.indices.contains(where: { starts[$0] < streams[$0].count }) {
                for index in streams.indices where starts[index] < streams[index].count {
                    let end = min(streams[index].count, starts[index] + 1 + generator.below(10))
                    Array(streams[index][starts[index]..<end]).withUnsafeBytes { bytes in
                        framers[index].append(bytes, shared: shared) { lines[index].append($0) }
                    }
                    starts[index] = end
                }
            }
            for index in streams.indices {
                framers[index].finish { lines[index].append($0) }
                #expect(lines[index] == Self.byRule(streams[index], limit: limit), "\(streams[index]) limit \(limit)")
            }
        }
    }
}

@Suite struct LineTextTests {
    /// The rule, scalar by scalar: valid UTF-8 sequences as they are, each byte of an invalid one as `\xNN`.
    private static func byRule(_ bytes: [UInt8]) -> String {
        var text = ""
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var position = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                text.unicodeScalars.append(Unicode.UTF8.decode(encoded))
                position += encoded.count
            case .error(let length):
                for byte in bytes[position..<(position + length)] {
                    text += "\\x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
                }
                position += length
            case .emptyInput:
                return text
            }
        }
    }

    @Test func textFollowsTheRuleOnRandomLines() {
        var generator = SplitMix64(seed: 0x7E47)
        let pieces: [[UInt8]] = [
            Array("RETR ".utf8), Array("caf\u{E9}".utf8), Array("\u{1F600}".utf8), [0xFF], [0xC3], [0xE2, 0x82],
            [0x80], [0x00], Array("abcdefgh".utf8), [0xED, 0xA0, 0x80],
        ]
        for _ in 0..<5_000 {
            let bytes = (0..<generator.below(10)).flatMap { _ in pieces[generator.below(pieces.count)] }
            #expect(FTPLine(bytes: bytes).text == Self.byRule(bytes), "\(bytes)")
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
