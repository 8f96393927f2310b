#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
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

/// Blocks handed out for a writer's storage (`block(for:)`), handed over with what was written (`adopt`) or given
/// back unused (`give`): only blocks of the pool's own sizes come back to it, whatever a writer did with them.
@Suite struct JSONBytesPoolHandOverTests {
    @Test func blocksHaveTheirClassSizeAndComeBackForReuse() {
        let pool = JSONBytesPool(limit: 1 << 22)
        for count in [0, 1, 4096, 4097, 12_000, 65_536, 65_537, (1 << 20) + 3] {
            let (block, capacity) = pool.block(for: count)
            #expect(capacity == JSONBytesPool.capacity(of: JSONBytesPool.sizeClass(for: count)), "\(count)")
            #expect(capacity >= count)
            let spare = pool.spareBytes
            // The whole block is writable (under the address sanitizer, a short block would be caught here).
            block.initialize(repeating: 0xA5, count: capacity)
            pool.give(block, capacity: capacity)
            #expect(pool.spareBytes == spare + capacity, "\(count)")
            let again = pool.block(for: count)
            #expect(again.base == block && again.capacity == capacity, "\(count)")
            #expect(pool.spareBytes == spare)
            pool.give(again.base, capacity: again.capacity)
        }
    }

    @Test func adoptedBytesReadBackAndTheirBlockReturnsWithTheLastReference() {
        let pool = JSONBytesPool(limit: 1 << 20)
        let (block, capacity) = pool.block(for: 10_000)
        let text = Array("a held session".utf8)
        block.update(from: text, count: text.count)
        var held: JSONBytes? = pool.adopt(block, count: text.count, capacity: capacity)
        #expect(held!.withBytes { Array($0) } == text)
        #expect(pool.spareBytes == 0)
        held = nil
        #expect(pool.spareBytes == capacity)
        #expect(pool.block(for: 9_000).base == block)
    }

    /// A block whose capacity is not one of the pool's sizes (a writer grown by hand, a buffer from elsewhere) is
    /// freed, never filed under a class it does not fill; the limit holds for adopted blocks as for copies.
    @Test func oddCapacitiesAreFreedAndTheLimitHolds() {
        let pool = JSONBytesPool(limit: 8192)
        for capacity in [64, 4095, 4097, 9000, 12_289] {
            pool.give(malloc(capacity)!.assumingMemoryBound(to: UInt8.self), capacity: capacity)
            #expect(pool.spareBytes == 0, "\(capacity)")
            let odd = pool.adopt(malloc(capacity)!.assumingMemoryBound(to: UInt8.self), count: 1, capacity: capacity)
            _ = odd.count
        }
        #expect(pool.spareBytes == 0)
        // Three 4 KiB blocks back, room for two: the third is freed.
        let blocks = (0..<3).map { _ in pool.block(for: 100) }
        for (block, capacity) in blocks { pool.give(block, capacity: capacity) }
        #expect(pool.spareBytes == 8192)
        var adopted: [JSONBytes] = [pool.adopt(pool.block(for: 5000).base, count: 0, capacity: 5120)]
        #expect(pool.spareBytes == 8192)  // a new 5 KiB block: none was free of that size
        adopted.removeAll()
        #expect(pool.spareBytes == 8192)  // and no room for it
    }
}

extension JSONBytesPool {
    /// `bytes` copied into a block of the pool, given back to it when the last reference goes: a block filled as
    /// the document's writer fills one before handing it over (`JSONDocumentStreamSink.handOver`).
    func copy(_ bytes: UnsafeRawBufferPointer) -> JSONBytes {
        let (block, capacity) = self.block(for: bytes.count)
        if let source = bytes.baseAddress { UnsafeMutableRawPointer(block).copyMemory(from: source, byteCount: bytes.count) }
        return adopt(block, count: bytes.count, capacity: capacity)
    }
}
