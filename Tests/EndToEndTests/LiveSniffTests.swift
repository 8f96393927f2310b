import Foundation
import NetworkTypes
import Testing

@testable import FTPScope

/// `ftpscope sniff` end to end, through the built executable: a real vsftpd and real clients (lftp, curl) in
/// network namespaces made for the test (scripts/live-sniff-scenario.sh), a bundled sample replayed to sniffers
/// with one and four threads at once (scripts/live-sniff-replay.sh), and the error paths of the CLI.
/// Needs root (CI runs as root); skipped with the reason otherwise.
@Suite struct LiveSniffTests {
    /// The default threads (the output thread), and 4: the analysis sharded by host pair over two workers.
    @Test(
        .enabled(if: LiveSniffEnvironment.scenarioProblem == nil, Comment(rawValue: LiveSniffEnvironment.scenarioProblem ?? "")),
        .timeLimit(.minutes(3)), arguments: [nil, 4] as [Int?])
    func sniffsARealSessionAndStopsCleanlyOnSIGINT(threads: Int?) throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-live-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: output) }
        // The thread count is part of the tag: both cases run in this process at once (one in 90 drew the same
        // tag), and one case's clean-up (`removeLeftovers`, after its script released the lab lock) could delete
        // the FTP user the other had just made under that name.
        let tag = "\(getpid() % 100_000)\(threads ?? 0)\(Int.random(in: 10...99))"
        defer { LiveSniffEnvironment.removeLeftovers(tag: tag) }
        let script = Paths.repositoryRoot.appendingPathComponent("scripts/live-sniff-scenario.sh").path
        let run = try LiveSniffEnvironment.execute(
            "/bin/bash", [script, LiveSniffEnvironment.executable, output.path, tag] + (threads.map { ["\($0)"] } ?? []),
            timeout: 150)
        try #require(run.status == 0, "scenario script failed (\(run.status)):\n\(run.standardError)")

        let rc = try String(contentsOf: output.appendingPathComponent("sniff.rc"), encoding: .utf8)
        let out = try String(contentsOf: output.appendingPathComponent("sniff.out"), encoding: .utf8)
        let before = try String(contentsOf: output.appendingPathComponent("before-sigint.out"), encoding: .utf8)
        let err = try String(contentsOf: output.appendingPathComponent("sniff.err"), encoding: .utf8)
        let context = "stdout:\n\(out)\nstderr:\n\(err)"
        #expect(rc.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "exit status after SIGINT\n\(context)")
        #expect(err.contains("listening on eth0"), "\(context)")

        // Streamed while the sessions ran, before SIGINT: both closed sessions, their transfers and findings.
        let lines = before.split(separator: "\n").map(String.init)
        func has(_ session: String, _ event: String, _ fragments: String...) -> Bool {
            lines.contains { line in
                line.contains(" \(session) \(event) ") && fragments.allSatisfy { line.contains($0) }
            }
        }
        #expect(has("S1", "session_start", "203.0.113.10:", "-> 203.0.113.21:21"), "\(context)")
        #expect(has("S1", "command", "PASS <hidden> -> 230"), "password hidden by default\n\(context)")
        #expect(has("S1", "data_connection", "completed LIST /pub passive"), "\(context)")
        #expect(has("S1", "data_connection", "completed RETR /pub/notes.txt passive", "4.0 KiB", "reply 226"), "\(context)")
        #expect(has("S1", "finding", "[high] cleartext_credentials"), "\(context)")
        #expect(has("S1", "session_end", "quit", "login succeeded"), "\(context)")
        #expect(has("S2", "command", "PORT 203,0,113,10,195,80 -> 200"), "\(context)")
        #expect(has("S2", "data_connection", "refused LIST /pub active", "announced 203.0.113.10:50000", "reply 425"), "\(context)")
        #expect(has("S2", "finding", "failed_data_connection", "refused"), "\(context)")
        #expect(has("S2", "session_end", "quit"), "\(context)")
        #expect(has("S3", "session_start"), "\(context)")
        #expect(has("S3", "data_connection", "completed LIST / passive"), "\(context)")
        #expect(!has("S3", "session_end"), "session 3 is still open at SIGINT\n\(context)")

        // After SIGINT: the open session closed as capture_end, then the final summary; everything flushed.
        #expect(out.hasPrefix(before), "what was streamed stays first\n\(context)")
        let after = String(out.dropFirst(before.count))
        #expect(after.contains(" S3 session_end capture_end"), "\(context)")
        #expect(after.contains("Stopped by SIGINT"), "\(context)")
        #expect(after.range(of: #"libpcap: [1-9][0-9]* received, 0 dropped by the kernel, 0 dropped by the interface"#, options: .regularExpression) != nil, "\(context)")
        #expect(after.range(of: #"capture waited for the analysis [0-9]+ times \([0-9]"#, options: .regularExpression) != nil, "\(context)")
        #expect(after.contains("Sessions: 3 started, 3 ended (capture_end 1, quit 2)"), "\(context)")
        #expect(after.contains("Transfers: completed 3, refused 1"), "\(context)")
        #expect(after.contains("Findings: high 3, medium 1"), "\(context)")
        #expect(out.hasSuffix("\n") && out.split(separator: "\n").last?.hasPrefix("Totals: ") == true, "\(context)")
    }

    /// A bundled sample replayed (tcpreplay --topspeed, each loop on new addresses) to `sniff --threads 1` and
    /// `--threads 4` listening at once on one interface: both see the same packets, so both must find the same
    /// sessions with the same numbers, and each session the same rows in the same order (docs/threads.md, "Sharded
    /// live capture"). Only the times differ (each capture socket stamps its own copy, microseconds apart), so the
    /// rows are compared without `time`, `reply_time_ms` and `duration_ms`. Rows of different sessions may
    /// interleave differently and are not compared across sessions. The passive sample spreads six sessions over
    /// host pairs that land on both workers; the active-mode sample's data connections go to a third host (the
    /// private address the client announced), which only the router's announcement path brings to its session. The
    /// third run ends by deleting the interface: a capture failure ends both sniffers alike.
    @Test(
        .enabled(if: LiveSniffEnvironment.replayProblem == nil, Comment(rawValue: LiveSniffEnvironment.replayProblem ?? "")),
        .timeLimit(.minutes(3)),
        arguments: [
            LiveReplay(sample: "passive-vsftpd.pcap", loops: 6, expected: #""data_status":"completed""#),
            LiveReplay(
                sample: "active-nat-failure.pcap", loops: 1,
                expected: #""data_observed":"10.0.0.2:54445","data_status":"unanswered""#),
            LiveReplay(sample: "passive-vsftpd.pcap", loops: 6, expected: #""data_status":"completed""#, unplugs: true),
        ])
    func oneAndFourThreadsFindTheSameInAReplayedSample(_ replay: LiveReplay) throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-replay-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: output) }
        // The case is part of the tag: the cases run in this process at once, and one case's clean-up
        // (`removeLeftovers`, after its script released the lab lock) must not delete another's namespaces.
        let tag = "r\(getpid() % 100_000)\(replay.loops)\(replay.unplugs ? "u" : "s")\(Int.random(in: 10...99))"
        defer { LiveSniffEnvironment.removeLeftovers(tag: tag, suffixes: ["a", "b"]) }
        let script = Paths.repositoryRoot.appendingPathComponent("scripts/live-sniff-replay.sh").path
        let sample = Paths.repositoryRoot.appendingPathComponent("samples/\(replay.sample)").path
        // With `unplugs`, the interface is deleted under the sniffers: a capture failure ends them, as it ends one
        // thread.
        let run = try LiveSniffEnvironment.execute(
            "/usr/bin/env",
            ["END=\(replay.unplugs ? "unplug" : "sigint")", "/bin/bash", script, LiveSniffEnvironment.executable,
                output.path, tag, sample, "\(replay.loops)", "1", "4"],
            timeout: 150)
        try #require(run.status == 0, "replay script failed (\(run.status)):\n\(run.standardError)")

        func file(_ threads: Int, _ suffix: String) throws -> String {
            try String(contentsOf: output.appendingPathComponent("threads-\(threads).\(suffix)"), encoding: .utf8)
        }
        let context = "--threads 1:\n\(try file(1, "out"))\n--threads 4:\n\(try file(4, "out"))"
        for threads in [1, 4] {
            #expect(try file(threads, "rc").trimmingCharacters(in: .whitespacesAndNewlines) == "0", "--threads \(threads)\n\(context)")
            #expect(try file(threads, "out").contains(" 0 dropped by the kernel, "), "\(context)")
            let stop = replay.unplugs ? "Stopped by capture failure" : "Stopped by SIGINT"
            #expect(try file(threads, "out").contains(stop), "--threads \(threads)\n\(context)")
            if replay.unplugs {
                #expect(try file(threads, "err").contains("ftpscope: warning: eth0: capture stopped: "), "\(context)")
            }
        }
        // The four-thread sniffer really ran sharded: main, capture, two workers, merge (the one-thread one: two).
        let workers = ShardedAnalysis.plan(threads: 4).workers
        #expect(try file(1, "tasks").trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        #expect(try file(4, "tasks").trimmingCharacters(in: .whitespacesAndNewlines) == "\(3 + workers)")

        let one = try LiveReplayTimeline(try file(1, "jsonl"))
        let four = try LiveReplayTimeline(try file(4, "jsonl"))
        #expect(one.sessions.count >= replay.loops, "a session per loop at least\n\(context)")
        #expect(one.sessions.keys.sorted() == four.sessions.keys.sorted(), "\(context)")
        for (session, rows) in one.sessions {
            #expect(four.sessions[session] == rows, "session \(session)\n\(context)")
        }
        #expect(try file(4, "jsonl").contains(replay.expected), "\(context)")
        if replay.loops > 1 {
            let shards = Set(four.pairs.map { ShardRouter.pairShard($0.0, $0.1, of: workers) })
            #expect(shards.count == workers, "the sessions' host pairs land on every worker: \(four.pairs)")
        }
        // The summaries agree on everything counted (the packet count is the same packets, seen twice).
        func summary(_ threads: Int) throws -> [Substring] {
            try file(threads, "out").split(separator: "\n").filter {
                $0.hasPrefix("Sessions: ") || $0.hasPrefix("Transfers: ") || $0.hasPrefix("Findings: ")
                    || $0.contains(" packets analysed ")
            }.map { $0.split(separator: ";")[0] }
        }
        #expect(try summary(1).count == 4, "\(context)")
        #expect(try summary(1) == summary(4), "\(context)")
    }

    /// A password-guessing run is reported while `sniff` runs, once its window has passed after the last failure,
    /// not when the capture stops: the guessing sample replayed three times (three new client addresses, three
    /// runs) with a one-second window, by one thread and by the sharded analysis.
    @Test(
        .enabled(if: LiveSniffEnvironment.replayProblem == nil, Comment(rawValue: LiveSniffEnvironment.replayProblem ?? "")),
        .timeLimit(.minutes(3)))
    func aGuessingRunIsReportedWhileSniffing() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-guess-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: output) }
        let tag = "g\(getpid() % 100_000)\(Int.random(in: 10...99))"
        defer { LiveSniffEnvironment.removeLeftovers(tag: tag, suffixes: ["a", "b"]) }
        let script = Paths.repositoryRoot.appendingPathComponent("scripts/live-sniff-replay.sh").path
        let sample = Paths.repositoryRoot.appendingPathComponent("samples/guessing-run-pyftpdlib.pcap").path
        let run = try LiveSniffEnvironment.execute(
            "/usr/bin/env",
            ["SNIFF_ARGS=--bruteforce-window 1", "SETTLE=3", "/bin/bash", script, LiveSniffEnvironment.executable,
                output.path, tag, sample, "3", "1", "4"],
            timeout: 150)
        try #require(run.status == 0, "replay script failed (\(run.status)):\n\(run.standardError)")
        for threads in [1, 4] {
            let before = try String(
                contentsOf: output.appendingPathComponent("threads-\(threads).before.jsonl"), encoding: .utf8)
            let runs = before.split(separator: "\n").filter { $0.contains(#""finding":"bruteforce""#) }
            #expect(runs.count == 3, "--threads \(threads): one run per loop before SIGINT\n\(before)")
            let after = try String(contentsOf: output.appendingPathComponent("threads-\(threads).jsonl"), encoding: .utf8)
            #expect(after.split(separator: "\n").filter { $0.contains(#""finding":"bruteforce""#) }.count == 3, "not again at the end")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: LiveSniffEnvironment.executable)))
    func noSuchInterfaceIsOneLineAndExitOne() throws {
        let run = try LiveSniffEnvironment.execute(LiveSniffEnvironment.executable, ["sniff", "--interface", "nosuch0"], timeout: 20)
        #expect(run.status == 1)
        #expect(run.standardOutput.isEmpty)
        #expect(run.standardError.split(separator: "\n").count == 1, "one line: \(run.standardError)")
        if getuid() == 0 {
            #expect(run.standardError == "ftpscope: nosuch0: no such interface\n")
        } else {
            #expect(run.standardError.hasPrefix("ftpscope: nosuch0: "))
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: LiveSniffEnvironment.executable)))
    func invalidFilterShowsLibpcapsMessage() throws {
        let run = try LiveSniffEnvironment.execute(
            LiveSniffEnvironment.executable, ["sniff", "--interface", "lo", "--filter", "tcp port"], timeout: 20)
        #expect(run.status == 1)
        #expect(run.standardError.split(separator: "\n").count == 1, "one line: \(run.standardError)")
        if getuid() == 0 {
            // libpcap's own words follow the expression as the user wrote it.
            #expect(run.standardError.hasPrefix("ftpscope: lo: invalid filter \"tcp port\": "), "\(run.standardError)")
            #expect(run.standardError.contains("syntax error"), "\(run.standardError)")
        } else {
            #expect(
                run.standardError
                    == "ftpscope: lo: permission denied: capturing needs root or CAP_NET_RAW (and CAP_NET_ADMIN)\n")
        }
    }

    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: LiveSniffEnvironment.executable)))
    func durationEndsTheCaptureWithASummary() throws {
        // Captures on the loopback interface of this host only briefly; nothing is sent.
        let run = try LiveSniffEnvironment.execute(
            LiveSniffEnvironment.executable, ["sniff", "--interface", "lo", "--duration", "0.5", "--filter", "port 1"],
            timeout: 20)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("Stopped by --duration"))
        // Other programs on this host may touch port 1 on loopback meanwhile (a refused connection is a packet),
        // so the count is not fixed; the line must be there with its figures.
        #expect(
            run.standardOutput.split(separator: "\n").contains { line in
                line.wholeMatch(of: /\ \ libpcap: [0-9]+ received, [0-9]+ dropped by the kernel, [0-9]+ dropped by the interface/) != nil
            }, "\(run.standardOutput)")
    }
}

