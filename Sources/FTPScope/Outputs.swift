import FTPAnalysis
import NetworkTypes
import Reports

/// Field names of the JSON Lines timeline (SPEC.md `--schema`).
public enum TimelineSchema: String, Sendable, CaseIterable {
    /// SPEC.md's columns as members.
    case ftpscope
    /// Elastic Common Schema 9 documents with FTP detail under `ftp.`.
    case ecs
}

/// What the user asked to be written, and where (SPEC.md `--format`, `--csv`, `--jsonl`, `--show-passwords`).
public struct OutputOptions: Sendable {
    /// What goes to standard output besides a timeline.
    public enum Summary: Sendable {
        /// The human summary.
        case text
        /// One JSON document at the end.
        case json
        /// Nothing (standard output carries a timeline, or nothing at all).
        case none
    }

    /// The summary on standard output.
    public var summary: Summary
    /// Where to write the CSV timeline (`-` = standard output), if anywhere.
    public var csvPath: String?
    /// Where to write the JSON Lines timeline (`-` = standard output), if anywhere.
    public var jsonlPath: String?
    /// Field names of the JSON Lines timeline.
    public var jsonlSchema: TimelineSchema = .ftpscope
    /// Print passwords.
    public var showPasswords: Bool
    /// Colour the text summary (the caller decides: a terminal and no NO_COLOR).
    public var useColor: Bool
    /// Live capture: text blocks are written as they are printed and `Outputs.flush()` is called per batch.
    public var live: Bool
    /// The sessions and transfers every output is narrowed to (`--session`, `--status`, …).
    public var narrowing = Narrowing()
    /// The text summary without command lists: one line per session (`--summary`).
    public var summaryOnly = false
    /// The terminal's width when standard output is one: the text summary is wrapped to it.
    public var width: Int?
    /// Where to write the HTML report (`--report`), if anywhere. It is not narrowed: it shows the whole capture.
    public var reportPath: String?

    /// Creates options; by default the text summary alone.
    public init(
        summary: Summary = .text, csvPath: String? = nil, jsonlPath: String? = nil, showPasswords: Bool = false,
        useColor: Bool = false, live: Bool = false
    ) {
        self.summary = summary
        self.csvPath = csvPath
        self.jsonlPath = jsonlPath
        self.showPasswords = showPasswords
        self.useColor = useColor
        self.live = live
    }
}

/// The outputs of one run, built from `OutputOptions`: it opens the files, owns the sinks that stream (text
/// summary, CSV and JSON Lines timelines) and writes what can only be written at the end (the JSON document, the
/// findings and totals). Used the same way offline and live:
///
/// ```swift
/// let outputs = try Outputs(options: options)          // files are opened here: errors before any work
/// var configuration = AnalysisConfiguration()
/// outputs.configure(&configuration)                    // retainSessions only when the JSON document needs it
/// // offline: OfflineAnalysis.run(…, eventSink: outputs.eventSink)
/// // live: analyzer.eventSink = outputs.eventSink; per batch
/// //       outputs.eventSink.advance(watermark: analyzer.pendingWatermark); outputs.flush()
/// try outputs.finish(result: result)                   // summary/document, flush, close
/// ```
public final class Outputs {
    /// The options it was built from.
    public let options: OutputOptions
    /// Receives the analysis events (a fan-out over the streaming sinks; it may have none).
    public let eventSink: StreamingEventSink
    /// The timeline sink, when `--csv` or `--jsonl` was given.
    public let timeline: TimelineSink?
    /// The streaming text summary, when the text summary goes to standard output.
    public let text: TextStreamSink?
    /// The JSON document, written as sessions end, when it goes to standard output.
    public let json: JSONDocumentStreamSink?
    /// The HTML report, its sections spooled as sessions end, when `reportPath` is given.
    public let report: (sink: HTMLReportSink, output: BufferedOutput)?

    private let standardOutput: BufferedOutput?
    private let files: [BufferedOutput]

