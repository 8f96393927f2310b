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

    /// Room to leave for `writeISO8601`, which writes 27 bytes (kept above that for callers sized by it).
    public static let iso8601MaximumLength = 48

    /// Writes `iso8601`'s text as UTF-8 at `out` (room for `iso8601MaximumLength` bytes) and returns its length.
    ///
    /// Digit by digit into the caller's buffer: timelines write this for every row, and the string-joining
    /// version allocated a dozen times per call.
    public func writeISO8601(into out: UnsafeMutablePointer<UInt8>) -> Int {
        let (seconds, micros) = wholeSecondsAndMicroseconds
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = Timestamp.civilDate(daysSinceEpoch: days)
        // Int64 nanoseconds span the years 1677 to 2262, so the year always has four digits.
        // Fixed places, two digits at a time: a JSON document writes several times per
        // command, and a digit loop per field was most of the cost.
        Timestamp.writePair(year / 100, at: out)
        Timestamp.writePair(year % 100, at: out + 2)
        out[4] = UInt8(ascii: "-")
        Timestamp.writePair(month, at: out + 5)
        out[7] = UInt8(ascii: "-")
        Timestamp.writePair(day, at: out + 8)
        out[10] = UInt8(ascii: "T")
        Timestamp.writePair(secondOfDay / 3600, at: out + 11)
        out[13] = UInt8(ascii: ":")
        Timestamp.writePair(secondOfDay % 3600 / 60, at: out + 14)
        out[16] = UInt8(ascii: ":")
        Timestamp.writePair(secondOfDay % 60, at: out + 17)
        Timestamp.writeFraction(micros, at: out + 19)
        return 27
    }

    /// Whole seconds since the epoch (rounded down) and the microseconds past them.
    var wholeSecondsAndMicroseconds: (Int64, Int64) {
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 {
            fraction += 1_000_000_000
            seconds -= 1
        }
        return (seconds, fraction / 1000)
    }

    /// Two decimal digits of `value` (0...99), copied from a table of the pairs `00`...`99` (a literal: no table to
    /// set up): dividing by ten for each pair was a third of writing a time.
    @inline(__always)
    static func writePair(_ value: Int64, at out: UnsafeMutablePointer<UInt8>) {
        let table: StaticString = """
            00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748\
            49505152535455565758596061626364656667686970717273747576777879808182838485868788899091929394959697\
            9899
            """
        let pair = UnsafeRawPointer(table.utf8Start + Int(truncatingIfNeeded: value) &* 2)
        UnsafeMutableRawPointer(out).storeBytes(of: pair.loadUnaligned(as: UInt16.self), as: UInt16.self)
    }

    /// `.ffffffZ`: the microseconds (0...999 999) and the zone (8 bytes).
    @inline(__always)
    static func writeFraction(_ micros: Int64, at out: UnsafeMutablePointer<UInt8>) {
        out[0] = UInt8(ascii: ".")
        // Unsigned, so that the divisions by constants need no sign fix-ups.
        let micros = UInt64(truncatingIfNeeded: micros)
        let high = micros / 10_000
        let rest = micros &- high &* 10_000
        let middle = rest / 100
        writePair(Int64(truncatingIfNeeded: high), at: out + 1)
        writePair(Int64(truncatingIfNeeded: middle), at: out + 3)
        writePair(Int64(truncatingIfNeeded: rest &- middle &* 100), at: out + 5)
        out[7] = UInt8(ascii: "Z")
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
