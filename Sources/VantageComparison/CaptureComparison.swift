import FTPAnalysis
import FTPScope
import PacketCapture

extension Comparison {
    /// Analyses each capture alone (so session ids are those `analyze` gives it) and compares them. Throws,
    /// naming the file, when a capture cannot be read.
    public static func run(
        captures: [CapturePoint], configuration: AnalysisConfiguration = AnalysisConfiguration()
    ) throws(CaptureError) -> ComparisonReport {
        var configuration = configuration
        configuration.retainSessions = true
        var sessions: [[SessionSnapshot]] = []
        var warnings: [String] = []
        for capture in captures {
            let result = try OfflineAnalysis.run(paths: [capture.path], configuration: configuration)
            sessions.append(result.sessions.map(SessionSnapshot.init))
            warnings.append(contentsOf: result.warnings)
        }
        return compare(captures: captures, sessions: sessions, warnings: warnings)
    }
}
