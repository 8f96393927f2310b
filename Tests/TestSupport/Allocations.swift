import AllocationCounter

/// The test process's heap allocations, counted by the AllocationCounter target.
public enum Allocations {
    /// False under a sanitizer (its allocator is not ours to count) or off glibc: the tests that need it skip.
    public static var countingAvailable: Bool { ftpscope_allocation_counting_available() != 0 }

    /// Allocations made by `body` on the calling thread (other tests running in parallel do not count).
    public static func count(_ body: () throws -> Void) rethrows -> UInt64 {
        let before = ftpscope_allocation_count()
        try body()
        return ftpscope_allocation_count() - before
    }
}
