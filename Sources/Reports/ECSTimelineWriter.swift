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
    private let observer: JSONValue

    /// Writes to `output`; `version` is ftpscope's, for `observer.version`.
    public init(output: BufferedOutput, version: String) {
        self.output = output
        self.observer = ECSTimelineWriter.observer(version: version)
    }

    public func write(_ row: TimelineRow) {
        output.write(ECSTimelineWriter.document(row, observer: observer).serialized(pretty: false) + "\n")
    }

    public func encode(_ row: TimelineRow, into line: inout [UInt8]) {
        line.append(contentsOf: ECSTimelineWriter.document(row, observer: observer).serialized(pretty: false).utf8)
        line.append(0x0A)
    }

    public func write(encoded line: UnsafeRawBufferPointer) { output.write(line) }

    public func flush() { output.flush() }

    public func close() throws(OutputError) { try output.close() }

    /// `observer.*`: what produced the event.
    public static func observer(version: String) -> JSONValue {
        .object([
            ("product", .string("ftpscope")), ("vendor", .string("ftpscope")), ("type", .string("sensor")),
            ("version", .string(version)),
        ])
    }

    /// The ECS document for one row.
    public static func document(_ row: TimelineRow, observer: JSONValue) -> JSONValue {
        let context = row.context
        var row = row
        // SPEC.md: empty is absent.
        if row.argument?.isEmpty == true { row.argument = nil }
        if row.replyText?.isEmpty == true { row.replyText = nil }
        let dataConnection = row.event == .dataConnection ? context.dataOriginator.flatMap { o in context.dataResponder.map { (o, $0) } } : nil
        let source = dataConnection?.0 ?? context.client
        let destination = dataConnection?.1 ?? context.server
        let categorisation = ECSCategorisation(row)

        var event: [(String, JSONValue)] = [
            ("kind", .string(categorisation.kind)),
            ("category", .array(categorisation.categories.map { .string($0) })),
            ("type", .array(categorisation.types.map { .string($0) })),
            ("action", .string(categorisation.action)),
            ("dataset", .string("ftpscope.timeline")),
            ("module", .string("ftpscope")),
        ]
        if let outcome = categorisation.outcome { event.append(("outcome", .string(outcome))) }
        if let start = context.start { event.append(("start", .string(start.iso8601))) }
        if let end = context.end { event.append(("end", .string(end.iso8601))) }
        if let start = context.start, let end = context.end, end >= start {
            event.append(("duration", .int(end.nanoseconds - start.nanoseconds)))
        }
        if let severity = row.severity { event.append(("severity", .int(riskScore(severity)))) }

        var document: [(String, JSONValue)] = [
            ("@timestamp", .string(row.time.iso8601)),
            ("ecs", .object([("version", .string("9.0.0"))])),
            ("event", .object(event)),
        ]
        if let message = message(row) { document.append(("message", .string(message))) }
        if let source { document.append(("source", endpoint(source))) }
        if let destination { document.append(("destination", endpoint(destination))) }
        var network: [(String, JSONValue)] = [
            ("transport", .string("tcp")),
            ("protocol", .string(dataConnection != nil ? "ftp-data" : "ftp")),
        ]
        if let address = source?.address ?? destination?.address {
            network.append(("type", .string(address.isIPv4 ? "ipv4" : "ipv6")))
        }
        if let id = dataConnection != nil ? row.communityID : context.controlCommunityID {
            network.append(("community_id", .string(id)))
        }
        document.append(("network", .object(network)))
        if let user = row.user { document.append(("user", .object([("name", .string(user))]))) }
        var related: [(String, JSONValue)] = []
        let ips = [source?.address, destination?.address].compactMap { $0 }.map(\.description)
        let uniqueIPs = ips.enumerated().filter { ips.firstIndex(of: $0.element) == $0.offset }.map(\.element)
        if !uniqueIPs.isEmpty { related.append(("ip", .array(uniqueIPs.map { .string($0) }))) }
        if let user = row.user { related.append(("user", .array([.string(user)]))) }
        if !related.isEmpty { document.append(("related", .object(related))) }
        if let file = file(row) { document.append(("file", file)) }
        if let path = context.path, row.event == .dataConnection, let server = context.server {
            // As Zeek builds ftp.log's URL: the server's address and the resolved path.
            let host = server.address.isIPv4 ? server.address.description : "[\(server.address)]"
            document.append(("url", .object([("original", .string("ftp://\(host)\(path.hasPrefix("/") ? "" : "/")\(path)"))])))
        }
        if let finding = row.finding { document.append(("rule", .object([("name", .string(finding.rawValue))]))) }
        if context.tls { document.append(("tls", .object([("established", .bool(true))]))) }
        document.append(("observer", observer))
        document.append(("ftp", ftp(row)))
        return .object(document)
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

    private static func endpoint(_ endpoint: Endpoint) -> JSONValue {
        .object([("ip", .string(endpoint.address.description)), ("port", .int(Int64(endpoint.port)))])
    }

    /// The one-sentence verdict: the row's own explanation where it has one, else what was said and answered.
    private static func message(_ row: TimelineRow) -> String? {
        if let detail = row.detail { return detail }
        var parts: [String] = []
        if let command = row.command { parts.append(row.argument.map { "\(command) \($0)" } ?? command) }
        if let status = row.dataStatus { parts.append(status.rawValue) }
        if let code = row.replyCode {
            let text = row.replyText.map { " " + ($0.split(separator: "\n").first.map(String.init) ?? "") } ?? ""
            parts.append((parts.isEmpty ? "" : "→ ") + "\(code)\(text)")
        }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    private static func file(_ row: TimelineRow) -> JSONValue? {
        // Files only: a listing's path is a directory and its bytes are the listing's.
        guard row.event == .dataConnection, let path = row.context.path, let command = row.command,
            FTPVerb(command).isDataTransfer, !FTPVerb(command).isListing
        else { return nil }
        var members: [(String, JSONValue)] = [("path", .string(path))]
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if !name.isEmpty { members.append(("name", .string(name))) }
        if let bytes = row.bytes, row.context.dataFailed == false { members.append(("size", .int(Int64(clamping: bytes)))) }
        if let sha256 = row.context.sha256 { members.append(("hash", .object([("sha256", .string(sha256))]))) }
        return .object(members)
    }

    /// FTP detail beyond ECS: the timeline's own fields, grouped.
    private static func ftp(_ row: TimelineRow) -> JSONValue {
        var members: [(String, JSONValue)] = [("event", .string(row.event.rawValue))]
        if let session = row.session { members.append(("session", .string(session))) }
        if let client = row.client { members.append(("client", .string(client.description))) }
        if let server = row.server { members.append(("server", .string(server.description))) }
        if let command = row.command { members.append(("command", .string(command))) }
        if let argument = row.argument { members.append(("argument", .string(argument))) }
        var reply: [(String, JSONValue)] = []
        if let code = row.replyCode { reply.append(("code", .int(Int64(code)))) }
        if let text = row.replyText { reply.append(("text", .string(text))) }
        if let time = row.replyTimeMilliseconds { reply.append(("time_ms", .double(time))) }
        if !reply.isEmpty { members.append(("reply", .object(reply))) }
        var data: [(String, JSONValue)] = []
        if let mode = row.dataMode { data.append(("mode", .string(mode.rawValue))) }
        if let announced = row.dataAnnounced { data.append(("announced", .string(announced.description))) }
        if let observed = row.dataObserved { data.append(("observed", .string(observed.description))) }
        if let status = row.dataStatus { data.append(("status", .string(status.rawValue))) }
        if let cause = row.cause { data.append(("cause", .string(cause.rawValue))) }
        if row.event == .dataConnection, let bytes = row.bytes { data.append(("bytes", .int(Int64(clamping: bytes)))) }
        if let duration = row.durationMilliseconds { data.append(("duration_ms", .double(duration))) }
        if !data.isEmpty { members.append(("data", .object(data))) }
        if row.event == .gap, let bytes = row.bytes { members.append(("gap_bytes", .int(Int64(clamping: bytes)))) }
        if let finding = row.finding {
            members.append(("finding", .object([("kind", .string(finding.rawValue)), ("severity", .optional(row.severity?.rawValue))])))
        }
        return .object(members)
    }
}

/// `event.kind`, `category`, `type`, `action` and `outcome` for a row, within ECS's allowed values (each category
/// with the types ECS expects of it).
struct ECSCategorisation {
    var kind = "event"
    var categories = ["network"]
    var types = ["protocol"]
    var action: String
    var outcome: String?

    init(_ row: TimelineRow) {
        action = row.event.rawValue
        switch row.event {
        case .sessionStart:
            categories = ["network", "session"]
            types = ["start"]
        case .sessionEnd:
            categories = ["network", "session"]
            types = ["end"]
        case .command:
            if let login = row.context.login {
                categories = ["authentication"]
                action = "login"
                switch login {
                case .accepted:
                    types = ["info"]
                    outcome = "success"
                case .refused:
                    types = ["info"]
                    outcome = "failure"
                case .continuing:
                    types = ["start"]
                }
            } else if let code = row.replyCode {
                outcome = code >= 400 ? "failure" : "success"
            }
        case .reply, .tlsStart:
            break
        case .dataConnection:
            types = ["connection", "end"]
            if let failed = row.context.dataFailed {
                outcome = failed ? "failure" : (row.dataStatus == .completed ? "success" : "unknown")
            }
        case .gap:
            types = ["info"]
        case .finding:
            kind = "alert"
            categories = ["intrusion_detection", "network"]
            types = ["info"]
        }
    }
}
