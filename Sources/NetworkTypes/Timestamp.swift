/// A capture timestamp: nanoseconds since the Unix epoch, UTC.
///
/// Kept as one integer so that comparing, subtracting and keying by time costs nothing on the hot path.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanoseconds: Int64

    /// Creates a timestamp from nanoseconds since the epoch.
    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// Creates a timestamp from whole seconds and a nanosecond part.
    @inlinable public init(seconds: Int64, nanoseconds: Int64) {
        self.nanoseconds = seconds &* 1_000_000_000 &+ nanoseconds
    }

    /// The zero time, used before any packet has been seen.
    public static let zero = Timestamp(nanoseconds: 0)

    @inlinable public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// Nanoseconds from `self` to `later` (negative when `later` is earlier).
    @inlinable public func nanoseconds(to later: Timestamp) -> Int64 { later.nanoseconds &- nanoseconds }

    /// Milliseconds from `self` to `later`, as a fraction.
    @inlinable public func milliseconds(to later: Timestamp) -> Double { Double(nanoseconds(to: later)) / 1_000_000 }

    /// Seconds since the epoch as a fraction.
    public var secondsSinceEpoch: Double { Double(nanoseconds) / 1_000_000_000 }

    /// The time advanced by a number of nanoseconds.
    @inlinable public func adding(nanoseconds delta: Int64) -> Timestamp { Timestamp(nanoseconds: nanoseconds &+ delta) }

    /// ISO 8601 UTC with microseconds, e.g. `2024-05-01T10:00:02.123456Z` (SPEC.md, time).
    public var iso8601: String {
        String(unsafeUninitializedCapacity: Timestamp.iso8601MaximumLength) { buffer in
            writeISO8601(into: buffer.baseAddress!)
        }
    }

    /// The most bytes `writeISO8601` writes (a 19-digit year, for times beyond 9999).
    public static let iso8601MaximumLength = 48

    /// Writes `iso8601`'s text as UTF-8 at `out` (room for `iso8601MaximumLength` bytes) and returns its length.
    ///
    /// Digit by digit into the caller's buffer: timelines write this for every row, and the string-joining
    /// version allocated a dozen times per call.
    public func writeISO8601(into out: UnsafeMutablePointer<UInt8>) -> Int {
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 {
            fraction += 1_000_000_000
            seconds -= 1
        }
        let micros = fraction / 1000
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = Timestamp.civilDate(daysSinceEpoch: days)
        var length = 0
        func digits(_ value: Int64, _ width: Int) {
            // Zero-padded to `width`; wider values (years past 9999) keep all their digits.
            if value < 0 {
                out[length] = UInt8(ascii: "-")
                length += 1
            }
            length += writeDecimal(value.magnitude, minimumDigits: width, into: out + length)
        }
        func byte(_ value: Unicode.Scalar) {
            out[length] = UInt8(ascii: value)
            length += 1
        }
        digits(year, 4)
        byte("-")
        digits(month, 2)
        byte("-")
        digits(day, 2)
        byte("T")
        digits(secondOfDay / 3600, 2)
        byte(":")
        digits(secondOfDay % 3600 / 60, 2)
        byte(":")
        digits(secondOfDay % 60, 2)
        byte(".")
        digits(micros, 6)
        byte("Z")
        return length
    }

    public var description: String { iso8601 }

    /// Howard Hinnant's days-from-civil inverse: proleptic Gregorian calendar date of a day number.
    static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
