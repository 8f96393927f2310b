import TestSupport
import Foundation
import FTPProtocol


/// How a byte stream is cut into chunks before it reaches a framer.
enum Feeding: CaseIterable, CustomStringConvertible, Sendable {
    case whole, byteByByte, randomSplits

    var description: String {
        switch self {
        case .whole: return "whole"
        case .byteByByte: return "byte by byte"
        case .randomSplits: return "random splits"
        }
    }

    func chunks(of bytes: [UInt8], seed: UInt64 = 42) -> [[UInt8]] {
        switch self {
        case .whole:
            return [bytes]
        case .byteByByte:
            return bytes.map { [$0] }
        case .randomSplits:
            var generator = SplitMix64(seed: seed)
            var chunks: [[UInt8]] = []
            var index = 0
            while index < bytes.count {
                // Mostly short chunks (to split CRLF and IAC sequences), sometimes empty, sometimes long.
                let length = Int(generator.next() % 9)
                let end = min(bytes.count, index + length)
                chunks.append(Array(bytes[index..<end]))
                index = end
            }
            return chunks
        }
    }
}

/// Frames `bytes` fed as `feeding`, including the final partial line.
func frame(
    _ bytes: [UInt8], feeding: Feeding = .whole, limits: FTPLimits = FTPLimits(), seed: UInt64 = 42,
    finish: Bool = true
) -> [FTPLine] {
    var framer = LineFramer(limits: limits)
    var lines: [FTPLine] = []
    for chunk in feeding.chunks(of: bytes, seed: seed) {
        framer.append(chunk) { lines.append($0) }
    }
    if finish { framer.finish { lines.append($0) } }
    return lines
}

func frame(_ text: String, feeding: Feeding = .whole, limits: FTPLimits = FTPLimits()) -> [FTPLine] {
    frame(Array(text.utf8), feeding: feeding, limits: limits)
}

/// Pushes text lines through a reply assembler, collecting every event (including `finish()`'s).
func assemble(_ lines: [String], limits: FTPLimits = FTPLimits(), finish: Bool = true) -> [ReplyEvent] {
    var assembler = ReplyAssembler(limits: limits)
    var events: [ReplyEvent] = []
    for line in lines {
        if let event = assembler.push(FTPLine(line)) { events.append(event) }
    }
    if finish, let event = assembler.finish() { events.append(event) }
    return events
}

/// The shared test corpus: `<repo>/../shared/corpus`, else `/work/shared/corpus`; nil when neither exists.
func corpusDirectory(filePath: String = #filePath) -> URL? {
    let repoRoot = URL(fileURLWithPath: filePath)
        .deletingLastPathComponent()  // FTPProtocolTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
    let candidates = [
        repoRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus"),
        URL(fileURLWithPath: "/work/shared/corpus"),
    ]
    return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
}

/// Undoes the corpus escaping of `derived/ftp-lines/*.tsv`: `\xNN` is a byte, `\\` a backslash.
func unescapeCorpusField(_ field: Substring) -> [UInt8] {
    let bytes = Array(field.utf8)
    var result: [UInt8] = []
    result.reserveCapacity(bytes.count)
    var index = 0
    while index < bytes.count {
        if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
            if bytes[index + 1] == UInt8(ascii: "\\") {
                result.append(UInt8(ascii: "\\"))
                index += 2
                continue
            }
            if bytes[index + 1] == UInt8(ascii: "x"), index + 3 < bytes.count,
                let value = UInt8(String(decoding: bytes[(index + 2)...(index + 3)], as: UTF8.self), radix: 16)
            {
                result.append(value)
                index += 4
                continue
            }
        }
        result.append(bytes[index])
        index += 1
    }
    return result
}
