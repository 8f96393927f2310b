/// Writes `Timestamp.writeISO8601`'s text, keeping the date and time of the last whole second written: times come
/// in near order (a JSON document writes several per command), so most share their second with the one before and
/// need only their microseconds. Each writer keeps its own; not thread-safe.
public struct ISO8601Writer {
    /// The whole second `secondText` holds, or Int64.min.
    private var lastSecond = Int64.min
    /// "YYYY-MM-DDTHH:MM:SS" of `lastSecond` (19 of the 24 bytes used).
    private var secondText: (UInt64, UInt64, UInt64) = (0, 0, 0)

    public init() {}

    /// Writes the 27 bytes of `time`'s ISO 8601 text at `out` (room for `Timestamp.iso8601MaximumLength` bytes,
    /// at least 24) and returns 27.
    public mutating func write(_ time: Timestamp, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let (second, micros) = time.wholeSecondsAndMicroseconds
        if second == lastSecond {
            // The 19 bytes as three whole words (the fraction then overwrites the last five): a call to copy 19
            // bytes cost more than the stores.
            let raw = UnsafeMutableRawPointer(out)
            raw.storeBytes(of: secondText.0, as: UInt64.self)
            raw.storeBytes(of: secondText.1, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: secondText.2, toByteOffset: 16, as: UInt64.self)
            Timestamp.writeFraction(micros, at: out + 19)
            return 27
        }
        let length = time.writeISO8601(into: out)
        lastSecond = second
        withUnsafeMutableBytes(of: &secondText) { $0.baseAddress!.copyMemory(from: out, byteCount: 19) }
        return length
    }
}
