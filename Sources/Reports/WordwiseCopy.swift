/// A word-at-a-time test for the bytes a text writer must handle one by one (CSV quoting, JSON escapes). It may
/// flag a word that holds none (the caller then looks at it byte by byte), never pass one that holds one.
protocol WordFilter {
    static func mayFlag(_ word: UInt64) -> Bool
    static func mayFlag(_ pair: SIMD2<UInt64>) -> Bool
}

/// The writers' fast path for text: copies the bytes that certainly need no care in whole words while it checks
/// them, and stops at the first word that may hold one.
///
/// Most texts are short and plain (a session id, a verb, a reply). Sixteen bytes go through one vector test, the
/// last few bytes of a longer text as sixteen overlapping the ones before, a text of eight to fifteen bytes as two
/// overlapping words tested together, and a text under eight bytes as two overlapping halves, so no byte is
/// handled alone and nothing outside the text is read. (The tail of a longer text went word by word, and a text
/// of eight to fifteen bytes took two word tests: about 40 instructions more for a Community ID.)
enum WordwiseCopy {
    /// Copies `source`'s bytes to `target` (room for `total` bytes) as long as `Filter` flags none of them, and
    /// returns how many it copied: all of them, or the start of the first word that may hold one that needs care
    /// (every byte before it needs none). Never reads or writes past `total` bytes.
    @inline(__always)
    static func copy<Filter: WordFilter>(
        _ source: UnsafeRawPointer, _ total: Int, to target: UnsafeMutableRawPointer, unless filter: Filter.Type
    ) -> Int {
        if total >= 16 {
            var index = 0
            while index + 16 <= total {
                let block = source.loadUnaligned(fromByteOffset: index, as: SIMD2<UInt64>.self)
                if Filter.mayFlag(block) { return index }
                target.storeBytes(of: block, toByteOffset: index, as: SIMD2<UInt64>.self)
                index += 16
            }
            guard index < total else { return total }
            // The last sixteen bytes, overlapping the ones copied already.
            let last = source.loadUnaligned(fromByteOffset: total - 16, as: SIMD2<UInt64>.self)
            if Filter.mayFlag(last) { return index }
            target.storeBytes(of: last, toByteOffset: total - 16, as: SIMD2<UInt64>.self)
            return total
        }
        if total >= 8 {
            let low = source.loadUnaligned(as: UInt64.self)
            let high = source.loadUnaligned(fromByteOffset: total - 8, as: UInt64.self)
            if Filter.mayFlag(SIMD2(low, high)) { return 0 }
            target.storeBytes(of: low, as: UInt64.self)
            target.storeBytes(of: high, toByteOffset: total - 8, as: UInt64.self)
            return total
        }
        // Under a word: two overlapping halves make every byte of the checked word one of the text's.
        if total >= 4 {
            let low = source.loadUnaligned(as: UInt32.self)
            let high = source.loadUnaligned(fromByteOffset: total - 4, as: UInt32.self)
            if Filter.mayFlag(UInt64(low) | UInt64(high) << 32) { return 0 }
            target.storeBytes(of: low, as: UInt32.self)
            target.storeBytes(of: high, toByteOffset: total - 4, as: UInt32.self)
            return total
        }
        if total >= 2 {
            let low = source.loadUnaligned(as: UInt16.self)
            let high = source.loadUnaligned(fromByteOffset: total - 2, as: UInt16.self)
            let half = UInt64(low) | UInt64(high) << 16
            if Filter.mayFlag(half | half << 32) { return 0 }
            target.storeBytes(of: low, as: UInt16.self)
            target.storeBytes(of: high, toByteOffset: total - 2, as: UInt16.self)
            return total
        }
        if total == 1 {
            let byte = source.load(as: UInt8.self)
            if Filter.mayFlag(UInt64(byte) &* 0x0101_0101_0101_0101) { return 0 }
            target.storeBytes(of: byte, as: UInt8.self)
        }
        return total
    }
}
