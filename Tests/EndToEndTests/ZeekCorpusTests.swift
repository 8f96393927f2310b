import FTPAnalysis
import FTPScope
import Foundation
import NetworkTypes
import Testing

/// The peer corpus of `../shared/corpus/zeek`: real traces with what Zeek and tshark found in them.
@Suite struct ZeekCorpusTests {
    static let traces = Paths.corpusTraces()

    @Test("every corpus trace is analysed without error", arguments: traces)
    func analysesEveryTrace(_ name: String) throws {
        let result = try OfflineAnalysis.run(paths: [Paths.trace(name)])
        #expect(result.packetStats.packets > 0)
        #expect(result.inputs.count == 1)
        #expect(result.inputs[0].truncated == false)
    }

    @Test("the corpus is present") func corpusPresent() {
        #expect(Self.traces.count == 25, "expected the 25 traces of ../shared/corpus/zeek/traces")
    }

    /// One line of `derived/ftp-lines/<trace>.tsv`.
    struct Line {
        var stream: Int
        var direction: String
        var source: String
        var sourcePort: UInt16
        var kind: String
        var codeOrCommand: String
        var argument: String
    }

    static func lines(of trace: String) -> [Line] {
        guard let corpus = Paths.zeekCorpus else { return [] }
        let url = corpus.appendingPathComponent("derived/ftp-lines/\(trace).tsv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: true).dropFirst().compactMap { row in
            let cells = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cells.count >= 11, let stream = Int(cells[0]), let port = UInt16(cells[5]) else { return nil }
            return Line(
                stream: stream, direction: cells[3], source: cells[4], sourcePort: port, kind: cells[8],
                codeOrCommand: cells[9], argument: cells[10])
        }
    }

    static let lineTraces: [String] = {
        guard let corpus = Paths.zeekCorpus else { return [] }
        let directory = corpus.appendingPathComponent("derived/ftp-lines")
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".tsv") }.map { String($0.dropLast(4)) }.sorted()
    }()

    /// tshark's marker for a capture gap inside a reassembled stream: not payload (INDEX.md).
    static func isGapMarker(_ line: Line) -> Bool { line.argument.contains("bytes missing in capture file]") }

    /// tshark unescapes nothing: the tsv writes non-printable bytes as \xNN and a backslash as \\, as we do
    /// for invalid UTF-8 only; compare on the printable form.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + String(format: "%02x", scalar.value)
            } else if scalar == "\\" {
                out += "\\\\"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    @Test("every control line decodes with the same verb, argument and reply code, in order", arguments: lineTraces)
    func controlLinesMatch(_ trace: String) throws {
        let file = FileManager.default.fileExists(atPath: Paths.trace(trace + ".pcap")) ? trace + ".pcap" : trace + ".pcap.gz"
        let result = try OfflineAnalysis.run(paths: [Paths.trace(file)])
        let lines = Self.lines(of: trace)
        #expect(!lines.isEmpty)
        let streams = Dictionary(grouping: lines, by: \.stream)
        for (stream, streamLines) in streams.sorted(by: { $0.key < $1.key }) {
            guard let clientLine = streamLines.first(where: { $0.direction == "C" }) ?? streamLines.first else { continue }
            let clientAddress = clientLine.direction == "C" ? clientLine.source : nil
            let session = result.sessions.first { session in
                if let clientAddress {
                    return session.client.port == clientLine.sourcePort
                        && session.client.address == IPAddress(clientAddress)
                }
                return session.server.port == clientLine.sourcePort && session.server.address == IPAddress(clientLine.source)
            }
            guard let session else {
                Issue.record("\(trace) stream \(stream): no session for \(clientLine.source):\(clientLine.sourcePort)")
                continue
            }
            // tshark splits the stream on LF only after reassembly, while the gap markers it inserts are not
            // payload: lines touching a gap are left out of the comparison (cwd-navigation has nine).
            let expectedCommands = streamLines.filter { $0.kind == "cmd" && !Self.isGapMarker($0) }
                .map { ($0.codeOrCommand.uppercased(), $0.argument) }
            var actualCommands = session.commands.map { ($0.verbText, Self.printable($0.argument)) }
            if session.missingBytes > 0 {
                // Around a gap tshark and ftpscope both lose the cut line; compare what both decoded.
                let expectedSet = Set(expectedCommands.map { "\($0.0) \($0.1)" })
                actualCommands = actualCommands.filter { expectedSet.contains("\($0.0) \($0.1)") }
                let actualSet = Set(actualCommands.map { "\($0.0) \($0.1)" })
                let missing = expectedCommands.filter { !actualSet.contains("\($0.0) \($0.1)") }
                #expect(missing.count <= 20, "\(trace): \(missing.count) commands lost around gaps")
            } else {
                #expect(actualCommands.count == expectedCommands.count, "\(trace) stream \(stream): command count")
                for (index, (actual, expected)) in zip(actualCommands, expectedCommands).enumerated() {
                    #expect(actual.0 == expected.0, "\(trace) command \(index): verb")
                    #expect(actual.1 == expected.1, "\(trace) command \(index): argument")
                }
            }
            // Reply codes: a single-line reply or the first line of a multi-line one; tshark's `tls-follows`
            // lines are the TLS records after 234, not replies.
            let expectedCodes = streamLines.filter { ($0.kind == "reply" || $0.kind == "reply-first") && !Self.isGapMarker($0) }
                .compactMap { Int($0.codeOrCommand) }
            let actualCodes = session.repliesInOrder.map(\.code)
            if session.missingBytes == 0 {
                #expect(actualCodes == expectedCodes, "\(trace) stream \(stream): reply codes in order")
            } else {
                #expect(abs(actualCodes.count - expectedCodes.count) <= 20, "\(trace): replies around gaps")
            }
        }
    }
}
