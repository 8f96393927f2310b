/// The CSV timeline's fast path for a text cell: copies the bytes that certainly need no care (no quoting, no
/// escaping) in whole words while it checks them.
///
/// Most cells are short and plain (a session id, a verb, a user, a reply). They were checked eight bytes at a time
/// with five zero-byte tests a word (about 27 instructions) and, under eight bytes, byte by byte (about twelve
/// instructions a byte); here sixteen bytes go through one vector test, the last few bytes as a word overlapping
/// the one before, and a text under eight bytes as two overlapping halves, as `JSONWriter` copies strings.
enum CSVPlainCopy {
    /// Copies `source`'s bytes to `target` (room for `total` bytes) as long as none of them may need care, and
    /// returns how many it copied: all of them, or the start of the first word that may hold one that does (every
    /// byte before it needs none). Never reads or writes past `total` bytes.
    @inline(__always)
    static func copy(_ source: UnsafeRawPointer, _ total: Int, to target: UnsafeMutableRawPointer) -> Int {
        if total >= 8 {
            var index = 0
            while index + 16 <= total {
                let pair = source.loadUnaligned(fromByteOffset: index, as: SIMD2<UInt64>.self)
                if mayNeedCare(pair) { break }
                target.storeBytes(of: pair, toByteOffset: index, as: SIMD2<UInt64>.self)
                index += 16
            }
            while index + 8 < total {
                let word = source.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                if mayNeedCare(word) { return index }
                target.storeBytes(of: word, toByteOffset: index, as: UInt64.self)
                index += 8
            }
            let last = source.loadUnaligned(fromByteOffset: total - 8, as: UInt64.self)
            if mayNeedCare(last) { return index }
            target.storeBytes(of: last, toByteOffset: total - 8, as: UInt64.self)
            return total
        }
        if total >= 4 {
            let low = source.loadUnaligned(as: UInt32.self)
            let high = source.loadUnaligned(fromByteOffset: total - 4, as: UInt32.self)
            if mayNeedCare(UInt64(low) | UInt64(high) << 32) { return 0 }
            target.storeBytes(of: low, as: UInt32.self)
            target.storeBytes(of: high, toByteOffset: total - 4, as: UInt32.self)
            return total
        }
        if total >= 2 {
            let low = source.loadUnaligned(as: UInt16.self)
            let high = source.loadUnaligned(fromByteOffset: total - 2, as: UInt16.self)
            let half = UInt64(low) | UInt64(high) << 16
            if mayNeedCare(half | half << 32) { return 0 }
            target.storeBytes(of: low, as: UInt16.self)
            target.storeBytes(of: high, toByteOffset: total - 2, as: UInt16.self)
            return total
        }
        if total == 1 {
            let byte = source.load(as: UInt8.self)
            if mayNeedCare(UInt64(byte) &* 0x0101_0101_0101_0101) { return 0 }
            target.storeBytes(of: byte, as: UInt8.self)
        }
        return total
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// False when none of the eight bytes in `word` may need care: none below 0x20, none at or above 0x7F (DEL,
    /// and every byte of a non-ASCII character, among them 0xC2), no `,` and no `"`. The tests of Hacker's Delight
    /// 6-1 for a byte below or above a bound and for a zero byte: a borrow or carry only ever crosses from a byte
    /// that matches, so the answer for the word is exact.
    @inline(__always)
    static func mayNeedCare(_ word: UInt64) -> Bool {
        let comma = word ^ (ones &* 0x2C)
        let quote = word ^ (ones &* 0x22)
        let flags =
            ((word &- ones &* 0x20) & ~word) | ((comma &- ones) & ~comma) | ((quote &- ones) & ~quote)
            | (word &+ ones) | word
        return flags & highs != 0
    }

    /// `mayNeedCare` for two words at once (the vector registers take both).
    @inline(__always)
    static func mayNeedCare(_ pair: SIMD2<UInt64>) -> Bool {
        let ones = SIMD2<UInt64>(repeating: Self.ones)
        let comma = pair ^ SIMD2(repeating: Self.ones &* 0x2C)
        let quote = pair ^ SIMD2(repeating: Self.ones &* 0x22)
        let flags =
            ((pair &- SIMD2(repeating: Self.ones &* 0x20)) & ~pair) | ((comma &- ones) & ~comma)
            | ((quote &- ones) & ~quote) | (pair &+ ones) | pair
        return (flags[0] | flags[1]) & highs != 0
    }
}
