import Foundation

/// Locations of the repository's samples and the shared peer corpus, found from this file's path so tests run
/// from any working directory.
enum Paths {
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let samples = repositoryRoot.appendingPathComponent("samples")

    /// `../shared/corpus/zeek` beside the repository (falls back to /work/shared for worktrees elsewhere).
    static let zeekCorpus: URL? = {
        let candidates = [
            repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/zeek"),
            URL(fileURLWithPath: "/work/shared/corpus/zeek"),
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("traces").path) }
    }()

    static func corpusTraces() -> [String] {
        guard let corpus = zeekCorpus else { return [] }
        let directory = corpus.appendingPathComponent("traces")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcap.gz") }.sorted()
    }

    static func trace(_ name: String) -> String {
        (zeekCorpus ?? URL(fileURLWithPath: "/nonexistent")).appendingPathComponent("traces").appendingPathComponent(name).path
    }
}
