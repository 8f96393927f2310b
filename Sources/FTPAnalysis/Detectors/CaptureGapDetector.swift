/// Control-channel bytes the capture lost, reported when the session ends.
struct CaptureGapDetector: FindingDetector {
    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
        guard case .sessionEnded(let session) = event, session.missingBytes > 0 else { return }
        found.append(
            Finding(
                kind: .captureGap, severity: .low, session: session.id, time: session.firstGapTime ?? session.start,
                facts: .captureGap(missingBytes: session.missingBytes),
                evidence: [("missing_bytes", .int(Int64(session.missingBytes)))]))
    }
}