    /// Opens every output. Throws, naming the file, when one cannot be opened, or when more than one output
    /// claims standard output (the command line rules that out first).
    public init(options: OutputOptions) throws(OutputError) {
        self.options = options
        let stdoutClaims = [options.summary != .none, options.csvPath == "-", options.jsonlPath == "-"].filter { $0 }
        if stdoutClaims.count > 1 {
            throw OutputError(path: "-", reason: "only one output can go to standard output")
        }
        var files: [BufferedOutput] = []
        func open(_ path: String) throws(OutputError) -> BufferedOutput {
            let output = try BufferedOutput(path: path)
            files.append(output)
            return output
        }
        let passwords = PasswordPolicy(showPasswords: options.showPasswords)
        var writers: [TimelineWriter] = []
        if let path = options.csvPath { writers.append(CSVTimelineWriter(output: try open(path))) }
        if let path = options.jsonlPath {
            let output = try open(path)
            switch options.jsonlSchema {
            case .ftpscope: writers.append(JSONLinesTimelineWriter(output: output))
            case .ecs: writers.append(ECSTimelineWriter(output: output, version: ftpscopeVersion))
            }
        }
        timeline = writers.isEmpty ? nil : TimelineSink(writers: writers, passwords: passwords)
        var stdout: BufferedOutput?
        if options.summary != .none {
            stdout = try open("-")
        }
        standardOutput = stdout
        if options.summary == .text, let stdout {
            var summary = TextSummary(useColor: options.useColor, listCommands: !options.summaryOnly, width: options.width)
            if !options.narrowing.isEmpty { summary.narrowing = options.narrowing }
            text = TextStreamSink(
                output: stdout, summary: summary, passwords: passwords,
                flushEachBlock: options.live || stdout.isTerminal, spoolSessions: !options.live)
        } else {
            text = nil
        }
        if options.summary == .json, let stdout {
            json = JSONDocumentStreamSink(
                output: stdout, version: ftpscopeVersion, passwords: passwords,
                narrowing: options.narrowing.isEmpty ? nil : options.narrowing)
        } else {
            json = nil
        }
        // Opened with the others, so a path that cannot be written is said before any work, not after it.
        if let path = options.reportPath {
            report = (HTMLReportSink(passwords: passwords), try open(path))
        } else {
            report = nil
        }
        self.files = files
        let streamed: [StreamingEventSink] = [text as StreamingEventSink?, timeline].compactMap { $0 }
        // One streamed output is fed directly: a fan-out over one sink was a call and a copy of every event.
        let fanOut: StreamingEventSink = streamed.count == 1 ? streamed[0] : FanOutSink(streamed)
        let narrowed: StreamingEventSink =
            options.narrowing.isEmpty ? fanOut : NarrowingSink(narrowing: options.narrowing, next: fanOut)
        // The JSON document applies the narrowing itself (as `Narrowing.apply` does to a whole-capture input):
        // which findings it keeps depends on which sessions were kept, known only at the end.
        let unnarrowed: [AnalysisEventSink] = [json as AnalysisEventSink?, report?.sink].compactMap { $0 }
        eventSink = unnarrowed.isEmpty ? narrowed : FanOutSink([narrowed] + unnarrowed)
    }

    /// True when the analysis must keep ended sessions. No output here needs them (the JSON document is
    /// written as sessions end), so memory stays flat; the HTML report asks for them itself.
    public var needsRetainedSessions: Bool { false }

    /// Sets what the analysis configuration must say for these outputs (`retainSessions`).
    public func configure(_ configuration: inout AnalysisConfiguration) {
        configuration.retainSessions = needsRetainedSessions
    }

    /// Called before bytes go to a terminal (to clear a progress line on it first).
    public var beforeTerminalWrite: (() -> Void)? {
        didSet {
            for output in files where output.isTerminal { output.beforeWrite = beforeTerminalWrite }
        }
    }

    /// Writes out everything buffered (live mode, after each batch).
    public func flush() { eventSink.flush() }

    /// Writes what comes at the end (remaining timeline rows, the text summary's end or the JSON document), then
    /// flushes and closes every output. Throws the first write error, naming the file.
    public func finish(result: AnalysisResult) throws(OutputError) {
        let whole = result.reportInput(showPasswords: options.showPasswords)
        var input = options.narrowing.apply(to: whole)
        var first: OutputError?
        if let timeline {
            do throws(OutputError) { try timeline.finish() } catch { first = first ?? error }
            // Said only when a timeline was asked for, so other outputs (and baselines) do not change.
            input.stats.append(("timeline_rows_out_of_order", timeline.rowsOutOfOrder))
            // How many rows waited at once for earlier events to settle: what the ordering buffer cost.
            input.stats.append(("timeline_rows_held_peak", UInt64(timeline.peakHeldRows)))
        }
        if let text {
            do throws(OutputError) { try text.finish(input) } catch { first = first ?? error }
        } else if let json {
            do throws(OutputError) { try json.finish(input) } catch { first = first ?? error }
        }
        if let (sink, output) = report {
            // The report shows the whole capture: the input before narrowing and before the timeline's counters.
            do throws(OutputError) {
                try sink.finish(whole, text: { output.write($0) }, bytes: { output.write($0) })
            } catch {
                first = first ?? error
            }
        }
        for output in files {
            do throws(OutputError) { try output.close() } catch { first = first ?? error }
        }
        if let first { throw first }
    }
}
