import FTPAnalysis
import NetworkTypes
import Reports

/// The outputs split over output threads: each independent output (the text summary with the timelines, the JSON
/// document, the HTML report) is a lane that can run on an `OutputStage` of its own, so with threads to spare the
/// outputs no longer share one core.
///
/// Lanes share nothing they write: each has its own files (only one output may claim standard output), and what
/// they read is the events, which are values, and the ended session, which nobody changes any more (the rule on
/// `AnalysisEvent`; `OutputStage` states why that makes a thread safe). Each stage delivers its events in the
/// analysis's order, so every output is what one thread writes.
final class OutputLanes {
    private let stages: [OutputStage]

    /// The sink the analysis thread feeds: the one stage, or a fan-out over the stages.
    let front: StreamingEventSink

    /// Starts up to `threads` output threads for `sinks` (one per lane, the lanes beyond that sharing the last).
    /// Nil when no thread could be made; then nothing runs elsewhere and the caller feeds `sinks` itself.
    /// `wakeAt`: see `OutputStage`.
    init?(sinks: StreamingEventSink, threads: Int, wakeAt: Int = 1) {
        var started: [OutputStage] = []
        for lane in OutputLanes.lanes(of: sinks, count: max(1, threads)) {
            let stage = OutputStage(sinks: lane, wakeAt: wakeAt)
            guard stage.start() else {
                for running in started { running.finish() }
                return nil
            }
            started.append(stage)
        }
        stages = started
        front = started.count == 1 ? started[0] : FanOutSink(started)
    }

    /// Lets every output thread deliver what is queued and waits for them all.
    func finish() {
        for stage in stages { stage.finish() }
    }

    /// The independent outputs behind a top-level fan-out, grouped into at most `count` lanes.
    static func lanes(of sinks: StreamingEventSink, count: Int) -> [StreamingEventSink] {
        guard count > 1, let fanOut = sinks as? FanOutSink, fanOut.sinks.count > 1 else { return [sinks] }
        let outputs = fanOut.sinks.compactMap { $0 as? StreamingEventSink }
        guard outputs.count == fanOut.sinks.count else { return [sinks] }
        if outputs.count <= count { return outputs }
        return Array(outputs.prefix(count - 1)) + [FanOutSink(Array(outputs.dropFirst(count - 1)))]
    }
}
