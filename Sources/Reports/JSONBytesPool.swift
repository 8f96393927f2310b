#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reused storage for the JSON document's sessions (`JSONDocumentStreamSink`): each session is written into a
/// block from here (the writer's storage, `JSONWriter.exchangeStorage`), the block is handed to the output or to
/// the held sessions whole, the writer takes another, and the block comes back when the output is done with it.
///
/// Handing over the writer's own buffer and allocating a new one each time meant fresh memory each time (mimalloc
/// gives freed pages back at once, `FTPScopeCommand.main`): on the control-heavy benchmark 8.5 k of the output
/// thread's 16.8 k page faults were the document writing into new buffers. Copying each held session out of one
/// reused buffer instead cost a memcpy of nine sessions in ten (16.7 M instructions on c01, ≈ 280 MB on the full
/// capture); blocks that come back here are written again without either.
///
/// Blocks come in four sizes an octave from 4 KiB on (at most a quarter of a block unused), and the pool keeps at
/// most `limit` bytes of free blocks. Single-threaded: used by the thread that writes the document, and after it
/// has ended by the one that finishes it.
final class JSONBytesPool {
    /// Free blocks by size class.
    private var spare: [[UnsafeMutablePointer<UInt8>]] = []
    /// Bytes of the free blocks.
    private(set) var spareBytes = 0
    let limit: Int

    init(limit: Int) { self.limit = limit }

    deinit {
        for blocks in spare { for block in blocks { free(block) } }
    }

    /// A block of the pool for at least `count` bytes, and its capacity (its size class's): a free one, else new.
    func block(for count: Int) -> (base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        let sizeClass = JSONBytesPool.sizeClass(for: count)
        let capacity = JSONBytesPool.capacity(of: sizeClass)
        if sizeClass < spare.count, let reused = spare[sizeClass].popLast() {
            spareBytes -= capacity
            return (reused, capacity)
        }
        guard let memory = malloc(capacity) else { fatalError("out of memory for \(count) bytes of JSON") }
        return (memory.assumingMemoryBound(to: UInt8.self), capacity)
    }

    /// The first `count` bytes of `base`, a `malloc` block of `capacity` bytes handed over (from `block(for:)`, or
    /// one a writer grew): given back to the pool when the last reference goes, or freed when `capacity` is not
    /// one of its sizes.
    func adopt(_ base: UnsafeMutablePointer<UInt8>, count: Int, capacity: Int) -> JSONBytes {
        let sizeClass = JSONBytesPool.sizeClass(for: capacity)
        guard JSONBytesPool.capacity(of: sizeClass) == capacity else { return JSONBytes(base: base, count: count) }
        return JSONBytes(base: base, count: count, pool: self, sizeClass: sizeClass)
    }

    /// Takes back a block of `capacity` bytes that nothing holds (a writer's storage exchanged for another), or
    /// frees it when it is not one of the pool's sizes or the pool is full.
    func give(_ block: UnsafeMutablePointer<UInt8>, capacity: Int) {
        let sizeClass = JSONBytesPool.sizeClass(for: capacity)
        guard JSONBytesPool.capacity(of: sizeClass) == capacity else { return free(block) }
        give(block, sizeClass: sizeClass)
    }

    /// Takes back a block of `sizeClass` (`JSONBytes.deinit`), or frees it when the pool is full.
    func give(_ block: UnsafeMutablePointer<UInt8>, sizeClass: Int) {
        let capacity = JSONBytesPool.capacity(of: sizeClass)
        guard spareBytes + capacity <= limit else {
            free(block)
            return
        }
        while spare.count <= sizeClass { spare.append([]) }
        spare[sizeClass].append(block)
        spareBytes += capacity
    }

    /// Bytes of size class `sizeClass`: (4 + step) KiB << octave, with `sizeClass` = 4 × octave + step.
    static func capacity(of sizeClass: Int) -> Int { (4 + (sizeClass & 3)) << ((sizeClass >> 2) + 10) }

    /// The smallest size class that holds `count` bytes.
    static func sizeClass(for count: Int) -> Int {
        guard count > 4096 else { return 0 }
        // 2^(bits - 1) <= count - 1 < 2^bits: the octave whose steps span (2^(bits-1), 2^bits], then the one above.
        let bits = Int.bitWidth - (count - 1).leadingZeroBitCount
        var sizeClass = 4 * (bits - 13)
        while capacity(of: sizeClass) < count { sizeClass += 1 }
        return sizeClass
    }
}
