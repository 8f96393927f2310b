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

    /// Lent bytes (`write(lent:)`) go out from where they lie, in order with buffered text and whole pieces,
    /// adjacent in memory or not; after `returnLent()` they are written, so the lender may change them without
    /// changing the file.
    @Test(arguments: [0x1E0, 0x1E1, 0x1E2])
    func lentBytesKeepTheirOrderAndAreOutByReturnLent(seed: UInt64) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ftpscope-lent-\(UUID()).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try BufferedOutput(path: file.path)
        var generator = SplitMix64(seed: seed)
        var expected: [UInt8] = []
        let pool = JSONBytesPool(limit: 1 << 16)
        // The lender's memory: lent stretches, one after the other, often adjacent (they then extend one piece).
        let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { arena.deallocate() }
        var used = 0
        for round in 0..<40 {
            for step in 0..<generator.below(900) {
                switch generator.below(8) {
                case 0:
                    let text = "text \(round).\(step);"
                    output.write(text)
                    expected += Array(text.utf8)
                case 1:
                    let bytes = (0..<generator.below(500)).map { _ in UInt8(truncatingIfNeeded: generator.below(256)) }
                    bytes.withUnsafeBytes { output.write(pool.copy($0)) }
                    expected += bytes
                default:
                    // Now and then a gap between stretches.
                    if generator.below(4) == 0 { used += 1 }
                    let count = 1 + generator.below(400)
                    if used + count > arena.count { used = 0 }
                    let stretch = UnsafeMutableRawBufferPointer(rebasing: arena[used..<used + count])
                    for index in stretch.indices { stretch[index] = UInt8(truncatingIfNeeded: generator.below(256)) }
                    output.write(lent: UnsafeRawBufferPointer(stretch))
                    expected += Array(stretch)
                    used += count
                }
            }
            output.returnLent()
            // Everything lent is out: scribbling over the lender's memory changes nothing written.
            for index in arena.indices { arena[index] = 0xEE }
        }
        try output.close()
        #expect(expected.count > 20 * 65_536)
        #expect(try Data(contentsOf: file) == Data(expected))
    }
}
