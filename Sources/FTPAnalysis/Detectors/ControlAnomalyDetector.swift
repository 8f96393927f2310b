/// Lines on the control channel that are not valid FTP, summed per session when it ends.
struct ControlAnomalyDetector: FindingDetector {
    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
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
