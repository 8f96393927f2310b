/// Writes `Timestamp.writeISO8601`'s text, keeping the date and time of the last whole second written: times come
/// in near order (a JSON document writes several per command), so most share their second with the one before and
/// need only their microseconds. Each writer keeps its own; not thread-safe.
public struct ISO8601Writer {
    /// The whole second `secondText` holds, or Int64.min.
    private var lastSecond = Int64.min
    /// "YYYY-MM-DDTHH:MM:SS" of `lastSecond` (19 of the 24 bytes used).
    private var secondText: (UInt64, UInt64, UInt64) = (0, 0, 0)

    public init() {}

    /// Writes the 27 bytes of `time`'s ISO 8601 text at `out` and returns 27.
    public mutating func write(_ time: Timestamp, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let (second, micros) = time.wholeSecondsAndMicroseconds
        if second == lastSecond {
            withUnsafeBytes(of: secondText) {
                UnsafeMutableRawPointer(out).copyMemory(from: $0.baseAddress!, byteCount: 19)
            }
            Timestamp.writeFraction(micros, at: out + 19)
            return 27
        }
        let length = time.writeISO8601(into: out)
        lastSecond = second
        withUnsafeMutableBytes(of: &secondText) { $0.baseAddress!.copyMemory(from: out, byteCount: 19) }
        return length
    }
}
