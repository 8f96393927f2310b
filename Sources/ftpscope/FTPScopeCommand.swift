import ArgumentParser
import CMimalloc
import FTPAnalysis
import FTPScope
import Glibc
import Reports

@main
struct FTPScopeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ftpscope",
        abstract: "Analyse FTP in packet captures: sessions, logins, data connections and why they failed.",
        // `ftpscope --version` names the tool, as other tools do ("ftpscope 0.1.0"), not the number alone.
        version: "ftpscope \(ftpscopeVersion)",
        subcommands: [Analyze.self, Sniff.self, Compare.self]
    )

    static func main() {
        // mimalloc keeps freed pages for 100 ms before giving them back to the system (its decommit delay,
        // MIMALLOC_RESET_DELAY): with the outputs freeing records in bursts, peak memory on the control-heavy
        // benchmark rose from 55 to 65 MiB. At once, it stays at glibc's level, at the same speed.
        mi_option_set(mi_option_decommit_delay, 0)
        main(nil)
    }
}

/// Output format of standard output.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// Options shared by `analyze` and `sniff`.
struct CommonOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "What goes to standard output: the human summary (text, the default) or one JSON document (json).",
            discussion:
                "Standard output carries one thing: with --csv - or --jsonl - it carries that timeline and the summary is left out, and --format cannot be given as well."
        ))
    var format: OutputFormat?

    @Option(
        help: ArgumentHelp(
            "Write the session timeline as CSV (RFC 4180, one row per event, in time order); - for standard output.",
            valueName: "PATH"), completion: .file())
    var csv: String?

    @Option(
        help: ArgumentHelp(
            "Write the same timeline as JSON Lines (one object per event); - for standard output.", valueName: "PATH"),
        completion: .file())
    var jsonl: String?

    @Option(
        help: ArgumentHelp(
            "Field names of --jsonl: ours (ftpscope, SPEC.md's columns) or Elastic Common Schema 9 (ecs) with FTP detail under ftp.",
            valueName: "SCHEMA"))
    var schema: TimelineSchema = .ftpscope

    @Option(help: ArgumentHelp("Control ports to treat as FTP, comma-separated.", valueName: "LIST"))
    var ports: String = "21"

    @Option(help: ArgumentHelp("Extra BPF capture filter, ANDed with what ftpscope needs.", valueName: "BPF"))
    var filter: String?

    @Flag(help: "Print passwords (by default they are <hidden>, except anonymous e-mail passwords).")
    var showPasswords = false

    @Flag(inversion: .prefixedNo, help: "Find FTP on other ports by its content (a 220 greeting answered by FTP commands).")
    var detectByContent = true

    // The defaults are AnalysisConfiguration's (10 in 600 s); repeated here because the executable sees only
    // FTPScope.
    @Option(help: ArgumentHelp("Failed logins from one client to one server that make a bruteforce finding.", valueName: "N"))
    var bruteforceThreshold: Int = 10

    @Option(help: ArgumentHelp("Window for --bruteforce-threshold, in seconds.", valueName: "SECONDS"))
    var bruteforceWindow: Double = 600

    @Option(
        help: ArgumentHelp(
            "Threads to use (default: the cores online, at most 8); the output is the same for every N. With 2 or more, analyze reads and decodes on one thread and writes its streamed outputs on another while it analyses, 3 gives its outputs (timelines with the summary, JSON document, HTML report) two threads, and 4 or more shard its analysis by host pair over worker threads (at least two; the rest write outputs); sniff always captures on a thread of its own, writes its outputs on another from 2, and from 4 shards its analysis the same way (except with --format json).",
            valueName: "N"))
    var threads: Int?

    @OptionGroup(title: "Narrowing") var narrowing: NarrowingOptions

    /// `--threads`, or the machine's default.
    var threadCount: Int { threads ?? AnalysisThreads.machineDefault }

    func validate() throws {
        _ = try controlPorts()
        if let threads, !(1...AnalysisThreads.maximum).contains(threads) {
            throw ValidationError("--threads: give a number from 1 to \(AnalysisThreads.maximum)")
        }
        if bruteforceThreshold < 2 { throw ValidationError("--bruteforce-threshold: give at least 2") }
        if !(bruteforceWindow > 0) || !bruteforceWindow.isFinite {
            throw ValidationError("--bruteforce-window: give a positive number of seconds")
        }
        // Standard output carries exactly one thing, so a pipe never gets two formats spliced together.
        let toStandardOutput = [csv == "-" ? "--csv -" : nil, jsonl == "-" ? "--jsonl -" : nil].compactMap { $0 }
        if toStandardOutput.count > 1 {
            throw ValidationError("--csv - and --jsonl - both ask for standard output; write one of them to a file")
        }
        if let claim = toStandardOutput.first, let format {
            throw ValidationError(
                "\(claim) puts the timeline on standard output, which --format \(format.rawValue) also asks for; write the timeline to a file, or leave --format out")
        }
        if schema != .ftpscope && jsonl == nil {
            throw ValidationError("--schema \(schema.rawValue) names the fields of --jsonl; give --jsonl PATH as well")
        }
        if let csv, let jsonl, csv != "-", csv == jsonl {
            throw ValidationError("--csv and --jsonl name the same file '\(csv)'")
        }
    }

    /// What goes where. The text summary is the default on standard output unless a timeline goes there.
    func outputOptions(live: Bool) -> OutputOptions {
        let summary: OutputOptions.Summary
        switch format {
        case .json: summary = .json
        case .text: summary = .text
        case nil: summary = csv == "-" || jsonl == "-" ? .none : .text
        }
        var options = OutputOptions(
            summary: summary, csvPath: csv, jsonlPath: jsonl, showPasswords: showPasswords,
            useColor: summary == .text && Terminal.colorAllowed(fileDescriptor: 1), live: live)
        // Validated already (`validate`), so this does not throw here.
        options.narrowing = (try? narrowing.narrowing()) ?? Narrowing()
        options.summaryOnly = narrowing.summary
        if summary == .text { options.width = TerminalFit.columns(of: 1) }
        options.jsonlSchema = schema
        return options
    }

    func controlPorts() throws -> Set<UInt16> { try parseControlPorts(ports) }

    func configuration() throws -> AnalysisConfiguration {
        var configuration = AnalysisConfiguration()
        configuration.controlPorts = try controlPorts()
        configuration.detectByContent = detectByContent
        configuration.bruteforceThreshold = bruteforceThreshold
        configuration.bruteforceWindow = Int64(bruteforceWindow * 1_000_000_000)
        return configuration
    }
}

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyse capture files (pcap, pcapng, either gzip-compressed; - for standard input).",
        discussion: "Several captures are read in time order as one stream (rotated capture sets)."
    )

    @Argument(
        help: ArgumentHelp("Capture files to read, or - for standard input.", valueName: "CAPTURE"),
        completion: .file(extensions: ["pcap", "pcapng", "gz", "cap", "dmp"]))
    var captures: [String]

    @OptionGroup var options: CommonOptions

    @Option(
        help: ArgumentHelp("Write a self-contained HTML report with a ladder diagram per session.", valueName: "PATH"),
        completion: .file(extensions: ["html"]))
    var report: String?

    @Option(
        help: ArgumentHelp(
            "Write every transferred file and listing into DIR, with SHA-256 and a manifest.csv.", valueName: "DIR"),
        completion: .directory)
    var extract: String?

    func validate() throws {
        if captures.isEmpty { throw ValidationError("give at least one capture file (or - for standard input)") }
        if captures.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
    }

    func run() throws {
        var configuration = try options.configuration()
        let outputs: Outputs
        do {
            var outputOptions = options.outputOptions(live: false)
            outputOptions.reportPath = report
            outputs = try Outputs(options: outputOptions)
        } catch {
            Terminal.error("ftpscope: \(error.message)")
            throw ExitCode(1)
        }
        var extraction: Extraction?
        if let directory = extract {
            do {
                // The manifest lists every file; the records are not needed here, so memory stays flat.
                extraction = try Extraction(directory: directory, keepRecords: false)
            } catch {
                Terminal.error("ftpscope: \(error)")
                throw ExitCode(1)
            }
        }
        outputs.configure(&configuration)
        let progress = ProgressLine(paths: captures)
        outputs.beforeTerminalWrite = { progress.clear() }
        let result: AnalysisResult
        do {
            result = try OfflineAnalysis.run(
                paths: captures, configuration: configuration, filter: options.filter, eventSink: outputs.eventSink,
                dataSink: extraction?.sink,
                progress: progress.enabled ? { packets, bytes in progress.update(packets: packets, bytes: bytes) } : nil,
                threads: options.threadCount)
        } catch {
            progress.clear()
            Terminal.error("ftpscope: \(error.message)")
            throw ExitCode(1)
        }
        progress.clear()
        for warning in result.warnings + (extraction?.finish() ?? []) {
            Terminal.error("ftpscope: warning: \(warning)")
        }
        // Say what --extract wrote (on standard error: standard output carries the summary or a document).
        if let extraction, let directory = extract {
            let totals = extraction.totals
            let (files, partial, kept) = (totals.files, totals.partial, totals.alreadyPresent)
            Terminal.error(
                "ftpscope: extracted \(files) file\(files == 1 ? "" : "s") (\(HumanUnits.bytes(totals.bytes)))"
                    + (partial > 0 ? ", \(partial) partial" : "") + " to \(directory); listed in its manifest.csv"
                    + (kept > 0
                        ? "; \(kept) already there from an earlier run (same content), kept and not listed again" : ""))
        }
        do {
            try outputs.finish(result: result)
        } catch {
            Terminal.error("ftpscope: \(error.message)")
            throw ExitCode(1)
        }
        if let timeline = outputs.timeline, timeline.rowsOutOfOrder > 0 {
            Terminal.error(
                "ftpscope: warning: \(timeline.rowsOutOfOrder) timeline rows written out of time order (more than \(timeline.maximumHeldRows) rows were pending at once, or an event settled late)")
        }
    }
}

