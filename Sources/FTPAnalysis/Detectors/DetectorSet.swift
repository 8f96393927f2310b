/// Every detector of one analyzer, fed the same events in a fixed order.
///
/// The order is part of the output contract: findings are streamed and stored in the order raised, and the JSON
/// baselines keep the order of findings with equal times. Add a detector where its findings belong in that order.
struct DetectorSet {
    private var cleartext = CleartextCredentialDetector()
    private var anonymous = AnonymousLoginDetector()
    private var root = RootLoginDetector()
    private var bruteforce: BruteforceDetector
    private var addresses = AddressAnnouncementDetector()
    private var site = DangerousSiteDetector()
    private var dataChannels = FailedDataChannelDetector()
    private var tls = TLSDetector()
    private var gaps = CaptureGapDetector()
    private var anomalies = ControlAnomalyDetector()
    private var evasion = EvasionDetector()
    /// The array the analyzer collects one event's findings in, kept between events with its capacity
    /// (`takeScratch`, `returnScratch`): a new one per event that raised a finding was an allocation each.
    private var scratch: [Finding] = []

    /// A set configured as the analysis is.
    init(configuration: AnalysisConfiguration) {
        bruteforce = BruteforceDetector(
            threshold: configuration.bruteforceThreshold, window: configuration.bruteforceWindow)
    }

    /// The kept findings array, empty; the set holds none until `returnScratch` (so a nested call gets a new one).
    mutating func takeScratch() -> [Finding] {
        var taken: [Finding] = []
        swap(&taken, &scratch)
        return taken
    }

    /// Gives back the array `takeScratch` lent, emptied, for the next event.
    mutating func returnScratch(_ found: consuming [Finding]) {
        scratch = found
    }

    /// Fans one event out to the detectors that judge its kind, in the set's order; the findings are appended to
    /// `found` in reporting order.
    ///
    /// Routed by kind: every detector ignores all but one or two kinds, and handing each event to all eleven (two
    /// events per transfer, one detector in eleven interested) cost more than the detectors' own work. A detector
    /// that comes to judge another kind must be added to that kind's list here, in the same order.
    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
        switch event {
        case .addressAnnounced:
            addresses.observe(event, into: &found)
        case .dataChannelSettled:
            dataChannels.observe(event, into: &found)
        case .loginAccepted:
            cleartext.observe(event, into: &found)
            anonymous.observe(event, into: &found)
            root.observe(event, into: &found)
            bruteforce.observe(event, into: &found)
        case .clock:
            bruteforce.observe(event, into: &found)
        case .commandAnswered:
            site.observe(event, into: &found)
        case .notFTP:
            anomalies.observe(event, into: &found)
        case .evasion:
            evasion.observe(event, into: &found)
        case .sessionEnded, .analysisFinished:
            // Rare (once per session, once per analysis): every detector, as before.
            cleartext.observe(event, into: &found)
            anonymous.observe(event, into: &found)
            root.observe(event, into: &found)
            bruteforce.observe(event, into: &found)
            addresses.observe(event, into: &found)
            site.observe(event, into: &found)
            dataChannels.observe(event, into: &found)
            tls.observe(event, into: &found)
            gaps.observe(event, into: &found)
            anomalies.observe(event, into: &found)
            evasion.observe(event, into: &found)
        }
    }
}
