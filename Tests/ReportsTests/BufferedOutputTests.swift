import Foundation
import TestSupport
import Testing

@testable import Reports

/// Pieces handed over whole (`write(_: JSONBytes)`) go out by `writev` from their own storage: the file must
/// hold every byte in the order written, whatever the mix of pieces, buffered text and flushes.
@Suite struct BufferedOutputTests {
    @Test(arguments: [0x0B0, 0x0B1, 0x0B2])
    func piecesAndBufferedBytesKeepTheirOrder(seed: UInt64) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-output-\(UUID()).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try BufferedOutput(path: file.path)
        var generator = SplitMix64(seed: seed)
        var expected: [UInt8] = []
        var writer = JSONWriter(pretty: false, capacity: 64)
        let pool = JSONBytesPool(limit: 1 << 16)
        // Enough pieces to pass both the 64 KiB flush and the limit on pieces in one writev.
        for step in 0..<2_000 {
            switch generator.below(4) {
            case 0:
                let text = "text \(step);"
                output.write(text)
                expected += Array(text.utf8)
            case 1:
                let bytes = (0..<generator.below(300)).map { _ in UInt8(truncatingIfNeeded: generator.below(256)) }
                bytes.withUnsafeBytes { output.write($0) }
                expected += bytes
            default:
                writer.beginArray()
                for index in 0..<generator.below(200) {
                    writer.element()
                    writer.int(index * step)
                }
                writer.endArray()
                expected += writer.exactCopy()
                output.write(writer.withBytes { pool.copy($0) })
                writer.removeAll()
            }
            if generator.below(50) == 0 { output.flush() }
        }
        try output.close()
        #expect(expected.count > 3 * 65_536)
        #expect(try Data(contentsOf: file) == Data(expected))
    }
}
