import FTPAnalysis
import FTPScope
import Foundation
import NetworkTypes
import TestSupport
import Testing

/// Every announcement of the Zeek corpus (`derived/data-channels.csv`, checked with tshark) is linked to its data
/// connection, or reported as not captured / not used, never silently lost.
@Suite struct DataChannelCorpusTests {
    struct Row: Sendable, CustomStringConvertible {
        var trace: String
        var announce: String
        var host: String
        var port: UInt16?
        var client: String
        var result: String
        var description: String { "\(trace) \(announce) \(host):\(port.map(String.init) ?? "-") \(result)" }
    }

    static let rows: [Row] = {
        guard let corpus = Paths.zeekCorpus,
            let text = try? String(contentsOf: corpus.appendingPathComponent("derived/data-channels.csv"), encoding: .utf8)
        else { return [] }
        return text.split(whereSeparator: \.isNewline).dropFirst().compactMap { line in
            // One record per line: the file has no embedded newlines, and its lines may end in LF alone.
            let cells = CSVParser.records(String(line)).first ?? []
            guard cells.count >= 17 else { return nil }
            return Row(
                trace: cells[0], announce: cells[4], host: cells[6], port: UInt16(cells[7]), client: cells[8],
                result: cells[16])
        }
    }()

    @Test func everyAnnouncementIsAccountedFor() throws {
        #expect(Self.rows.count > 1200)
        let byTrace = Dictionary(grouping: Self.rows, by: \.trace)
        for (trace, rows) in byTrace {
            let result = try OfflineAnalysis.run(paths: [Paths.trace(trace)])
            for row in rows {
                guard let port = row.port, let host = IPAddress(row.host) else {
                    // Unparseable announcements must surface as a protocol anomaly.
                    #expect(
                        row.result != "data-connection-observed"
                            && result.findings.contains { $0.kind == .protocolAnomaly }, "\(row)")
                    continue
                }
                let endpoint = Endpoint(address: host, port: port)
                let transfers = result.sessions.filter { $0.client.address == IPAddress(row.client) }
                    .flatMap(\.transfers).filter { $0.announced == endpoint }
                guard !transfers.isEmpty else {
                    Issue.record("\(row): no transfer announces \(endpoint)")
                    continue
                }
                switch row.result {
                case "data-connection-observed":
                    #expect(transfers.contains { $0.observed != nil && $0.status == .completed }, "\(row)")
                case "no-syn-in-capture":
                    let allowed: Set<DataStatus> = [.notCaptured, .unused, .commandFailed, .notSeen]
                    #expect(transfers.allSatisfy { $0.observed == nil && allowed.contains($0.status) }, "\(row)")
                default:
                    Issue.record("unexpected result \(row.result)")
                }
            }
        }
    }
}
