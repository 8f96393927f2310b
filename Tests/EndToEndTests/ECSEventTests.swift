import FTPAnalysis
import FTPScope
import Foundation
import Reports
import Testing
import TimelineTestSupport
import TestSupport

/// `--jsonl --schema ecs` against Elastic's own reference data (../shared/ecs) on every sample and every Zeek
/// corpus trace, and loaded into a real JSON-reading store (DuckDB) the way a SIEM query would read it.
@Suite struct ECSEventTests {
    static let reference = Result { try ECSReference.load() }

    static var samples: [String] { CommunityIDSampleTests.samples.map { Paths.samples.appendingPathComponent($0).path } }
    static var captures: [String] { samples + Paths.corpusTraces().map(Paths.trace) }

    /// The ECS documents of one capture, as the writer serialises them, with the analysis they came from.
    static func documents(_ path: String, showPasswords: Bool = false) throws -> (AnalysisResult, [String]) {
        let collector = TimelineRowCollector()
        let timeline = TimelineSink(writers: [collector], passwords: PasswordPolicy(showPasswords: showPasswords))
        let result = try OfflineAnalysis.run(paths: [path], eventSink: timeline)
        try timeline.finish()
        return (result, collector.rows.map { ECSTimelineWriter.document($0, version: ftpscopeVersion) })
    }

    @Test func theReferenceIsHere() throws {
        let reference = try Self.reference.get()
        #expect(reference.types.count > 2000 && reference.types["network.community_id"] == "keyword")
        #expect(Self.captures.count >= 45, "samples and the 25 corpus traces")
    }

    @Test(arguments: captures)
    func everyEventIsValidECS(_ path: String) throws {
        let reference = try Self.reference.get()
        let (_, lines) = try Self.documents(path)
        #expect(!lines.isEmpty)
        for line in lines {
            let problems = reference.problems(in: try ParsedJSON.parse(line))
            #expect(problems.isEmpty, "\(URL(fileURLWithPath: path).lastPathComponent): \(problems) in \(line.prefix(300))")
        }
    }

    /// Every login attempt the analysis settled is one authentication event with its outcome and user name.
    @Test(arguments: samples)
    func everyLoginIsAnAuthenticationEvent(_ path: String) throws {
        let (result, lines) = try Self.documents(path)
        let authentications = try lines.map(ParsedJSON.parse).filter {
            $0["event.category"]?.strings == ["authentication"] && $0["event.outcome"] != nil
        }
        let seen = authentications.map { event -> String in
            "\(event["user.name"]?.strings?.first ?? "-") \(event["event.outcome"]?.strings?.first ?? "-")"
        }
        let expected = result.sessions.flatMap(\.loginAttempts).compactMap { attempt -> String? in
            switch attempt.outcome {
            case .succeeded, .anonymous: return "\(attempt.user) success"
            case .failed: return "\(attempt.user) failure"
            case .none, .unknown: return nil
            }
        }
        #expect(seen == expected)
    }

    @Test func passwordsFollowThePolicy() throws {
        let path = Paths.samples.appendingPathComponent("active-nat-failure.pcap").path
        let hidden = try Self.documents(path).1.joined(separator: "\n")
        let shown = try Self.documents(path, showPasswords: true).1.joined(separator: "\n")
        #expect(!hidden.contains("ftpscope-pass") && hidden.contains("<hidden>"))
        #expect(shown.contains("ftpscope-pass"))
    }

    /// The README's SIEM query, run by DuckDB over the samples' ECS events: failed data connections by cause.
    @Test func failuresQueryByCauseInDuckDB() throws {
        var expected: [String: Int] = [:]
        var lines: [String] = []
        for path in Self.samples {
            let (result, documents) = try Self.documents(path)
            lines += documents
            for transfer in result.sessions.flatMap(\.transfers) where transfer.status.isFailure {
                expected[transfer.cause?.rawValue ?? "none", default: 0] += 1
            }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-ecs-\(getpid()).jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
            import sys, duckdb
            rows = duckdb.connect().execute('''
                SELECT ftp.data.cause AS cause, count(*) AS failures
                FROM read_json(?, format = 'newline_delimited', sample_size = -1, union_by_name = true)
                WHERE event.action = 'data_connection' AND event.outcome = 'failure'
                GROUP BY ALL ORDER BY cause
            ''', [sys.stdin.read().strip()]).fetchall()
            for cause, failures in rows:
                print(f"{cause or 'none'} {failures}")
            """
        let output = try PythonOracle.run(script, module: "duckdb", input: file.path)
        var found: [String: Int] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            found[String(parts[0])] = Int(parts[1])
        }
        #expect(found == expected)
        #expect(found.count >= 3, "the samples fail for several causes: \(found)")
    }
}

/// The README's component template maps every `ftp.` field the writer emits, with a type its values fit.
@Suite struct ECSTemplateTests {
    @Test func templateMapsEveryFTPField() throws {
        let url = Paths.repositoryRoot.appendingPathComponent("docs/ecs/ftpscope-component-template.json")
        let template = try ParsedJSON.parse(String(contentsOf: url, encoding: .utf8))
        var mapped: [String: String] = [:]
        func collect(_ properties: ParsedJSON?, prefix: String) {
            guard case .object(let members)? = properties else { return }
            for (name, field) in members {
                guard case .object(let spec) = field else { continue }
                if case .string(let type)? = spec["type"] { mapped[prefix + name] = type }
                collect(spec["properties"], prefix: prefix + name + ".")
            }
        }
        guard case .object(let root) = template, case .object(let inner)? = root["template"],
            case .object(let mappings)? = inner["mappings"]
        else {
            Issue.record("no template.mappings in \(url.lastPathComponent)")
            return
        }
        collect(mappings["properties"], prefix: "")
        var seen = Set<String>()
        for path in ECSEventTests.samples {
            for line in try ECSEventTests.documents(path).1 {
                for (name, value) in try ParsedJSON.parse(line).flattened() where name.hasPrefix("ftp.") {
                    seen.insert(name)
                    guard let type = mapped[name] else {
                        Issue.record("\(name) is not in the template")
                        continue
                    }
                    #expect(value.fits(ecsType: type), "\(name) = \(value) does not fit \(type)")
                }
            }
        }
        #expect(seen.isSuperset(of: ["ftp.data.cause", "ftp.data.status", "ftp.reply.code", "ftp.finding.kind"]))
    }
}
