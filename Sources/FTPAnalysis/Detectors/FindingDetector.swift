import NetworkTypes

/// What the analysis tells its detectors: settled facts, never packets or bytes. Each case is raised by the analyzer
/// in one place (see `FTPAnalyzer.detect`), at most once per announcement, reply, transfer or session.
enum DetectorEvent {
    /// A data-channel announcement of a confirmed session was parsed (PORT/EPRT/LPRT or a passive reply).
    case addressAnnounced(Transfer, FTPSession)
    /// The first accepted login of a confirmed session that sent a password: credentials are reported now so that
    /// time-ordered outputs need not wait for the session's end.
    case loginAccepted(FTPSession)
    /// A command of a confirmed session got its final reply (raised for SITE only, so rarely).
    ///
    /// Boxed, as the evasion case is: every detector takes each event by value, and unboxed these two made every
    /// event 176 bytes where the common ones (a settled transfer, an announcement) need 25.
    indirect case commandAnswered(CommandRecord, FTPSession)
    /// A data channel of a confirmed session was settled; `index` is its position in the session's transfers.
    case dataChannelSettled(Transfer, index: Int, FTPSession)
    /// A connection on an FTP control port carried bytes but ended without ever looking like FTP.
    case notFTP(FTPSession)
    /// The IP stage saw fragments that let an analyzer and the end host read different bytes.
    indirect case evasion(EvasionObservation)
    /// A confirmed session ended: every fact about it is known.
    case sessionEnded(FTPSession)
    /// The once-a-second sweep reached `now`: what waits for time to pass (a password-guessing run going quiet) is
    /// settled, and what that reports is dated `dating`, the capture's latest packet. Offline both are the capture
    /// clock; live, `now` is the wall clock, ahead of every packet, and a row dated there would wait in the
    /// timeline until a later packet came. Every worker of a sharded analysis sweeps at the same packets with the
    /// same clock, so it is heard at the same places in every run.
    case clock(now: Timestamp, dating: Timestamp)
    /// The capture is over (at `end`, when the caller knows it): findings that span sessions are delivered now.
    case analysisFinished(end: Timestamp?)
}

/// One rule (or one family of rules on the same fact) that turns analysis events into findings.
///
/// Detectors are values held by a `DetectorSet`, one set per analyzer: their state is their own and never global,
/// and they are called through their concrete types, so there is no existential per event.
protocol FindingDetector {
    /// Judges one event, appending the findings it raises (usually none) in the order they are reported.
    mutating func observe(_ event: DetectorEvent, into found: inout [Finding])
}
