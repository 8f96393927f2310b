import FTPAnalysis
import FTPScope
import Foundation
import TestSupport
import Testing

/// The whole analyzer drip-fed: every sample re-cut into 1-byte and random-size segments (reordered and
/// duplicated), on port 21 and moved to a non-standard port, must tell the same story as the capture whole.
/// Segmentation is the capture's accident, never the protocol's meaning.
@Suite struct DripFeedTests {
    static let samples: [String] = SampleTests.expectations.map(\.file).filter { $0.hasSuffix(".pcap") }

    /// What the analysis says, without what segmentation may legitimately change (times, packet counts).
    /// `port` is the control port the capture was moved to; it is written as 21 so both runs compare.
    static func story(_ result: AnalysisResult, movedTo port: UInt16? = nil) -> [String] {
        func endpoint(_ text: String) -> String {
            guard let port else { return text }
            return text.hasSuffix(":\(port)") ? String(text.dropLast("\(port)".count)) + "21" : text
        }
        var lines: [String] = []
        for session in result.sessions {
            lines.append(
                "session \(session.id) \(endpoint(session.client.description)) \(endpoint(session.server.description)) login \(session.login.rawValue) tls \(session.tls) implicit \(session.implicitTLS) banner \(session.bannerCode.map(String.init) ?? "-") end \(session.endState.rawValue)"
            )
            for command in session.commands {
                lines.append(
                    "  \(command.verbText) \(command.argument) -> \(command.reply.map { String($0.code) } ?? "-") \(command.reply?.text ?? "")"
                )
            }
            for transfer in session.transfers {
                lines.append(
                    "  transfer \(transfer.command?.name ?? "-") \(transfer.argument ?? "") \(transfer.mode?.rawValue ?? "-") \(transfer.announced?.description ?? "-") \(transfer.status.rawValue) \(transfer.cause?.rawValue ?? "-") \(transfer.bytes) bytes"
                )
            }
        }
        lines += result.findings.map { "finding \($0.kind.rawValue) \($0.severity.rawValue) \($0.session ?? "-")" }.sorted()
        return lines
    }

    static func run(_ bytes: [UInt8], name: String) throws -> AnalysisResult {
        let directory = try PcapWriter.makeTemporaryDirectory(prefix: "ftpscope-drip")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + name
        try PcapWriter.write(bytes, to: path)
        return try OfflineAnalysis.run(paths: [path])
    }

    static func original(_ file: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: SampleTests.path(file))))
    }

    /// The control connection one byte per segment (data connections whole: a byte each would be slow and
    /// tests nothing more).
    @Test(arguments: samples)
    func controlOneByteAtATime(_ file: String) throws {
        let whole = try OfflineAnalysis.run(paths: [SampleTests.path(file)])
        let cut = Recutter.recutPcap(try Self.original(file), plan: .bytes(cutOnly: [21, 990, 2121]))
        if let keep = ProcessInfo.processInfo.environment["FTPSCOPE_DRIP_KEEP"] {
            try PcapWriter.write(cut, to: keep + "/" + file)
        }
        #expect(Self.story(try Self.run(cut, name: file)) == Self.story(whole))
    }

    /// Every connection in random pieces of 1 to 7 bytes, neighbours swapped and pieces repeated.
    @Test(arguments: samples)
    func randomPiecesReorderedAndDuplicated(_ file: String) throws {
        let whole = try OfflineAnalysis.run(paths: [SampleTests.path(file)])
        for seed in [1, 2] as [UInt64] {
            let cut = Recutter.recutPcap(try Self.original(file), plan: .random(seed: seed))
            #expect(Self.story(try Self.run(cut, name: file)) == Self.story(whole), "seed \(seed)")
        }
    }

    /// Moved from port 21 to 2121 the sessions are found by their content, however the greeting is cut.
    @Test(arguments: samples.filter { $0 != "implicit-ftps.pcap" && $0 != "nonstandard-port-2121.pcap" })
    func nonStandardPortInRandomPieces(_ file: String) throws {
        let whole = try OfflineAnalysis.run(paths: [SampleTests.path(file)])
        let cut = Recutter.recutPcap(try Self.original(file), plan: .random(seed: 3, ports: [21: 2121]))
        let moved = try Self.run(cut, name: file)
        #expect(Self.story(moved, movedTo: 2121) == Self.story(whole))
        #expect(moved.stats.first { $0.0 == "sessions_found_by_content" }?.1 == UInt64(whole.sessions.count))
    }

    /// Issue 14's bug: a greeting that arrives as `22` + `0 …` on a non-standard port gave no session at all
    /// (the content probe judged the first segment alone).
    @Test func greetingSplitAfterTwoBytesOnANonStandardPort() throws {
        let file = "nonstandard-port-2121.pcap"
        let whole = try OfflineAnalysis.run(paths: [SampleTests.path(file)])
        #expect(whole.sessions.count == 1)
        var plan = Recutter.Plan(pieceSize: { _, _ in 2 })
        plan.cutOnly = [2121]
        let bytes = Recutter.recutPcap(try Self.original(file), plan: plan)
        let cut = try Self.run(bytes, name: file)
        #expect(cut.inputs[0].packets > whole.inputs[0].packets + 20, "the control connection was re-cut")
        #expect(cut.sessions.count == 1)
        #expect(Self.story(cut) == Self.story(whole))
    }

    /// Implicit FTPS with the ClientHello's record header split over segments is still TLS from the first byte.
    @Test func implicitTLSSplitOverSegments() throws {
        let file = "implicit-ftps.pcap"
        let whole = try OfflineAnalysis.run(paths: [SampleTests.path(file)])
        #expect(whole.sessions.first?.implicitTLS == true)
        for plan in [Recutter.Plan.bytes(cutOnly: [990]), .random(seed: 4, maximum: 3)] {
            let cut = try Self.run(Recutter.recutPcap(try Self.original(file), plan: plan), name: file)
            #expect(cut.sessions.first?.implicitTLS == true)
            #expect(Self.story(cut) == Self.story(whole))
        }
    }
}
