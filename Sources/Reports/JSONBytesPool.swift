#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reused storage for the JSON document's held sessions (`JSONDocumentStreamSink`): a session that ends before an
/// earlier one is copied into a block from here, and the block comes back when the output is done with it.
///
/// Most sessions of a busy capture are held a while, so each needed a block of tens of kilobytes. Handing over the
/// writer's own buffer and allocating a new one each time meant fresh memory each time (mimalloc gives freed pages
/// back at once, `FTPScopeCommand.main`): on the control-heavy benchmark 8.5 k of the output thread's 16.8 k page
/// faults were the document writing into new buffers. A copy of the bytes costs less than faulting them in.
///
/// Blocks come in four sizes an octave from 4 KiB on (at most a quarter of a block unused), and the pool keeps at
/// most `limit` bytes of free blocks. Single-threaded: used by the thread that writes the document, and after it
/// has ended by the one that finishes it.
final class JSONBytesPool {
    /// Free blocks by size class.
    private var spare: [[UnsafeMutablePointer<UInt8>]] = []
    private var spareBytes = 0
    let limit: Int

    init(limit: Int) { self.limit = limit }

    deinit {
        for blocks in spare { for block in blocks { free(block) } }
    }

    /// `bytes` in a block of the pool, given back to it when the last reference goes.
    func copy(_ bytes: UnsafeRawBufferPointer) -> JSONBytes {
        let sizeClass = JSONBytesPool.sizeClass(for: bytes.count)
        let block: UnsafeMutablePointer<UInt8>
        if sizeClass < spare.count, let reused = spare[sizeClass].popLast() {
            block = reused
            spareBytes -= JSONBytesPool.capacity(of: sizeClass)
        } else {
            guard let memory = malloc(JSONBytesPool.capacity(of: sizeClass)) else {
                fatalError("out of memory for \(bytes.count) bytes of JSON")
            }
            block = memory.assumingMemoryBound(to: UInt8.self)
        }
        if let source = bytes.baseAddress { UnsafeMutableRawPointer(block).copyMemory(from: source, byteCount: bytes.count) }
        return JSONBytes(base: block, count: bytes.count, pool: self, sizeClass: sizeClass)
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
