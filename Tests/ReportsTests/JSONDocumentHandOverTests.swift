import FTPProtocol
import Foundation
import NetworkTypes
import TestSupport
import Testing

@testable import FTPAnalysis
@testable import Reports

/// The streamed JSON document hands each session over in the block it was written in (`JSONBytesPool`): to the
/// output when it is next in order, to the held sessions when an earlier one is still open, or copied to the spool
/// past the memory budget. Whatever the order sessions end in, the budget and the sizes (from none to over a
/// megabyte, most far from what `SessionSize` guesses), the document lists exactly the sessions as written alone,
/// in session order.
@Suite struct JSONDocumentHandOverTests {
    static let start = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)
    static let passwords = PasswordPolicy(showPasswords: false)

    /// Session `number` with `commands` commands and a banner of `bannerBytes` bytes (a quote in every 64, so
    /// that it is escaped): the size guess goes by the commands only, so a long banner outgrows the block.
    static func session(_ number: Int, commands: Int, bannerBytes: Int) -> FTPSession {
        let begin = start.adding(nanoseconds: Int64(number) * 1_000_000)
        let session = FTPSession(
            client: Endpoint(address: .v4(0xC000_0201), port: UInt16(10_000 + number)),
            server: Endpoint(address: .v4(0xC000_0215), port: 21), start: begin, serial: UInt64(number),
            limits: FTPLimits())
        session.id = "S\(number)"
        session.confirmed = true
        session.end = begin.adding(nanoseconds: 5_000_000_000)
        if bannerBytes > 0 {
            let piece = String(repeating: "w", count: 63) + "\""
            session.banner = String(String(repeating: piece, count: bannerBytes / 64 + 1).prefix(bannerBytes))
        }
        for index in 0..<commands {
            var command = CommandRecord(
                time: begin.adding(nanoseconds: Int64(index) * 1_000_000), verb: .cwd, argument: "dir\(index)")
            command.reply = ReplyRecord(
                code: 250, text: "ok", time: begin.adding(nanoseconds: Int64(index) * 1_000_000 + 500_000))
            session.commands.append(command)
        }
        session.endState = .quit
        session.ended = true
        return session
    }

    /// Sizes around the pool's size classes (4 KiB and up) and past the scratch's growth and the pool's limit.
    static func makeSessions() -> [FTPSession] {
        let shapes: [(commands: Int, banner: Int)] = [
            (0, 0), (1, 0), (10, 4_000), (12, 0), (0, 70_000), (40, 0), (3, 1_200_000), (0, 4_096), (200, 0),
            (5, 13_000), (1, 300_000), (30, 5), (0, 1), (14, 0), (2, 16_384), (60, 0), (7, 40_000), (1, 1),
            // Past `JSONDocument.drainThreshold` in commands: written in turn, these go out in pieces.
            (6_000, 0), (11_000, 100),
        ]
        return shapes.enumerated().map { index, shape in
            session(index + 1, commands: shape.commands, bannerBytes: shape.banner)
        }
    }

    /// Made afresh for each test (sessions are classes: not shared between tests that may run at once).
    let sessions = JSONDocumentHandOverTests.makeSessions()

    /// The document written when `sessions` end in `order` (indices into `sessions`).
    func document(
        endingIn order: [Int], heldBytesInMemory: Int, maximumHeldSessions: Int = 10_000, narrowing: Narrowing? = nil
    ) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-handover-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try BufferedOutput(path: file.path)
        let sink = JSONDocumentStreamSink(
            output: output, version: "test", passwords: Self.passwords, narrowing: narrowing,
            maximumHeldSessions: maximumHeldSessions, heldBytesInMemory: heldBytesInMemory)
        for index in order { sink.analysis(.sessionEnded(sessions[index])) }
        try sink.finish(
            ReportInput(version: "test", inputs: [], stats: [], sessions: [], findings: [], passwords: Self.passwords))
        try output.close()
        return try String(contentsOf: file, encoding: .utf8)
    }

    /// Each kept session written alone, as the document indents it, in session order.
    func sessionTexts(keeping kept: (Int) -> Bool = { _ in true }) -> [String] {
        sessions.indices.filter(kept).map { index in
            var writer = JSONWriter(pretty: true, indent: 2)
            JSONDocument.write(session: sessions[index], Self.passwords, into: &writer)
            return writer.text
        }
    }

    static func sessionsPart(_ texts: [String]) -> String {
        "\"sessions\": [\n    " + texts.joined(separator: ",\n    ") + "\n  ],\n  \"inputs\": "
    }

    /// In order, in reverse (every session held until the first ends), and shuffled; with every held session in
    /// memory, none (all spooled), and a budget that takes some and spools the rest.
    var orders: [[Int]] {
        var generator = SplitMix64(seed: 0x4A50)
        var shuffled = Array(sessions.indices)
        for index in shuffled.indices.reversed() {
            shuffled.swapAt(index, generator.below(index + 1))
        }
        return [Array(sessions.indices), Array(sessions.indices.reversed()), shuffled]
    }

    @Test(arguments: [JSONDocumentStreamSink.defaultHeldBytesInMemory, 0, 100_000])
    func everyOrderWritesTheSessionsInSessionOrder(heldBytesInMemory: Int) throws {
        let expected = Self.sessionsPart(sessionTexts())
        for order in orders {
            let document = try document(endingIn: order, heldBytesInMemory: heldBytesInMemory)
            #expect(document.contains(expected), "\(order)")
            #expect(document.hasPrefix("{\n  \"version\": \"test\",\n  \"sessions\": [\n    {"))
        }
    }

    /// Narrowed-out sessions take no block and keep their place in the order only.
    @Test func narrowedOutSessionsLeaveNoGap() throws {
        let kept: Set<Int> = [2, 5, 7, 11, 17]
        let narrowing = Narrowing(sessions: Set(kept.map { "S\($0)" }))
        let expected = Self.sessionsPart(sessionTexts { kept.contains($0 + 1) })
        for order in orders {
            for budget in [JSONDocumentStreamSink.defaultHeldBytesInMemory, 0] {
                let document = try document(endingIn: order, heldBytesInMemory: budget, narrowing: narrowing)
                #expect(document.contains(expected), "\(order) \(budget)")
            }
        }
    }

    /// With a hold of two, sessions are written out of order once more wait: each still appears once, whole.
    @Test func aFullHoldWritesEachSessionOnceWhole() throws {
        let texts = sessionTexts()
        for budget in [JSONDocumentStreamSink.defaultHeldBytesInMemory, 0, 100_000] {
            let written = try document(endingIn: orders[1], heldBytesInMemory: budget, maximumHeldSessions: 2)
            // Each followed by the next one's separator or by the end of the array, once.
            for text in texts {
                let times = written.components(separatedBy: text + ",\n    {").count - 1
                    + written.components(separatedBy: text + "\n  ],").count - 1
                #expect(times == 1, "\(budget)")
            }
            let inOrder = try document(endingIn: orders[0], heldBytesInMemory: budget)
            #expect(written.utf8.count == inOrder.utf8.count)
            #expect(written != inOrder)
        }
    }

    /// A session written with a drain goes out in pieces: each taken once the writer holds `drainThreshold` bytes
    /// (so the writer never holds much more), and together exactly the bytes written whole.
    @Test func aLongSessionGoesOutInPiecesThatMakeItWhole() throws {
        final class Pieces: JSONSessionDrain {
            var bytes: [UInt8] = []
            var sizes: [Int] = []
            func drain(_ out: inout JSONWriter) {
                sizes.append(out.count)
                out.withBytes { bytes.append(contentsOf: $0) }
                out.removeAll()
            }
        }
        let long = Self.session(1, commands: 20_000, bannerBytes: 0)
        var whole = JSONWriter(pretty: true, indent: 2)
        JSONDocument.write(session: long, Self.passwords, into: &whole)
        let pieces = Pieces()
        var writer = JSONWriter(pretty: true, indent: 2)
        JSONDocument.write(session: long, Self.passwords, into: &writer, draining: pieces)
        writer.withBytes { pieces.bytes.append(contentsOf: $0) }
        #expect(whole.count > 4 * JSONDocument.drainThreshold)
        #expect(pieces.sizes.count >= 4)
        // Each piece is the threshold plus at most the one command that crossed it.
        for size in pieces.sizes {
            #expect(size >= JSONDocument.drainThreshold && size < JSONDocument.drainThreshold + 4096)
        }
        #expect(writer.count < JSONDocument.drainThreshold)
        #expect(pieces.bytes == whole.withBytes { Array($0) })
    }
}
