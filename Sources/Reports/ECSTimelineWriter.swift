import FTPAnalysis
import FTPProtocol
import NetworkTypes

/// The timeline as Elastic Common Schema documents (`--jsonl PATH --schema ecs`): one nested JSON object per
/// event, with ECS 9 fields only and FTP detail under the custom `ftp.` namespace, so Filebeat, Vector or Logstash
/// can ship it to Elasticsearch/OpenSearch without a mapping of ours. The field list and the categorisation rules
/// are checked against ECS's own `fields.csv` and allowed values in the tests.
///
/// Which connection a document is about decides `source`/`destination` and `network.community_id`: the data
/// connection (its real opener as `source`) for a data-channel event with a connection in the capture, the control
/// connection (client → server) for everything else, including an announcement nobody connected to.
public final class ECSTimelineWriter: TimelineWriter {
    private let output: BufferedOutput
    private let version: String
    /// Reused for every row: a document is written straight into it, member by member.
    private var scratch = JSONWriter(pretty: false, capacity: 4096)

    /// Writes to `output`; `version` is ftpscope's, for `observer.version`.
    public init(output: BufferedOutput, version: String) {
        self.output = output
        self.version = version
    }

    public func write(_ row: TimelineRow) {
        scratch.removeAll()
        ECSTimelineWriter.write(row, version: version, into: &scratch)
        scratch.endLine()
        scratch.withBytes { output.write($0) }
    }

    public func encode(_ row: inout TimelineRow, into line: RowBytes) {
        scratch.removeAll()
        ECSTimelineWriter.write(row, version: version, into: &scratch)
        scratch.endLine()
        scratch.withBytes { line.append($0) }
    }

    public func write(encoded line: UnsafeRawBufferPointer) { output.write(line) }

    public func write(lent line: UnsafeRawBufferPointer) { output.write(lent: line) }

    public func returnLent() { output.returnLent() }

    public func flush() { output.flush() }

    public func close() throws(OutputError) { try output.close() }

    /// The ECS document for one row, as one line of JSON without its line end.
    public static func document(_ row: TimelineRow, version: String) -> String {
        var writer = JSONWriter(pretty: false)
        write(row, version: version, into: &writer)
        return writer.text
    }

    /// Writes the ECS document for one row into `out`, member by member (no tree of values is built: this runs
    /// for every row of a timeline).
    public static func write(_ row: TimelineRow, version: String, into out: inout JSONWriter) {
        let context = row.context
        // SPEC.md: empty is absent.
        let argument = row.argument?.isEmpty == true ? nil : row.argument
        let replyText = row.replyText?.isEmpty == true ? nil : row.replyText
        let dataConnection =
            row.event == .dataConnection
            ? context.dataOriginator.flatMap { o in context.dataResponder.map { (o, $0) } } : nil
        let source = dataConnection?.0 ?? context.client
        let destination = dataConnection?.1 ?? context.server
        let categorisation = ECSCategorisation(row)

        out.beginObject()
        out.key("@timestamp")
        out.time(row.time)
        out.key("ecs")
        out.beginObject()
        out.key("version")
        out.string("9.0.0" as StaticString)
        out.endObject()
        out.key("event")
        writeEvent(categorisation, context, row.severity, into: &out)
        ECSMessage.write(row, argument: argument, replyText: replyText, into: &out)
        if let source {
            out.key("source")
            endpoint(source, into: &out)
        }
        if let destination {
            out.key("destination")
            endpoint(destination, into: &out)
        }
        out.key("network")
        out.beginObject()
        out.key("transport")
        out.string("tcp" as StaticString)
        out.key("protocol")
        out.string(dataConnection != nil ? "ftp-data" as StaticString : "ftp")
        if let address = source?.address ?? destination?.address {
            out.key("type")
            out.string(address.isIPv4 ? "ipv4" as StaticString : "ipv6")
        }
        if let id = dataConnection != nil ? row.communityID : row.controlCommunityID {
            out.key("community_id")
            out.string(id)
        }
        out.endObject()
        if let user = row.user {
            out.key("user")
            out.beginObject()
            out.key("name")
            out.string(user)
            out.endObject()
        }
        writeRelated(source?.address, destination?.address, user: row.user, into: &out)
        writeFile(row, into: &out)
        if let path = context.path, row.event == .dataConnection, let server = context.server {
            // As Zeek builds ftp.log's URL: the server's address and the resolved path.
            let host = server.address.isIPv4 ? server.address.description : "[\(server.address)]"
            out.key("url")
            out.beginObject()
            out.key("original")
            out.string("ftp://\(host)\(path.hasPrefix("/") ? "" : "/")\(path)")
            out.endObject()
        }
        if let finding = row.finding {
            out.key("rule")
            out.beginObject()
            out.key("name")
            out.string(finding.rawValue)
            out.endObject()
        }
        if context.tls {
            out.key("tls")
            out.beginObject()
            out.key("established")
            out.bool(true)
            out.endObject()
        }
        out.key("observer")
        out.beginObject()
        out.key("product")
        out.string("ftpscope" as StaticString)
        out.key("vendor")
        out.string("ftpscope" as StaticString)
        out.key("type")
        out.string("sensor" as StaticString)
        out.key("version")
        out.string(version)
        out.endObject()
        out.key("ftp")
        writeFTP(row, argument: argument, replyText: replyText, into: &out)
        out.endObject()
    }

