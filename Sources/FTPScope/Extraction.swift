import FTPAnalysis
import FileExtraction

/// `--extract DIR`, wired for the commands (`analyze`, `sniff`): opens the directory before the capture is read,
/// is the analysis's data sink while it runs, and closes the manifest at the end.
///
/// ```swift
/// let extraction = try Extraction(directory: dir)          // one-line error: exit 1
/// let result = try OfflineAnalysis.run(paths: paths, dataSink: extraction.sink)
/// for warning in extraction.finish() { … }
/// ```
public final class Extraction {
    /// The extractor (its records say what was written).
    public let extractor: FileExtractor

    /// Opens DIR, creating it when missing. The error's description is one line naming DIR and the reason
    /// (not a directory, a symbolic link, not writable). `keepRecords: false` suits a long live capture: the
    /// manifest still lists every file, but `records` stays empty.
    public init(directory: String, keepRecords: Bool = true) throws(ExtractionError) {
        extractor = try FileExtractor(directory: directory)
        extractor.keepsRecords = keepRecords
    }

    /// What to pass as the analysis's `dataSink` (the analyzer holds it weakly: keep this object alive).
    public var sink: DataChannelSink { extractor }

    /// Files written so far (empty when records are not kept).
    public var records: [ExtractionRecord] { extractor.records }
    /// Counts of what was written, kept whether or not records are.
    public var totals: ExtractionTotals { extractor.totals }

    /// Ends extraction (call after the analysis finished) and returns the warnings to print, one line each.
    public func finish() -> [String] {
        extractor.finish()
        return extractor.warnings
    }
}
