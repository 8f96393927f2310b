#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Memory for a large table that every packet reads at a random place (the flow table's slots), asked of the
/// kernel in transparent huge pages (`madvise(MADV_HUGEPAGE)`; Linux, THP in "always" or "madvise" mode).
///
/// Why: on the control-heavy capture each control segment's flow-table slot is a random line of a table of about
/// 1 MiB, a TLB miss on 4 KiB pages (on a virtual machine a two-level page walk), and that load was a third of
/// `TCPReassembler.process`'s samples. In one 2 MiB page the whole table is one TLB entry. Only tables of at least
/// `threshold` bytes are placed so: a huge page is resident whole, so a smaller table would hold up to 2 MiB for
/// less than that. Where the kernel gives no huge page (THP "never", or no 2 MiB page free) the mapping is plain
/// 4 KiB pages and works the same.
enum HugePageMemory {
    /// The huge page size of x86-64 and of arm64 with 4 KiB pages.
    static let pageSize = 2 << 20
    /// Below this a table takes ordinary heap memory.
    static let threshold = 512 << 10

    /// `bytes` of zero-filled memory aligned to `pageSize` (its length rounded up to whole huge pages), or nil when
    /// the mapping fails (the caller then allocates from the heap).
    static func allocate(bytes: Int) -> UnsafeMutableRawPointer? {
        let length = mappedLength(bytes)
        // Mapped one page over, then trimmed at both ends, so the start is aligned: a huge page can only back an
        // aligned 2 MiB range.
        let over = length + pageSize
        guard let raw = mmap(nil, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            raw != MAP_FAILED
        else { return nil }
        let address = UInt(bitPattern: raw)
        let aligned = (address + UInt(pageSize) - 1) & ~(UInt(pageSize) - 1)
        let head = Int(aligned - address)
        if head > 0 { munmap(raw, head) }
        let tail = over - head - length
        let start = UnsafeMutableRawPointer(bitPattern: aligned)!
        if tail > 0 { munmap(start + length, tail) }
        // Advice, not a demand: without THP the range stays in 4 KiB pages.
        _ = madvise(start, length, MADV_HUGEPAGE)
        return start
    }

    /// Gives back memory from `allocate(bytes:)` with the same `bytes`.
    static func free(_ start: UnsafeMutableRawPointer, bytes: Int) {
        munmap(start, mappedLength(bytes))
    }

    static func mappedLength(_ bytes: Int) -> Int { (bytes + pageSize - 1) & ~(pageSize - 1) }
}
