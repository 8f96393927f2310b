import FTPScope
import Foundation
import Reports
import TestSupport
import Testing

/// Loads pages in headless Chromium (Debian's `chromium` package) and reports what happened.
///
/// How it works: each page is loaded once with `--dump-dom`, which prints the DOM after the load event and exits.
/// - **Errors**: `--enable-logging=stderr` makes Chromium print every console message (uncaught exceptions,
///   Content-Security-Policy violations, failed loads) to standard error as `…:CONSOLE…` lines. The report has no
///   scripts, so any console line at all is a failure.
/// - **Network**: `--log-net-log=FILE` records every request of the network stack as JSON. Chromium makes
///   background requests of its own (updates, accounts), so a request counts as the page's when its network
///   isolation key or cookie site is the `file://` page (the browser's own requests have none). Name resolution is
///   mapped to nothing (`--host-resolver-rules="MAP * ~NOTFOUND"`), so no request can leave the machine anyway.
/// - A canary page with an external image and a throwing script must trip both detectors; if it doesn't (a
///   Chromium that logs differently), the test fails rather than passing blindly.
///
/// Runs when `chromium` (or `chromium-browser`) is on PATH; `FTPSCOPE_CHROMIUM=1` makes it required (fails when
/// Chromium is missing), `FTPSCOPE_CHROMIUM=0` skips it.
enum Chromium {
    static let setting = ProcessInfo.processInfo.environment["FTPSCOPE_CHROMIUM"]

    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["chromium", "chromium-browser"] {
            for directory in path.split(separator: ":") {
                let candidate = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }()

    /// Whether the tests run: not when FTPSCOPE_CHROMIUM=0; always when it is 1; otherwise when Chromium exists.
    static let enabled: Bool = setting == "1" || (setting != "0" && executable != nil)

    static let skipReason: Comment =
        "headless Chromium test skipped: no `chromium` on PATH (apt-get install -y chromium) or FTPSCOPE_CHROMIUM=0"

    struct Load {
        var dom: String
        var consoleLines: [String]
        var pageRequests: [String]
        var status: Int32
    }

    enum Failure: Error, CustomStringConvertible {
        case missing
        case timedOut(String)
        case unreadableNetLog(String)
        var description: String {
            switch self {
            case .missing: return "FTPSCOPE_CHROMIUM=1 but no chromium on PATH (apt-get install -y chromium)"
            case .timedOut(let page): return "chromium did not finish loading \(page) within 90 s"
            case .unreadableNetLog(let path): return "chromium's net log \(path) is not JSON"
            }
        }
    }

    /// Loads `page` (a local file) and collects its DOM, console messages and network requests.
    static func load(_ page: String) throws -> Load {
        guard let executable else { throw Failure.missing }
        let work = try PcapWriter.makeTemporaryDirectory(prefix: "ftpscope-chromium")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let netLog = work + "/netlog.json"
        let outPath = work + "/dom.html"
        let errPath = work + "/stderr.txt"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
            "--user-data-dir=\(work)/profile", "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr",
            "--v=0", "--log-net-log=\(netLog)", "--dump-dom", URL(fileURLWithPath: page).absoluteString,
        ]
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw Failure.timedOut(page)
        }
        try out.close()
        try err.close()
        let dom = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        let console = stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return Load(dom: dom, consoleLines: console, pageRequests: try pageRequests(netLog), status: process.terminationStatus)
    }

    /// URLs requested on behalf of a `file://` page, from a Chromium net log.
    static func pageRequests(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path),
            let log = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let events = log["events"] as? [[String: Any]]
        else { throw Failure.unreadableNetLog(path) }
        var urls: [String] = []
        for event in events {
            guard let params = event["params"] as? [String: Any], let url = params["url"] as? String else { continue }
            let isolation = (params["network_isolation_key"] as? String) ?? ""
            let cookieSite = (params["site_for_cookies"] as? String) ?? ""
            if isolation.contains("file://") || cookieSite.contains("site=file://") {
                if !urls.contains(url) { urls.append(url) }
            }
        }
        return urls
    }
}

@Suite(.enabled(if: Chromium.enabled, Chromium.skipReason))
struct ChromiumTests {
    /// The detectors must see what they are meant to see, or the real checks prove nothing.
    @Test func canaryPageTripsBothDetectors() throws {
        let directory = try PcapWriter.makeTemporaryDirectory(prefix: "ftpscope-canary")
        let page = directory + "/canary.html"
        try Data(
            """
            <!DOCTYPE html><html><head><meta charset="utf-8"><title>canary</title></head><body>
            <img src="http://canary.invalid/pixel.png"><script>throw new Error("canary")</script><p id="end">end</p>
            </body></html>
            """.utf8
        ).write(to: URL(fileURLWithPath: page))
        let load = try Chromium.load(page)
        #expect(load.dom.contains("id=\"end\""))
        #expect(load.pageRequests.contains("http://canary.invalid/pixel.png"), "the net log no longer shows page requests")
        #expect(load.consoleLines.contains { $0.contains("canary") }, "console errors no longer reach stderr")
    }

    @Test(arguments: ReportPaths.sampleFiles())
    func sampleReportLoadsCleanlyWithoutNetwork(file: String) throws {
        let (result, page) = try ReportFixtures.report(paths: [ReportPaths.samples.appendingPathComponent(file).path])
        try check(page, sessions: result.sessions.count, name: file)
    }

    @Test func hostileReportLoadsCleanlyAndShowsTheMarkupAsText() throws {
        let (result, page) = try ReportFixtures.report(packets: ReportFixtures.hostileCapture(), name: "hostile.pcap")
        let dom = try check(page, sessions: result.sessions.count, name: "hostile")
        // The file name is in the DOM as text (serialised escaped), never as an element.
        #expect(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!dom.contains("<script"))
        #expect(!dom.contains("<img"))
    }

    @discardableResult
    func check(_ page: String, sessions: Int, name: String) throws -> String {
        let directory = try PcapWriter.makeTemporaryDirectory(prefix: "ftpscope-report")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/report.html"
        try Data(page.utf8).write(to: URL(fileURLWithPath: path))
        let load = try Chromium.load(path)
        #expect(load.status == 0, "chromium exited with \(load.status) on \(name)")
        // The whole document was parsed: the footer is there, and every session with its diagram.
        #expect(load.dom.contains("id=\"report-end\""), "\(name): DOM incomplete")
        #expect(load.dom.components(separatedBy: "<details class=\"session").count - 1 == sessions)
        #expect(load.dom.components(separatedBy: "<svg ").count - 1 == sessions)
        #expect(load.consoleLines.isEmpty, "\(name): console messages: \(load.consoleLines)")
        #expect(load.pageRequests.isEmpty, "\(name): the page made network requests: \(load.pageRequests)")
        return load.dom
    }
}
