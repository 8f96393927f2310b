import FTPAnalysis
import FTPScope
import Foundation
import NetworkTypes
@testable import Reports
import TestSupport
import Testing

/// Where the repository's samples are, from this file's path (tests run from any working directory).
enum ReportPaths {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let samples = repositoryRoot.appendingPathComponent("samples")

    static func sampleFiles() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: samples.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") || $0.hasSuffix(".pcap.gz") }.sorted()
    }
}

/// Builds and renders reports for the tests.
enum ReportFixtures {
    static func report(paths: [String], showPasswords: Bool = false) throws -> (AnalysisResult, String) {
        let result = try OfflineAnalysis.run(paths: paths)
        return (result, HTMLReport.render(result.reportInput(showPasswords: showPasswords)))
    }

    static func report(packets: [(Timestamp, [UInt8])], name: String) throws -> (AnalysisResult, String) {
        let directory = try PcapWriter.makeTemporaryDirectory(prefix: "ftpscope-html")
        let path = directory + "/" + name
        try PcapWriter.write(PcapWriter.pcap(packets), to: path)
        return try report(paths: [path])
    }

    static let client = Endpoint(address: .v4(192, 0, 2, 10), port: 51234)
    static let server = Endpoint(address: .v4(198, 51, 100, 20), port: 21)

    /// One session whose every wire string is hostile: markup in the banner, the user name, the password, a file
    /// name and the replies; a terminal escape and a bidirectional override in a directory name.
    static func hostileCapture() -> [(Timestamp, [UInt8])] {
        var control = ConversationBuilder(client: client, server: server)
        control.handshake()
        control.serverSends("220 <b>welcome</b> & \"friends\" 'here'\r\n")
        control.clientSends("USER <img src=x onerror=alert(2)>\r\n")
        control.serverSends("331 Password required for <img src=x onerror=alert(2)>\r\n")
        control.clientSends("PASS s3cret</text><script>alert(3)</script>\r\n")
        control.serverSends("230 Logged in.\r\n")
        control.clientSends("CWD evil\u{1B}[2J\u{202E}txt.exe\r\n")
        control.serverSends("250 OK\r\n")
        control.clientSends("PASV\r\n")
        control.serverSends("227 Entering Passive Mode (198,51,100,20,195,80).\r\n")
        control.clientSends("RETR <script>alert(1)</script>\r\n")
        control.serverSends("550 <script>alert(1)</script>: No such file or directory.\r\n")
        control.clientSends("PASV\r\n")
        control.serverSends("227 Entering Passive Mode (198,51,100,20,195,81).\r\n")
        var data = ConversationBuilder(
            client: Endpoint(address: client.address, port: 40001), server: Endpoint(address: server.address, port: 50001),
            start: control.time)
        data.synRefused()
        control.wait(nanoseconds: 5_000_000)
        control.clientSends("STOR ]]></title><script>alert(4)</script>\r\n")
        control.serverSends("425 Can't open data connection.\r\n")
        control.clientSends("QUIT\r\n")
        control.serverSends("221 Bye\r\n")
        control.clientFIN()
        control.serverFIN()
        return ConversationBuilder.interleave([control.packets, data.packets])
    }

    /// `count` short sessions, every third one with a failed login.
    static func manySessions(_ count: Int) -> [(Timestamp, [UInt8])] {
        var lists: [[(Timestamp, [UInt8])]] = []
        for index in 0..<count {
            var control = ConversationBuilder(
                client: Endpoint(address: client.address, port: UInt16(20000 + index)), server: server,
                start: Timestamp(seconds: 1_714_557_600 + Int64(index), nanoseconds: 0))
            control.handshake()
            control.serverSends("220 ready\r\n")
            control.clientSends("USER user\(index)\r\n")
            control.serverSends("331 Password required\r\n")
            control.clientSends("PASS pw\(index)\r\n")
            control.serverSends(index % 3 == 0 ? "530 Login incorrect.\r\n" : "230 Logged in.\r\n")
            control.clientSends("QUIT\r\n")
            control.serverSends("221 Bye\r\n")
            control.clientFIN()
            control.serverFIN()
            lists.append(control.packets)
        }
        return ConversationBuilder.interleave(lists)
    }

