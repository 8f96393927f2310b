import Foundation
import Testing

@testable import Reports

/// The timeline's held rows get a smaller memory budget when JSON Lines or ECS rows are written: those modes peak
/// highest (the doubled control-heavy capture's ECS run was at the 64 MiB bound with 6 MiB), and their larger rows
/// spill to the file at 6 MiB on that capture anyway. A CSV-only timeline keeps 6 MiB, which holds the benchmark's
/// rows without spilling.
@Suite struct HeldRowBudgetTests {
    static func output(_ name: String) throws -> (BufferedOutput, String) {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("ftpscope-\(UUID().uuidString)-\(name)").path
        return (try BufferedOutput(path: path), path)
    }

    @Test func budgetFollowsTheWriters() throws {
        let (csvOutput, csvPath) = try Self.output("budget.csv")
        let (jsonlOutput, jsonlPath) = try Self.output("budget.jsonl")
        let (ecsOutput, ecsPath) = try Self.output("budget.ecs.jsonl")
        defer { for path in [csvPath, jsonlPath, ecsPath] { try? FileManager.default.removeItem(atPath: path) } }
        let csv = CSVTimelineWriter(output: csvOutput)
        let jsonl = JSONLinesTimelineWriter(output: jsonlOutput)
        let ecs = ECSTimelineWriter(output: ecsOutput, version: "test")
        #expect(TimelineSink.heldBytesInMemory(for: [csv]) == 6 << 20)
        #expect(TimelineSink.heldBytesInMemory(for: [csv, jsonl]) == 5 << 20)
        #expect(TimelineSink.heldBytesInMemory(for: [jsonl]) == 5 << 20)
        #expect(TimelineSink.heldBytesInMemory(for: [ecs]) == 5 << 20)
        for writer in [csv, jsonl, ecs] as [TimelineWriter] { try writer.close() }
    }
}
