/// Lines on the control channel that are not valid FTP, summed per session when it ends, and connections on a
/// control port that were never FTP at all.
struct ControlAnomalyDetector: FindingDetector {
    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
        if case .notFTP(let session) = event {
            // Another protocol (SSH, telnet, a scanner) on the FTP port: no session, one anomaly.
            found.append(
                Finding(
                    kind: .protocolAnomaly, severity: .low, session: nil, time: session.start,
                    facts: .notFTP(client: session.client, server: session.server),
                    evidence: [
                        ("client", .string(session.client.description)),
                        ("server", .string(session.server.description)),
                        ("invalid_lines", .int(Int64(session.invalidServerLines + session.malformedCommands))),
                    ]))
            return
        }
        guard case .sessionEnded(let session) = event, !session.anomalies.isEmpty else { return }
        let examples = session.anomalies.prefix(5).map { EvidenceValue.string($0.1) }
        let count = session.anomalies.count + session.droppedAnomalies
        found.append(
            Finding(
                kind: .protocolAnomaly, severity: .low, session: session.id, time: session.anomalies[0].0,
                facts: .controlAnomalies(count: count, first: session.anomalies[0].1),
                evidence: [("count", .int(Int64(count))), ("examples", .list(examples))]))
    }
}
