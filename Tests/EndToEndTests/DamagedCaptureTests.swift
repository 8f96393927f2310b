import FTPAnalysis
import FTPScope
import Foundation
import Testing

/// A capture cut short is analysed up to the cut, with a warning, and never crashes.
@Suite struct DamagedCaptureTests {
    @Test func truncatedCaptureKeepsEverythingBeforeTheCut() throws {
        let original = try Data(contentsOf: Paths.samples.appendingPathComponent("active-nat-failure.pcap"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-cut-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let full = try OfflineAnalysis.run(paths: [Paths.samples.appendingPathComponent("active-nat-failure.pcap").path])
        let fullCommands = full.sessions[0].commands.count
        var previousCommands = 0
        // Cut at many offsets through the file, including inside the header and inside records.
        for cut in stride(from: 0, to: original.count, by: 997) {
            let path = directory.appendingPathComponent("cut-\(cut).pcap")
            try original.prefix(cut).write(to: path)
            let result: AnalysisResult
            do {
                result = try OfflineAnalysis.run(paths: [path.path])
            } catch {
                // Only a cut inside the 24-byte file header may refuse the file.
                #expect(cut < 24, "cut at \(cut): \(error.message)")
                continue
            }
            let commands = result.sessions.first?.commands.count ?? 0
            #expect(commands <= fullCommands)
            #expect(commands >= previousCommands, "a longer prefix never loses commands")
            previousCommands = commands
            if result.inputs[0].truncated {
                #expect(result.warnings.contains { $0.contains("middle of a packet") && $0.contains("cut-\(cut)") })
            }
        }
        #expect(previousCommands > 0)
    }
}
