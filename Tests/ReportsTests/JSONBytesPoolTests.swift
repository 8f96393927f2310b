import Testing

@testable import Reports

/// The held sessions' storage (`JSONBytesPool`): every copy reads back what was copied, blocks come back to the
/// pool and are handed out again, and the pool keeps no more free blocks than its limit.
@Suite struct JSONBytesPoolTests {
    @Test func sizeClassesHoldTheirBytesWithAQuarterToSpareAtMost() {
        for count in [0, 1, 4095, 4096, 4097, 5120, 5121, 8191, 8192, 8193, 12_000, 65_536, 1 << 20, (1 << 20) + 1] {
            let sizeClass = JSONBytesPool.sizeClass(for: count)
            let capacity = JSONBytesPool.capacity(of: sizeClass)
            #expect(capacity >= count, "\(count)")
            #expect(count <= 4096 ? capacity == 4096 : capacity <= count + count / 4, "\(count)")
            // The class below is too small: the smallest that holds them.
            if sizeClass > 0 { #expect(JSONBytesPool.capacity(of: sizeClass - 1) < count, "\(count)") }
        }
    }

    @Test func copiesReadBackAndBlocksAreReused() {
        let pool = JSONBytesPool(limit: 1 << 20)
        let text = Array(repeating: UInt8(ascii: "x"), count: 10_000) + Array("end".utf8)
        var first: JSONBytes? = text.withUnsafeBytes { pool.copy($0) }
        let block = first!.base
        #expect(first!.withBytes { Array($0) } == text)
        first = nil
        // Same size class: the block given back is the one handed out next, holding the new bytes.
        let other = Array(repeating: UInt8(ascii: "y"), count: 10_100)
        let second = other.withUnsafeBytes { pool.copy($0) }
        #expect(second.base == block)
        #expect(second.withBytes { Array($0) } == other)
        #expect(first == nil)
    }

    @Test func theLimitBoundsTheFreeBlocksKept() {
        // Room for one 8 KiB block: of two given back, the first is kept and the second freed, so the next two
        // copies get the kept one and a new one.
        let pool = JSONBytesPool(limit: 8192)
        let bytes = Array(repeating: UInt8(7), count: 8000)
        var first: JSONBytes? = bytes.withUnsafeBytes { pool.copy($0) }
        var second: JSONBytes? = bytes.withUnsafeBytes { pool.copy($0) }
        let kept = first!.base
        first = nil
        second = nil
        let again = (0..<2).map { _ in bytes.withUnsafeBytes { pool.copy($0) } }
        #expect(again[0].base == kept)
        #expect(again[1].base != kept)
        #expect(again.allSatisfy { $0.withBytes { Array($0) } == bytes })
        #expect(first == nil && second == nil)
    }
}
