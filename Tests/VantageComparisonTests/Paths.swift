import Foundation

/// The repository's samples, found from this file's path so tests run from any working directory.
enum Paths {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples")

    static func sample(_ name: String) -> String { samples.appendingPathComponent(name).path }
}
