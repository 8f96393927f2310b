import Foundation
import Testing

/// What `analyze --extract` tells the user on standard error (issue 18), through the built executable.
@Suite struct ExtractionCLITests {
    @Test func saysWhatItWroteAndWhatWasAlreadyThere() throws {
        let directory = try BrokenCaptureCLITests.temporaryDirectory().appendingPathComponent("out").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let capture = Paths.samples.appendingPathComponent("passive-vsftpd.pcap").path
        let first = try BrokenCaptureCLITests.run([capture, "--extract", directory])
        #expect(first.status == 0)
        // passive-vsftpd.pcap: a listing, notes.txt (4,096 bytes) and upload.txt (3,000 bytes).
        #expect(first.stderrLines.contains { $0.hasPrefix("ftpscope: extracted 3 files (") && $0.contains(directory) })
        #expect(!first.stderr.contains("already there"))
        let second = try BrokenCaptureCLITests.run([capture, "--extract", directory])
        #expect(second.status == 0)
        #expect(
            second.stderrLines.contains {
                $0.hasPrefix("ftpscope: extracted 0 files (0 B)")
                    && $0.hasSuffix("3 already there from an earlier run (same content), kept and not listed again")
            }, "\(second.stderr)")
        let manifest = try String(contentsOfFile: directory + "/manifest.csv", encoding: .utf8)
        #expect(manifest.split(separator: "\r\n").count == 4)
    }
}