    /// `event.*`: the categorisation, the connection's span and the severity as a risk score.
    private static func writeEvent(
        _ categorisation: ECSCategorisation, _ context: TimelineContext, _ severity: Severity?,
        into out: inout JSONWriter
    ) {
        out.beginObject()
        out.key("kind")
        out.string(categorisation.kind)
        out.key("category")
        categorisation.categories.write(into: &out)
        out.key("type")
        categorisation.types.write(into: &out)
        out.key("action")
        out.string(categorisation.action)
        out.key("dataset")
        out.string("ftpscope.timeline" as StaticString)
        out.key("module")
        out.string("ftpscope" as StaticString)
        if let outcome = categorisation.outcome {
            out.key("outcome")
            out.string(outcome)
        }
        if let start = context.start {
            out.key("start")
            out.time(start)
        }
        if let end = context.end {
            out.key("end")
            out.time(end)
        }
        if let start = context.start, let end = context.end, end >= start {
            out.key("duration")
            out.int(end.nanoseconds - start.nanoseconds)
        }
        if let severity {
            out.key("severity")
            out.int(riskScore(severity))
        }
        out.endObject()
    }

    /// `related.*`: the addresses (each once) and the user.
    private static func writeRelated(
        _ source: IPAddress?, _ destination: IPAddress?, user: String?, into out: inout JSONWriter
    ) {
        // Each address once, in order, without an array or a text of each (made for every row).
        let first = source ?? destination
        let second = source != nil && destination != source ? destination : nil
        guard first != nil || user != nil else { return }
        out.key("related")
        out.beginObject()
        if let first {
            out.key("ip")
            out.beginArray()
            out.element()
            out.address(first)
            if let second {
                out.element()
                out.address(second)
            }
            out.endArray()
        }
        if let user {
            out.key("user")
            out.beginArray()
            out.element()
            out.string(user)
            out.endArray()
        }
        out.endObject()
    }

    /// ECS `event.severity` is a number; these are the risk scores Elastic's detection rules use for each level.
    static func riskScore(_ severity: Severity) -> Int64 {
        switch severity {
        case .high: return 73
        case .medium: return 47
        case .low: return 21
        case .info: return 0
        }
    }

    private static func endpoint(_ endpoint: Endpoint, into out: inout JSONWriter) {
        out.beginObject()
        out.key("ip")
        out.address(endpoint.address)
        out.key("port")
        out.int(Int64(endpoint.port))
        out.endObject()
    }

