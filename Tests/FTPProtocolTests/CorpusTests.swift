import FTPProtocol
import Foundation
import Testing

/// Every control line of the Zeek corpus (`derived/ftp-lines/*.tsv`, columns in `corpus/zeek/INDEX.md`) through
/// the framer, the command parser and the reply assembler, checked against the tsv's own classification.
@Suite("Zeek corpus")
struct CorpusTests {
    struct Row {
        var stream: String
        var direction: String
        var kind: String
        var codeOrCommand: String
        var argOrText: String
        var raw: [UInt8]
    }

    static func tsvFiles() -> [URL] {
        guard let corpus = corpusDirectory() else { return [] }
        let directory = corpus.appendingPathComponent("zeek/derived/ftp-lines")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".tsv") }.sorted().map { directory.appendingPathComponent($0) }
    }

    static func rows(of file: URL) throws -> [Row] {
        let content = try String(contentsOf: file, encoding: .utf8)
        var rows: [Row] = []
        for line in content.split(separator: "\n", omittingEmptySubsequences: true).dropFirst() {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count >= 12 else { continue }
            rows.append(
                Row(
                    stream: String(columns[0]), direction: String(columns[3]), kind: String(columns[8]),
                    codeOrCommand: String(columns[9]), argOrText: String(columns[10]),
                    raw: unescapeCorpusField(columns[11])))
        }
        return rows
    }

    @Test("the corpus is present")
    func corpusPresent() throws {
        try #require(corpusDirectory() != nil, "no corpus at <repo>/../shared/corpus or /work/shared/corpus")
        #expect(Self.tsvFiles().count >= 20)
    }

    @Test("commands: verb and argument match the tsv", arguments: tsvFiles())
    func commands(file: URL) throws {
        var checked = 0
        for row in try Self.rows(of: file) where row.kind == "cmd" {
            let command = FTPCommand.parse(FTPLine(bytes: row.raw))
            #expect(command.verbText == row.codeOrCommand.uppercased(), "\(file.lastPathComponent): \(row.codeOrCommand)")
            #expect(command.argument == FTPLine(bytes: unescapeCorpusField(row.argOrText[...])).text)
            if command.isWellFormed && command.verbText.count <= 4 {
                #expect(command.isKnown, "\(command.verb)")
            }
            checked += 1
        }
        #expect(checked > 0 || file.lastPathComponent.contains("ipv6-violation"))
    }

    @Test("replies: codes and multi-line structure match the tsv", arguments: tsvFiles())
    func replies(file: URL) throws {
        var assemblers: [String: ReplyAssembler] = [:]
        var stopped: Set<String> = []
        for row in try Self.rows(of: file) where row.direction == "S" {
            if stopped.contains(row.stream) { continue }
            if row.kind == "tls-follows" {
                stopped.insert(row.stream)
                continue
            }
            var assembler = assemblers[row.stream, default: ReplyAssembler()]
            let event = assembler.push(FTPLine(bytes: row.raw))
            assemblers[row.stream] = assembler
            let context = "\(file.lastPathComponent) [\(row.kind)] \(String(decoding: row.raw, as: UTF8.self))"
            switch row.kind {
            case "reply":
                guard case .reply(let reply) = event else {
                    Issue.record("expected a reply: \(context)")
                    continue
                }
                #expect(reply.codeString == row.codeOrCommand, "\(context)")
                #expect(!reply.isMultiline, "\(context)")
                #expect(reply.text == FTPLine(bytes: unescapeCorpusField(row.argOrText[...])).text, "\(context)")
            case "reply-first", "reply-cont":
                #expect(event == nil, "\(context)")
                #expect(assembler.isInsideMultiline, "\(context)")
            case "reply-last":
                guard case .reply(let reply) = event else {
                    Issue.record("expected the end of a multi-line reply: \(context)")
                    continue
                }
                #expect(reply.codeString == row.codeOrCommand, "\(context)")
                #expect(reply.isMultiline && reply.isComplete, "\(context)")
            case "reply-invalid":
                #expect(event == .invalid(FTPLine(bytes: row.raw)), "\(context)")
            default:
                break
            }
        }
    }

    @Test("framer: each stream's bytes, fed in random splits, give back the tsv lines", arguments: tsvFiles())
    func framing(file: URL) throws {
        var streams: [String: [[UInt8]]] = [:]
        var order: [String] = []
        for row in try Self.rows(of: file) where row.kind != "tls-follows" {
            let key = row.stream + row.direction
            if streams[key] == nil { order.append(key) }
            streams[key, default: []].append(row.raw)
        }
        for (index, key) in order.enumerated() {
            let lines = streams[key] ?? []
            // Alternate CRLF and bare LF line ends: both must frame the same.
            var bytes: [UInt8] = []
            for (number, line) in lines.enumerated() {
                bytes += line
                bytes += number % 3 == 0 ? [0x0A] : [0x0D, 0x0A]
            }
            for feeding in Feeding.allCases {
                let framed = frame(bytes, feeding: feeding, seed: UInt64(index))
                #expect(framed.map(\.bytes) == lines, "\(file.lastPathComponent) \(key) \(feeding)")
            }
        }
    }
}