struct Sniff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyse FTP live on a network interface (needs root or CAP_NET_RAW).",
        discussion: """
            Commands, data connections, findings and session ends are printed as they complete; SIGINT or SIGTERM \
            (or --duration, --count) ends the capture cleanly: open sessions are closed as capture_end and a final \
            summary gives libpcap's received and dropped counts. The capture filter always keeps TCP (data channels \
            use dynamic ports) and ICMP; --filter narrows it further.
            """
    )

    // Completed from the kernel's list of interfaces (Linux), plus libpcap's "any".
    @Option(
        name: .shortAndLong, help: ArgumentHelp("Interface to capture on (any: all interfaces).", valueName: "NAME"),
        completion: .shellCommand("ls /sys/class/net 2>/dev/null; echo any"))
    var interface: String

    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "SECONDS"))
    var duration: Double?

    @Option(help: ArgumentHelp("Stop after this many packets.", valueName: "PACKETS"))
    var count: UInt64?

    @Option(help: ArgumentHelp("Bytes kept of each packet.", valueName: "BYTES"))
    var snaplen: Int = 262_144

    @Option(help: ArgumentHelp("Kernel capture buffer in MiB (absorbs bursts).", valueName: "MiB"))
    var bufferSize: Int = 32

    @Flag(help: "Put the interface in promiscuous mode (for a mirror port).")
    var promiscuous = false

    @OptionGroup var options: CommonOptions

    func validate() throws {
        if interface.isEmpty { throw ValidationError("--interface: give an interface name (or any)") }
        if let duration, !(duration > 0) || !duration.isFinite {
            throw ValidationError("--duration: give a positive number of seconds")
        }
        if let count, count == 0 { throw ValidationError("--count: give at least 1 packet") }
        if snaplen < 64 || snaplen > 262_144 { throw ValidationError("--snaplen: give 64 to 262144 bytes") }
        if bufferSize < 1 || bufferSize > 4096 { throw ValidationError("--buffer-size: give 1 to 4096 MiB") }
    }

    func run() throws {
        var configuration = try options.configuration()
        // Streaming: sessions are forgotten once printed, so memory stays flat. The JSON document needs them all.
        configuration.retainSessions = options.format == .json
        var live = LiveAnalysisOptions(interface: interface)
        live.capture.filter = options.filter
        live.capture.snapshotLength = snaplen
        live.capture.bufferSize = bufferSize << 20
        live.capture.promiscuous = promiscuous
        live.duration = duration
        live.count = count
        live.threads = options.threadCount
        // Standard output carries one thing: the live lines (default), one JSON document at the end
        // (--format json), or a timeline given as -. Timelines to files stream beside the live lines.
        let summary = options.outputOptions(live: true).summary
        let printer: AnalysisEventSink? =
            summary == .text ? LiveTextPrinter(showPasswords: options.showPasswords) : nil
        var timelineOptions = options.outputOptions(live: true)
        timelineOptions.summary = .none
        let outputs: Outputs
        do {
            outputs = try Outputs(options: timelineOptions)
        } catch {
            Terminal.error("ftpscope: \(error.message)")
            throw ExitCode(1)
        }
        let sink = FanOutSink([printer, outputs.eventSink].compactMap { $0 })
        let result: LiveAnalysisResult
        do {
            result = try LiveAnalysis.run(options: live, configuration: configuration, eventSink: sink) { capture in
                Terminal.error(
                    "ftpscope: listening on \(capture.interface) (\(capture.linkType)), filter \"\(capture.filterExpression)\", "
                        + "snaplen \(snaplen), buffer \(bufferSize) MiB; SIGINT stops")
            }
        } catch {
            Terminal.error("ftpscope: \(error.message)")
            throw ExitCode(1)
        }
        for warning in result.analysis.warnings { Terminal.error("ftpscope: warning: \(warning)") }
        do {
            try outputs.finish(result: result.analysis)
        } catch {
            Terminal.error("ftpscope: \(error.message)")
            throw ExitCode(1)
        }
        switch summary {
        case .text:
            LiveTextPrinter.writeStandardOutput(LiveSummary.render(result))
        case .json:
            JSONDocument.write(result.reportInput(showPasswords: options.showPasswords)) {
                LiveTextPrinter.writeStandardOutput($0)
            }
        case .none:
            break
        }
    }
}

/// Writing to standard output and error (through write(2): the executable needs no Foundation, whose loading
/// alone cost about 10 MiB of resident memory).
enum Terminal {
    static func output(_ text: String) { write(text, to: 1) }

    static func error(_ line: String) {
        // One line, whatever the message holds: a file name can contain a newline.
        var single = ""
        single.reserveCapacity(line.utf8.count + 1)
        for character in line.unicodeScalars {
            switch character {
            case "\n": single += "\\n"
            case "\r": single += "\\r"
            default: single.unicodeScalars.append(character)
            }
        }
        write(single + "\n", to: 2)
    }

    /// All of `text`, retrying short writes and interrupted ones; a closed pipe ends the attempt.
    static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// Colours only on a terminal and never with NO_COLOR (https://no-color.org).
    static func colorAllowed(fileDescriptor: Int32) -> Bool {
        if let noColor = getenv("NO_COLOR").map({ String(cString: $0) }), !noColor.isEmpty { return false }
        if getenv("TERM").map({ String(cString: $0) }) == "dumb" { return false }
        return isatty(fileDescriptor) == 1
    }
}