    /// `file.*`, for files only: a listing's path is a directory and its bytes are the listing's.
    private static func writeFile(_ row: TimelineRow, into out: inout JSONWriter) {
        guard row.event == .dataConnection, let path = row.context.path, let command = row.command,
            FTPVerb(command).isDataTransfer, !FTPVerb(command).isListing
        else { return }
        out.key("file")
        out.beginObject()
        out.key("path")
        out.string(path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if !name.isEmpty {
            out.key("name")
            out.string(name)
        }
        if let bytes = row.bytes, row.context.dataFailed == false {
            out.key("size")
            out.int(Int64(clamping: bytes))
        }
        if let sha256 = row.context.sha256 {
            out.key("hash")
            out.beginObject()
            out.key("sha256")
            out.string(sha256)
            out.endObject()
        }
        out.endObject()
    }

    /// FTP detail beyond ECS: the timeline's own fields, grouped.
    private static func writeFTP(_ row: TimelineRow, argument: String?, replyText: String?, into out: inout JSONWriter)
    {
        out.beginObject()
        out.key("event")
        out.string(row.event.rawValue)
        if let session = row.session {
            out.key("session")
            out.string(session)
        }
        if let client = row.client {
            out.key("client")
            out.endpoint(client)
        }
        if let server = row.server {
            out.key("server")
            out.endpoint(server)
        }
        if let command = row.command {
            out.key("command")
            out.string(command)
        }
        if let argument {
            out.key("argument")
            out.string(argument)
        }
        if row.replyCode != nil || replyText != nil || row.replyTimeMilliseconds != nil {
            out.key("reply")
            out.beginObject()
            if let code = row.replyCode {
                out.key("code")
                out.int(code)
            }
            if let replyText {
                out.key("text")
                out.string(replyText)
            }
            if let time = row.replyTimeMilliseconds {
                out.key("time_ms")
                out.double(time)
            }
            out.endObject()
        }
        writeData(row, into: &out)
        if row.event == .gap, let bytes = row.bytes {
            out.key("gap_bytes")
            out.int(Int64(clamping: bytes))
        }
        if let finding = row.finding {
            out.key("finding")
            out.beginObject()
            out.key("kind")
            out.string(finding.rawValue)
            out.key("severity")
            out.optional(row.severity?.rawValue)
            out.endObject()
        }
        out.endObject()
    }

    /// `ftp.data.*`: the data channel's mode, endpoints, outcome and size.
    private static func writeData(_ row: TimelineRow, into out: inout JSONWriter) {
        let bytes = row.event == .dataConnection ? row.bytes : nil
        guard
            row.dataMode != nil || row.dataAnnounced != nil || row.dataObserved != nil || row.dataStatus != nil
                || row.cause != nil || bytes != nil || row.durationMilliseconds != nil
        else { return }
        out.key("data")
        out.beginObject()
        if let mode = row.dataMode {
            out.key("mode")
            out.string(mode.rawValue)
        }
        if let announced = row.dataAnnounced {
            out.key("announced")
            out.endpoint(announced)
        }
        if let observed = row.dataObserved {
            out.key("observed")
            out.endpoint(observed)
        }
        if let status = row.dataStatus {
            out.key("status")
            out.string(status.rawValue)
        }
        if let cause = row.cause {
            out.key("cause")
            out.string(cause.rawValue)
        }
        if let bytes {
            out.key("bytes")
            out.int(Int64(clamping: bytes))
        }
        if let duration = row.durationMilliseconds {
            out.key("duration_ms")
            out.double(duration)
        }
        out.endObject()
    }
}

/// `event.kind`, `category`, `type`, `action` and `outcome` for a row, within ECS's allowed values (each category
/// with the types ECS expects of it).
///
/// Literals only (one or two words per list): arrays of strings made a few allocations and a dozen retains a row.
struct ECSCategorisation {
    var kind: StaticString = "event"
    var categories = ECSWords("network")
    var types = ECSWords("protocol")
    var action: StaticString
    var outcome: StaticString?

    init(_ row: TimelineRow) {
        action = row.event.word
        switch row.event {
        case .sessionStart:
            categories = ECSWords("network", "session")
            types = ECSWords("start")
        case .sessionEnd:
            categories = ECSWords("network", "session")
            types = ECSWords("end")
        case .command:
            if let login = row.context.login {
                categories = ECSWords("authentication")
                action = "login"
                switch login {
                case .accepted:
                    types = ECSWords("info")
                    outcome = "success"
                case .refused:
                    types = ECSWords("info")
                    outcome = "failure"
                case .continuing:
                    types = ECSWords("start")
                }
            } else if let code = row.replyCode {
                outcome = code >= 400 ? "failure" : "success"
            }
        case .reply, .tlsStart:
            break
        case .dataConnection:
            types = ECSWords("connection", "end")
            if let failed = row.context.dataFailed {
                outcome = failed ? "failure" : (row.dataStatus == .completed ? "success" : "unknown")
            }
        case .gap:
            types = ECSWords("info")
        case .finding:
            kind = "alert"
            categories = ECSWords("intrusion_detection", "network")
            types = ECSWords("info")
        }
    }
}

/// One or two ECS words, in order (an `event.category` or `event.type` list).
struct ECSWords {
    var first: StaticString
    var second: StaticString?

    init(_ first: StaticString, _ second: StaticString? = nil) {
        self.first = first
        self.second = second
    }

    /// The words as a JSON array.
    func write(into out: inout JSONWriter) {
        out.beginArray()
        out.element()
        out.string(first)
        if let second {
            out.element()
            out.string(second)
        }
        out.endArray()
    }
}
