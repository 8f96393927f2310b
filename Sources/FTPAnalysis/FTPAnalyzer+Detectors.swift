/// The one place the analysis hands its events to the detectors (Sources/FTPAnalysis/Detectors): correlation says
/// what happened, the detectors judge it.
extension FTPAnalyzer {
    /// Raises `event` to every detector and records the findings they make, in order.
    func detect(_ event: DetectorEvent) {
        // Empty until a detector appends: most events raise nothing and allocate nothing.
        var found: [Finding] = []
        detectors.observe(event, into: &found)
        for finding in found { record(finding) }
    }
}
