/// Writes `Timestamp.writeISO8601`'s text, keeping the date and hour of the last hour written: times come in near
/// order (a JSON document writes several per command, a timeline one per row), so nearly all share their hour with
/// the one before and need only their minute, second and microseconds. Each writer keeps its own; not thread-safe.
///
/// Kept to the second, a time in another second than the last (two in seven of the CSV timeline's rows on the
/// control-heavy benchmark: its sessions interleave) made the whole date again, about 350 instructions; kept to
/// the hour it takes two divisions by constants.
public struct ISO8601Writer {
    /// The first second of the hour `hourText` holds, or Int64.min.
    private var hourStart = Int64.min
    /// "YYYY-MM-DDTHH:" of `hourStart` (14 of the 16 bytes used; the last two are overwritten by the minute).
    private var hourText: (UInt64, UInt64) = (0, 0)

    public init() {}

    /// Writes the 27 bytes of `time`'s ISO 8601 text at `out` (room for `Timestamp.iso8601MaximumLength` bytes,
    /// at least 27) and returns 27.
    public mutating func write(_ time: Timestamp, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let (second, micros) = time.wholeSecondsAndMicroseconds
        // Wrapping: from Int64.min (nothing kept) any second is far out of the hour, never inside it.
        let intoHour = UInt64(bitPattern: second &- hourStart)
        if intoHour < 3600 {
            // The date and hour as two whole words (the minute then overwrites their last two bytes): a call to
            // copy 14 bytes cost more than the stores.
            let raw = UnsafeMutableRawPointer(out)
            raw.storeBytes(of: hourText.0, as: UInt64.self)
            raw.storeBytes(of: hourText.1, toByteOffset: 8, as: UInt64.self)
            let minute = intoHour / 60
            Timestamp.writePair(Int64(truncatingIfNeeded: minute), at: out + 14)
            out[16] = UInt8(ascii: ":")
            Timestamp.writePair(Int64(truncatingIfNeeded: intoHour &- minute &* 60), at: out + 17)
            Timestamp.writeFraction(micros, at: out + 19)
            return 27
        }
        let length = time.writeISO8601(into: out)
        // The hour's first second, rounded down also before 1970 (a remainder there is negative).
        var secondOfHour = second % 3600
        if secondOfHour < 0 { secondOfHour += 3600 }
        hourStart = second - secondOfHour
        hourText = (0, 0)
        withUnsafeMutableBytes(of: &hourText) { $0.baseAddress!.copyMemory(from: out, byteCount: 14) }
        return length
    }
}
