import Glibc

/// How many threads an analysis uses (`--threads`, SPEC.md). The output is the same for every count; only the speed
/// differs.
///
/// An offline analysis with two or more threads runs a reader thread (libpcap read, gzip, decode) and an output
/// thread (`OutputStage`: the streamed outputs) beside the analysis thread; each thread beyond two gives one more
/// independent output a thread of its own (`OutputLanes`); from four, the analysis is sharded over workers by host
/// pair (`ShardedAnalysis`, docs/threads.md).
/// Live capture always reads on its own thread.
public enum AnalysisThreads {
    /// The most `--threads` accepts.
    public static let maximum = 64

    /// The default: the cores online, at least 1 and at most 8 (past that the hand-over, not the cores, limits).
    /// Not more: on 2 cores, 3 threads (a second output thread) lose to 2 on control-heavy traffic, 1.50–1.57 s
    /// against 1.36–1.45 s (docs/threads.md, "Output lanes").
    public static var machineDefault: Int {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return min(max(online, 1), 8)
    }
}
