import FTPAnalysis
import FTPScope
import Foundation
import Reports
import Testing

/// `--format json` is written as sessions end (memory follows the open sessions, not the capture); the document
/// must say exactly what the whole-capture rendering says, key order aside.
@Suite struct JSONStreamingTests {
    static func streamed(
        _ path: String, narrowing: Narrowing? = nil,
        maximumHeldSessions: Int = JSONDocumentStreamSink.defaultMaximumHeldSessions,
        indexMemoryBudget: Int = JSONDocumentStreamSink.defaultIndexMemoryBudget
    ) throws -> (streamed: ParsedJSON, rendered: ParsedJSON) {
        let (text, rendered) = try streamedText(
            path, narrowing: narrowing, maximumHeldSessions: maximumHeldSessions, indexMemoryBudget: indexMemoryBudget)
        return (try ParsedJSON.parse(text), try ParsedJSON.parse(rendered))
    }

    /// The streamed document as written, and the whole-capture rendering.
    static func streamedText(
        _ path: String, narrowing: Narrowing? = nil,
        maximumHeldSessions: Int = JSONDocumentStreamSink.defaultMaximumHeldSessions,
        indexMemoryBudget: Int = JSONDocumentStreamSink.defaultIndexMemoryBudget,
        heldBytesInMemory: Int = JSONDocumentStreamSink.defaultHeldBytesInMemory
    ) throws -> (streamed: String, rendered: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-stream-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try BufferedOutput(path: file.path)
        let passwords = PasswordPolicy(showPasswords: false)
        let sink = JSONDocumentStreamSink(
            output: output, version: ftpscopeVersion, passwords: passwords, narrowing: narrowing,
            maximumHeldSessions: maximumHeldSessions, indexMemoryBudget: indexMemoryBudget,
            heldBytesInMemory: heldBytesInMemory)
        let result = try OfflineAnalysis.run(paths: [path], eventSink: sink)
        var input = result.reportInput(showPasswords: false)
        if let narrowing { input = narrowing.apply(to: input) }
        try sink.finish(input)
        try output.close()
        return (try String(contentsOf: file, encoding: .utf8), JSONDocument.render(input))
    }

    @Test(arguments: ECSEventTests.captures)
    func streamedDocumentSaysWhatTheRenderedOneSays(_ path: String) throws {
        let (streamed, rendered) = try Self.streamed(path)
        #expect(streamed == rendered)
    }

    /// Narrowed (`--status failed`, `--session S2`, `--user`), the streamed document keeps what
    /// `Narrowing.apply` keeps of the whole capture: the same sessions, transfers and findings.
    @Test(arguments: ["active-nat-failure.pcap", "epsv-ipv6.pcap", "failed-logins-pyftpdlib.pcap", "guessing-run-pyftpdlib.pcap"])
    func narrowedDocumentsAgree(_ sample: String) throws {
        let path = Paths.samples.appendingPathComponent(sample).path
        let failed = Set(DataStatus.allCases.filter(\.isFailure))
        for narrowing in [
            Narrowing(statuses: failed), Narrowing(sessions: ["S2"]), Narrowing(user: "ftpscope"),
        ] {
            let (streamed, rendered) = try Self.streamed(path, narrowing: narrowing)
            #expect(streamed == rendered, "\(narrowing)")
        }
    }

    /// With an index budget of one finding, each finding is a run of its own and the runs are merged in passes:
    /// the document is byte for byte the one made with the index in memory, narrowed or not.
    @Test(arguments: ["failed-logins-pyftpdlib.pcap", "guessing-run-pyftpdlib.pcap"])
    func aSpooledIndexWritesTheSameDocument(_ sample: String) throws {
        let path = Paths.samples.appendingPathComponent(sample).path
        for narrowing in [nil, Narrowing(statuses: Set(DataStatus.allCases.filter(\.isFailure))), Narrowing(sessions: ["S2"])] {
            let (inMemory, rendered) = try Self.streamedText(path, narrowing: narrowing)
            let (spooled, _) = try Self.streamedText(path, narrowing: narrowing, indexMemoryBudget: 1)
            #expect(spooled == inMemory, "\(narrowing.map(\.description) ?? "whole")")
            #expect(try ParsedJSON.parse(spooled) == ParsedJSON.parse(rendered))
            if narrowing == nil {
                #expect(spooled.components(separatedBy: "\"kind\"").count > 4, "more findings than runs merged at once")
            }
        }
    }

    /// With no memory for held sessions, every session that ends before an earlier one waits in the spool: the
    /// document is byte for byte the one made with them in memory (epsv-ipv6.pcap's sessions end out of order).
    @Test(arguments: ["epsv-ipv6.pcap", "failed-logins-pyftpdlib.pcap", "guessing-run-pyftpdlib.pcap"])
    func spooledHeldSessionsWriteTheSameDocument(_ sample: String) throws {
        let path = Paths.samples.appendingPathComponent(sample).path
        for narrowing in [nil, Narrowing(sessions: ["S2"])] {
            let (inMemory, _) = try Self.streamedText(path, narrowing: narrowing)
            let (spooled, _) = try Self.streamedText(path, narrowing: narrowing, heldBytesInMemory: 0)
            #expect(spooled == inMemory, "\(narrowing.map(\.description) ?? "whole")")
        }
    }

    @Test func aFullHoldStillWritesEverySessionOnce() throws {
        // Sessions of this trace end out of order; with a hold of one, some are written out of session order.
        let path = Paths.samples.appendingPathComponent("epsv-ipv6.pcap").path
        let (streamed, rendered) = try Self.streamed(path, maximumHeldSessions: 1)
        guard case .object(let a) = streamed, case .object(let b) = rendered,
            case .array(let sessionsA)? = a["sessions"], case .array(let sessionsB)? = b["sessions"]
        else {
            Issue.record("no sessions array")
            return
        }
        #expect(sessionsA.count == sessionsB.count && sessionsA.count == 2)
        func ids(_ sessions: [ParsedJSON]) -> Set<String> {
            Set(sessions.compactMap { if case .object(let s) = $0, case .string(let id)? = s["id"] { return id } else { return nil } })
        }
        #expect(ids(sessionsA) == ids(sessionsB))
    }
}