/// Finding the executable and the tools, and running processes with a time limit.
enum LiveSniffEnvironment {
    static let executable = Paths.repositoryRoot.appendingPathComponent(".build/debug/ftpscope").path

    /// Why the namespace scenario can't run here, or nil.
    static let scenarioProblem: String? = {
        if getuid() != 0 { return "live sniffing test skipped: needs root (network namespaces, vsftpd)" }
        let missing = ["ip", "vsftpd", "curl", "lftp", "iptables", "useradd"].filter { find($0) == nil }
        if !missing.isEmpty { return "live sniffing test skipped: missing \(missing.joined(separator: ", "))" }
        if !FileManager.default.isExecutableFile(atPath: executable) {
            return "live sniffing test skipped: no executable at \(executable) (swift build first)"
        }
        return nil
    }()

    /// Why the replay can't run here, or nil.
    static let replayProblem: String? = {
        if getuid() != 0 { return "live replay test skipped: needs root (network namespaces)" }
        let missing = ["ip", "tcpreplay", "flock"].filter { find($0) == nil }
        if !missing.isEmpty { return "live replay test skipped: missing \(missing.joined(separator: ", "))" }
        if !FileManager.default.isExecutableFile(atPath: executable) {
            return "live replay test skipped: no executable at \(executable) (swift build first)"
        }
        return nil
    }()

