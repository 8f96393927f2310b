/// Fragment tricks below TCP (RFC 1858, RFC 5722), judged by `EvasionObservation.finding`: one finding each, not
/// tied to a session, since the fragments may precede any connection.
struct EvasionDetector: FindingDetector {
    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
        guard case .evasion(let observation) = event else { return }
        found.append(observation.finding)
    }
}
