import ArgumentParser
import FTPAnalysis
import VantageComparison

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare captures of the same traffic taken at several points (client, firewall, server).",
        discussion: """
            Each capture is analysed alone (session ids are those analyze gives it), then the sessions are paired \
            on what NAT does not change (the command/reply dialog and its timing), with the clock offset between \
            the captures estimated. For each transfer: its status at each capture point, whether the announcement \
            was rewritten on the way, and where a data connection's packets died (lost_between). The first capture \
            is the reference the others are paired with.
            """
    )

    @Argument(
        help: ArgumentHelp("Capture files (pcap, pcapng, gzip), one per capture point.", valueName: "CAPTURE"),
        completion: .file(extensions: ["pcap", "pcapng", "gz", "cap", "dmp"]))
    var captures: [String]

    @Option(
        help: ArgumentHelp(
            "Names of the capture points, comma-separated, one per capture (default: the file names).",
            valueName: "A,B,…"))
    var labels: String?

    @Option(help: "What goes to standard output: text (default) or one JSON document (json).")
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp("Control ports to treat as FTP, comma-separated.", valueName: "LIST"))
    var ports: String = "21"

    func validate() throws {
        if captures.count < 2 { throw ValidationError("give at least two captures of the same traffic") }
        if captures.contains("-") { throw ValidationError("compare reads files; standard input (-) is not supported") }
        _ = try captureLabels()
        _ = try controlPorts()
    }

    func captureLabels() throws -> [String] {
        guard let labels else {
            let names = captures.map { path in String(path.split(separator: "/").last ?? Substring(path)) }
            // Two files of the same name in different directories: their paths tell them apart.
            return Set(names).count == names.count ? names : captures
        }
        let list = labels.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmedOfBlanks
        }
        guard list.count == captures.count else {
            throw ValidationError("--labels: give \(captures.count) labels, one per capture (got \(list.count))")
        }
        if list.contains(where: \.isEmpty) { throw ValidationError("--labels: a label is empty") }
        if Set(list).count != list.count { throw ValidationError("--labels: labels must differ") }
        return list
    }

    func controlPorts() throws -> Set<UInt16> { try parseControlPorts(ports) }

    func run() throws {
        let points = zip(try captureLabels(), captures).map { CapturePoint(label: $0, path: $1) }
        var configuration = AnalysisConfiguration()
        configuration.controlPorts = try controlPorts()
        let result: ComparisonReport
        do {
            result = try Comparison.run(captures: points, configuration: configuration)
        } catch {
            Terminal.error("ftpscope: \(error.message)")
            throw ExitCode(1)
        }
        for warning in result.warnings { Terminal.error("ftpscope: warning: \(warning)") }
        switch format {
        case .text: Terminal.output(ComparisonText.render(result))
        case .json: Terminal.output(ComparisonJSON.render(result))
        }
    }
}