    static func find(_ tool: String) -> String? {
        for directory in ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
            let path = directory + "/" + tool
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    struct Run {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs a program to its end (killed after `timeout` seconds), its output through files (no pipe can fill).
    static func execute(_ program: String, _ arguments: [String], timeout: TimeInterval) throws -> Run {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ftpscope-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out")
        let errURL = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            process.terminate()  // SIGTERM: the scenario script's trap cleans up
            let grace = Date().addingTimeInterval(10)
            while process.isRunning && Date() < grace { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Run(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// Belt and braces after the script's own trap: its namespaces and user, by their unique names.
    static func removeLeftovers(tag: String, suffixes: [String] = ["c", "s"]) {
        guard getuid() == 0, let ip = find("ip") else { return }
        for suffix in suffixes {
            _ = try? execute(ip, ["netns", "del", "fsniff-\(tag)-\(suffix)"], timeout: 10)
        }
        if let userdel = find("userdel") {
            _ = try? execute(userdel, [String("fsn\(tag)".prefix(31))], timeout: 10)
        }
    }
}

/// A sample to replay, how many times, and a piece of a row the sharded sniffer must have written.
struct LiveReplay: Sendable, CustomTestStringConvertible {
    var sample: String
    var loops: Int
    var expected: String
    /// End by deleting the interface instead of SIGINT.
    var unplugs = false

    var testDescription: String { "\(sample) x\(loops)" + (unplugs ? ", interface deleted" : "") }
}

/// A JSON Lines timeline, its rows grouped by session, each row without the fields that differ between two captures
/// of the same packets (times and the durations measured from them), re-encoded with sorted keys.
struct LiveReplayTimeline {
    var rows: [String] = []
    var sessions: [String: [String]] = [:]
    /// Each session's client and server address.
    var pairs: [(IPAddress, IPAddress)] = []

    init(_ text: String) throws {
        for line in text.split(separator: "\n") {
            var object = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
            for timed in ["time", "reply_time_ms", "duration_ms"] { object.removeValue(forKey: timed) }
            let row = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            rows.append(row)
            let session = try #require(object["session"] as? String, "no session: \(line)")
            if sessions[session] == nil, let client = object["client"] as? String, let server = object["server"] as? String,
                let clientAddress = IPAddress(client.split(separator: ":")[0]),
                let serverAddress = IPAddress(server.split(separator: ":")[0])
            {
                pairs.append((clientAddress, serverAddress))
            }
            sessions[session, default: []].append(row)
        }
    }
}
