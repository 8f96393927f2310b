/// The CSV timeline's fast path for a text cell: `WordwiseCopy` with the bytes that need quoting or care.
///
/// Most cells are short and plain (a session id, a verb, a user, a reply). They were checked eight bytes at a time
/// with five zero-byte tests a word (about 27 instructions) and, under eight bytes, byte by byte (about twelve
/// instructions a byte).
enum CSVPlainCopy: WordFilter {
    /// Copies `source`'s bytes to `target` (room for `total` bytes) as long as none of them may need care, and
    /// returns how many it copied: all of them, or the start of the first word that may hold one that does.
    @inline(__always)
    static func copy(_ source: UnsafeRawPointer, _ total: Int, to target: UnsafeMutableRawPointer) -> Int {
        WordwiseCopy.copy(source, total, to: target, unless: CSVPlainCopy.self)
    }

    @inline(__always) static func mayFlag(_ word: UInt64) -> Bool { mayNeedCare(word) }
    @inline(__always) static func mayFlag(_ pair: SIMD2<UInt64>) -> Bool { mayNeedCare(pair) }

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

    /// `mayNeedCare` without the comma: false when none of the eight bytes is below 0x20, at or above 0x7F, or `"`
    /// (exact for the word, as there). `CSVTimelineWriter.appendCareful` passes words of commas whole: they only
    /// make the cell quoted.
    @inline(__always)
    static func mayNeedCareBesidesComma(_ word: UInt64) -> Bool {
        let quote = word ^ (ones &* 0x22)
        let flags = ((word &- ones &* 0x20) & ~word) | ((quote &- ones) & ~quote) | (word &+ ones) | word
        return flags & highs != 0
    }

    /// True when one of the eight bytes is `,` (the zero-byte test, exact for the word as above).
    @inline(__always)
    static func holdsComma(_ word: UInt64) -> Bool {
        let comma = word ^ (ones &* 0x2C)
        return (comma &- ones) & ~comma & highs != 0
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
