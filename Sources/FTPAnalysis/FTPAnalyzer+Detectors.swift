import NetworkTypes

/// The one place the analysis hands its events to the detectors (Sources/FTPAnalysis/Detectors): correlation says
/// what happened, the detectors judge it.
extension FTPAnalyzer {
    /// Raises `event` to every detector and records the findings they make, in order.
    func detect(_ event: DetectorEvent) {
        // The set's kept array (empty, with the capacity of earlier events): a new one per event that raised a
        // finding was an allocation, freed at once.
        var found = detectors.takeScratch()
        detectors.observe(event, into: &found)
        if !found.isEmpty {
            // Moved out one by one, in order (reversed in place, then popped from the end): iterated, each finding
            // (384 bytes, a few strings) was copied out of the array, retained, and released with the array after.
            found.reverse()
            while let finding = found.popLast() {
                // Findings a sweep reports are placed by their date (`OrderPhase.sweepFindings`).
                if order.phase == .sweepFindings { order.time = finding.time.nanoseconds }
                record(finding)
            }
        }
        detectors.returnScratch(found)
    }

    /// The sweep reached `now`: detectors settle what waited for time to pass, dating it `dating` (the latest
    /// packet's time; `DetectorEvent.clock`).
    public func clockPassed(_ now: Timestamp, dating: Timestamp) {
        detect(.clock(now: now, dating: dating))
    }
}
