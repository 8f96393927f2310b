import Glibc

/// How many threads an analysis uses (`--threads`, SPEC.md). The output is the same for every count; only the speed
/// differs.
///
/// Today an offline analysis with two or more threads runs a reader thread (libpcap read, gzip, decode) and an
/// output thread (`OutputStage`: the streamed outputs) beside the analysis thread; counts above two do not yet add
/// analysis workers (the host-pair sharding DESIGN.md plans).
/// Live capture always reads on its own thread.
public enum AnalysisThreads {
    /// The most `--threads` accepts.
    public static let maximum = 64

    /// The default: the cores online, at least 1 and at most 8 (past that the hand-over, not the cores, limits).
    public static var machineDefault: Int {
        let online = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return Int(min(max(online, 1), 8))
    }
}
