import Glibc

/// How many threads an analysis uses (`--threads`, SPEC.md). The output is the same for every count; only the speed
/// differs.
///
/// An offline analysis with two or more threads runs a reader thread (libpcap read, gzip, decode) and an output
/// thread (`OutputStage`: the streamed outputs) beside the analysis thread; each thread beyond two gives one more
/// independent output a thread of its own (`OutputLanes`). The analysis itself is not sharded yet (docs/threads.md).
/// Live capture always reads on its own thread.
public enum AnalysisThreads {
    /// The most `--threads` accepts.
    public static let maximum = 64

    /// The default: one more than the cores online, at most 8 (past that the hand-over, not the cores, limits);
    /// 1 on a single core. One more, because the reader thread is light (a tenth of the work on control-heavy
    /// traffic) and the outputs are as heavy as the analysis: on 2 cores, 3 threads (reader, analysis, two
    /// output threads) beat 2 on control-heavy traffic, 1.59 s vs 1.68 s, and equal it on the other benchmark
    /// captures (Benchmarks/README.md, "Threads").
    public static var machineDefault: Int {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return online <= 1 ? 1 : min(online + 1, 8)
    }
}