    /// One long session: `routine` navigation commands in a row, then `failures` downloads of missing files,
    /// with a ten-minute pause in the middle.
    static func longSession(routine: Int, failures: Int) -> [(Timestamp, [UInt8])] {
        var control = ConversationBuilder(client: client, server: server)
        control.handshake()
        control.serverSends("220 ready\r\n")
        control.clientSends("USER anonymous\r\n")
        control.serverSends("331 Guest login ok\r\n")
        control.clientSends("PASS guest@example.org\r\n")
        control.serverSends("230 Guest login ok\r\n")
        for index in 0..<routine {
            control.clientSends(index % 2 == 0 ? "CWD dir\(index)\r\n" : "PWD\r\n")
            control.serverSends(index % 2 == 0 ? "250 OK\r\n" : "257 \"/dir\(index - 1)\"\r\n")
        }
        control.wait(nanoseconds: 600_000_000_000)
        for index in 0..<failures {
            control.clientSends("RETR missing\(index).bin\r\n")
            control.serverSends("550 missing\(index).bin: No such file.\r\n")
        }
        control.clientSends("QUIT\r\n")
        control.serverSends("221 Bye\r\n")
        control.clientFIN()
        control.serverFIN()
        return control.packets
    }
}

extension String {
    func occurrences(of needle: String) -> Int { components(separatedBy: needle).count - 1 }
}

@Suite struct HTMLReportTests {
    @Test func escapingCoversMarkupQuotesAndControls() {
        #expect(html("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;")
        #expect(html("a & b \"c\" 'd'") == "a &amp; b &quot;c&quot; &#39;d&#39;")
        #expect(html("\u{1B}[31mred\u{0}") == "\\x1b[31mred\\x00")
        #expect(html("abc\u{202E}fed") == "abc\\u{202e}fed")
        #expect(html("one\ntwo", lineBreaks: true) == "one<br>two")
        #expect(!html("one\ntwo").contains("\n"))
        #expect(html("façade ✓") == "façade ✓")
        #expect(clipped("abcdef", 4) == "abc…")
        #expect(clipped("ab\ncd", 10) == "ab …")
    }

