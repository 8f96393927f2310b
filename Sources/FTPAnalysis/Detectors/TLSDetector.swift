/// A control channel protected by TLS (AUTH TLS, RFC 4217, or implicit FTPS), and whether it fell back to clear
/// text (CCC), reported when the session ends.
struct TLSDetector: FindingDetector {
    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
        guard case .sessionEnded(let session) = event, session.tls else { return }
        found.append(
            Finding(
                kind: .tlsProtected, severity: .info, session: session.id, time: session.tlsTime ?? session.start,
                facts: .tlsProtected(implicit: session.implicitTLS, clearTextResumedAt: session.clearTextResumedAt),
                evidence: [
                    ("implicit", .bool(session.implicitTLS)),
                    ("inferred_data_connections", .int(Int64(session.transfers.filter(\.inferred).count))),
                ]))
    }
}
