import ArgumentParser
import FTPAnalysis
import FTPScope
import Foundation
import Reports

@main
struct FTPScopeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ftpscope",
        abstract: "Analyse FTP in packet captures: sessions, logins, data connections and why they failed.",
        version: ftpscopeVersion,
        subcommands: [Analyze.self]
    )
}

/// Output format of standard output.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// Options shared by `analyze` and (later) `sniff`.
struct CommonOptions: ParsableArguments {
    @Option(help: "What goes to standard output: the human summary (text) or one JSON document (json).")
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp("Control ports to treat as FTP, comma-separated.", valueName: "LIST"))
    var ports: String = "21"

    @Option(help: ArgumentHelp("Extra BPF capture filter, ANDed with what ftpscope needs.", valueName: "BPF"))
    var filter: String?

    @Flag(help: "Print passwords (by default they are <hidden>, except anonymous e-mail passwords).")
    var showPasswords = false

    @Flag(inversion: .prefixedNo, help: "Find FTP on other ports by its content (a 220 greeting answered by FTP commands).")
    var detectByContent = true

    func validate() throws {
        _ = try controlPorts()
    }

    func controlPorts() throws -> Set<UInt16> {
        var result: Set<UInt16> = []
        for part in ports.split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let port = UInt16(text), port > 0 else {
                throw ValidationError("--ports: '\(text)' is not a TCP port (1-65535)")
            }
            result.insert(port)
        }
        guard !result.isEmpty else { throw ValidationError("--ports: give at least one port") }
        return result
    }

    func configuration() throws -> AnalysisConfiguration {
        var configuration = AnalysisConfiguration()
        configuration.controlPorts = try controlPorts()
        configuration.detectByContent = detectByContent
        return configuration
    }
}

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyse capture files (pcap, pcapng, either gzip-compressed; - for standard input).",
        discussion: "Several captures are read in time order as one stream (rotated capture sets)."
    )

    @Argument(help: ArgumentHelp("Capture files to read, or - for standard input.", valueName: "CAPTURE"))
    var captures: [String]

    @OptionGroup var options: CommonOptions

    @Option(help: ArgumentHelp("Write a self-contained HTML report with a ladder diagram per session.", valueName: "PATH"))
    var report: String?

    @Option(
        help: ArgumentHelp(
            "Write every transferred file and listing into DIR, with SHA-256 and a manifest.csv.", valueName: "DIR"))
    var extract: String?

    func validate() throws {
        if captures.isEmpty { throw ValidationError("give at least one capture file (or - for standard input)") }
        if captures.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
    }

    func run() throws {
        let result: AnalysisResult
        let configuration = try options.configuration()
        var extraction: Extraction?
        if let directory = extract {
            do {
                extraction = try Extraction(directory: directory)
            } catch {
                Terminal.error("ftpscope: \(error)")
                throw ExitCode(1)
            }
        }
        do {
            result = try OfflineAnalysis.run(
                paths: captures, configuration: configuration, filter: options.filter, dataSink: extraction?.sink)
        } catch {
            Terminal.error("ftpscope: \(error.message)")
            throw ExitCode(1)
        }
        for warning in result.warnings + (extraction?.finish() ?? []) {
            Terminal.error("ftpscope: warning: \(warning)")
        }
        let report = result.reportInput(showPasswords: options.showPasswords)
        switch options.format {
        case .text:
            Terminal.output(TextSummary(useColor: Terminal.colorAllowed(fileDescriptor: 1)).render(report))
        case .json:
            Terminal.output(JSONDocument.render(report))
        }
        if let path = self.report {
            do {
                try Data(HTMLReport.render(report).utf8).write(to: URL(fileURLWithPath: path))
            } catch {
                Terminal.error("ftpscope: cannot write report \(path): \((error as NSError).localizedDescription)")
                throw ExitCode(1)
            }
        }
    }
}

/// Writing to standard output and error.
enum Terminal {
    static func output(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func error(_ line: String) {
        // One line, whatever the message holds: a file name can contain a newline.
        let single = line.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
        FileHandle.standardError.write(Data((single + "\n").utf8))
    }

    /// Colours only on a terminal and never with NO_COLOR (https://no-color.org).
    static func colorAllowed(fileDescriptor: Int32) -> Bool {
        if let noColor = ProcessInfo.processInfo.environment["NO_COLOR"], !noColor.isEmpty { return false }
        if ProcessInfo.processInfo.environment["TERM"] == "dumb" { return false }
        return isatty(fileDescriptor) == 1
    }
}