    @Test(arguments: ReportPaths.sampleFiles())
    func everySampleRendersAsOneSelfContainedPage(file: String) throws {
        let (result, page) = try ReportFixtures.report(paths: [ReportPaths.samples.appendingPathComponent(file).path])
        #expect(!result.sessions.isEmpty)
        #expect(page.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(page.hasSuffix("</html>\n"))
        // One collapsible section and one diagram per session, each session reachable by its id.
        #expect(page.occurrences(of: "<details class=\"session") == result.sessions.count)
        #expect(page.occurrences(of: "<svg ") == result.sessions.count)
        #expect(page.occurrences(of: "</svg>") == result.sessions.count)
        for session in result.sessions { #expect(page.contains("id=\"\(session.id)\"")) }
        // Self-contained: nothing that could fetch or run anything.
        for forbidden in ["http://", "https://", "<script", "src=", "url(", "@import", "<link", "<iframe", "<object"] {
            #expect(!page.contains(forbidden), "found \(forbidden)")
        }
        #expect(page.contains("Content-Security-Policy\" content=\"default-src 'none'"))
        // Every transfer is drawn: one data arrow per connection, or one dashed arrow when none was seen.
        let connections = result.sessions.flatMap(\.transfers).reduce(0) { $0 + $1.connections.count }
        #expect(page.occurrences(of: " datacon\"") >= connections)
        // Passwords follow the policy.
        for session in result.sessions {
            for attempt in session.loginAttempts {
                guard let password = attempt.password, !attempt.isAnonymousUser else { continue }
                #expect(!page.contains("PASS " + html(password)))
                #expect(page.contains("PASS &lt;hidden&gt;"))
            }
        }
        // The summary counts transfers by status and findings by severity.
        for status in Set(result.sessions.flatMap(\.transfers).map(\.status)) {
            #expect(page.contains(" \(status.rawValue)</span>"))
        }
        for finding in result.findings { #expect(page.contains(">\(finding.kind.rawValue)<")) }
    }

    @Test func failedSessionsComeFirstAndOpen() throws {
        let (result, page) = try ReportFixtures.report(
            paths: [ReportPaths.samples.appendingPathComponent("failed-logins-pyftpdlib.pcap").path])
        #expect(result.sessions.count == 5)
        // S5 succeeded: it comes after the four failed ones, collapsed.
        let sections = page.components(separatedBy: "<details class=\"session").dropFirst()
        let order = sections.map { section -> String in
            let start = section.range(of: "id=\"")!.upperBound
            return String(section[start...].prefix { $0 != "\"" })
        }
        #expect(order == ["S1", "S2", "S3", "S4", "S5"])
        #expect(sections.filter { $0.hasPrefix(" bad") }.count == 4)
        #expect(sections.last!.contains("\" open>") == false)
        #expect(sections.first!.contains("\" open>"))
        // Table of contents with a link per session.
        for session in result.sessions { #expect(page.contains("<a href=\"#\(session.id)\">")) }
        // A single session is open whatever its outcome; a clean passive session is green.
        let (_, passive) = try ReportFixtures.report(paths: [ReportPaths.samples.appendingPathComponent("passive-vsftpd.pcap").path])
        #expect(passive.contains("<details class=\"session ok\" id=\"S1\" open>"))
    }

    @Test func activeNATFailureIsDrawnAsTheServerConnectingToTheClientDataPort() throws {
        let (_, page) = try ReportFixtures.report(paths: [ReportPaths.samples.appendingPathComponent("active-nat-failure.pcap").path])
        #expect(page.contains("Client data port"))
        #expect(page.contains("Server data port"))
        // Two unanswered active attempts, red, numbered, explained under the diagram.
        #expect(page.occurrences(of: "<g class=\"arrow bad datacon\">") == 2)
        #expect(page.occurrences(of: "<g class=\"arrow ok datacon\">") == 2)
        #expect(page.contains("192.0.2.21:20 → 10.0.0.2:54445 · SYN ×5, no answer · unanswered"))
        #expect(page.contains("<ol class=\"notes\">"))
        #expect(page.contains("[1] LIST /pub"))
        // The 5-second waits for the 425s are drawn as breaks.
        #expect(page.contains("5.0 s later"))
    }

    @Test func hostileWireStringsComeOutAsText() throws {
        let (result, page) = try ReportFixtures.report(packets: ReportFixtures.hostileCapture(), name: "<b>capture<b>.pcap")
        #expect(result.sessions.count == 1)
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("&lt;img src=x onerror=alert(2)&gt;"))
        #expect(page.contains("&lt;b&gt;welcome&lt;/b&gt; &amp; &quot;friends&quot; &#39;here&#39;"))
        #expect(page.contains("&lt;b&gt;capture&lt;b&gt;.pcap"))
        #expect(page.contains("evil\\x1b[2J\\u{202e}txt.exe"))
        for raw in ["<script", "<img", "<b>welcome", "<b>capture", "alert(3)", "s3cret", "\u{1B}", "\u{202E}", "]]></title>"] {
            #expect(!page.contains(raw), "raw \(raw) in the page")
        }
        #expect(page.contains("PASS &lt;hidden&gt;"))
        // With --show-passwords the password appears, escaped.
        let shown = HTMLReport.render(result.reportInput(showPasswords: true))
        #expect(shown.contains("s3cret&lt;/text&gt;&lt;script&gt;alert(3)&lt;/script&gt;"))
        #expect(!shown.contains("<script"))
    }

    @Test func hundredsOfSessionsStayCollapsedWithAContentsTable() throws {
        let (result, page) = try ReportFixtures.report(packets: ReportFixtures.manySessions(300), name: "many.pcap")
        #expect(result.sessions.count == 300)
        #expect(page.occurrences(of: "<details class=\"session") == 300)
        #expect(page.occurrences(of: "<svg ") == 300)
        #expect(page.occurrences(of: "\" open>") == HTMLReport.maxOpenSessions)
        #expect(page.occurrences(of: "<tr class=\"") >= 300)
        // The 100 failed logins (S1, S4, …) come first.
        let firstOK = try #require(page.range(of: "<details class=\"session ok\""))
        let lastBad = try #require(page.range(of: "<details class=\"session bad\"", options: .backwards))
        #expect(lastBad.lowerBound < firstOK.lowerBound)
        #expect(page.utf8.count < 8_000_000)
    }

    @Test func longSessionsCollapseRoutineCommandsAndCapArrows() throws {
        let (result, page) = try ReportFixtures.report(packets: ReportFixtures.longSession(routine: 1_200, failures: 400), name: "long.pcap")
        let session = try #require(result.sessions.first)
        #expect(session.commands.count >= 1_600)
        #expect(page.contains("… 1200 routine commands (CWD ×600, PWD ×600)"))
        #expect(page.contains("1,200 routine commands (CWD, PWD, TYPE, NOOP, …) are collapsed"))
        #expect(page.contains("more events not drawn"))
        #expect(page.contains("10 min 0 s later"))
        let drawn = page.occurrences(of: "<g class=\"arrow") + page.occurrences(of: "<g class=\"box")
        #expect(drawn <= LadderDiagram.maxRows + 20)
        // The last failures and the end of the session are kept.
        #expect(page.contains("RETR missing399.bin"))
        #expect(page.contains("control connection closed after QUIT"))
    }
}
