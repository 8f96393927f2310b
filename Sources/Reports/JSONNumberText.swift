import NetworkTypes

/// Numbers as the JSON document and the timelines write them (`JSONValue.double`'s text), kept apart from the
/// writer's layout code.
extension JSONWriter {
    /// Appends a number as `JSONValue.double` writes it: three decimals at most, a whole number without a point,
    /// `null` when not finite. The timeline's CSV writes its numbers this way too, so both files agree.
    public static func appendNumber(_ value: Double, to bytes: inout [UInt8]) {
        let written = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: numberRoom) { buffer -> Bool in
            guard let length = writeNumber(value, into: buffer.baseAddress!) else { return false }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<length]))
            return true
        }
        if written { return }
        guard value.isFinite else {
            bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])  // null
            return
        }
        let scaled = (value * 1000).rounded() / 1000
        if scaled == scaled.rounded() && abs(scaled) < 1e15 {
            appendDecimal(Int64(scaled), to: &bytes)
        } else {
            var text = String(scaled)
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }
    }

    /// Room `writeNumber` needs: a sign, 15 digits, a point.
    static let numberRoom = 24

    /// `appendNumber`'s text written from integers, for every finite value whose thousandths are below 10^15
    /// (all the milliseconds and rates a capture produces); nil for the rest, which take `String(Double)`.
    ///
    /// Why this is the same text: the value written is the double nearest to k/1000 for the integer
    /// k = (value·1000).rounded(). A decimal of at most 15 significant digits is the only one of that length that
    /// reads back as its nearest double (DBL_DIG = 15), so the shortest text that reads back as it — what Swift
    /// prints — is k/1000 itself, without trailing zeros; Swift uses positional notation from 0.0001 to 2^53,
    /// which covers every such value but 0. `JSONWriterTests` compares the two on random values.
    static func writeNumber(_ value: Double, into out: UnsafeMutablePointer<UInt8>) -> Int? {
        guard let scaled = roundedThousandths(value) else { return nil }
        return writeThousandths(scaled, into: out)
    }

    /// `scaled` thousandths (magnitude below 10^15) as `writeNumber` writes the number they stand for.
    @inline(__always)
    static func writeThousandths(_ scaled: Int64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var length = 0
        if scaled < 0 {
            out[0] = 0x2D
            length = 1
        }
        let magnitude = scaled.magnitude
        length += writeUnsigned(magnitude / 1000, into: out + length)
        let fraction = magnitude % 1000
        guard fraction != 0 else { return length }
        // Up to three decimals, trailing zeros left out (constant divisors: no division instruction).
        let digit1 = fraction / 100
        let digit2 = fraction / 10 % 10
        let digit3 = fraction % 10
        out[length] = 0x2E
        out[length + 1] = 0x30 &+ UInt8(truncatingIfNeeded: digit1)
        length += 2
        if digit2 != 0 || digit3 != 0 {
            out[length] = 0x30 &+ UInt8(truncatingIfNeeded: digit2)
            length += 1
        }
        if digit3 != 0 {
            out[length] = 0x30 &+ UInt8(truncatingIfNeeded: digit3)
            length += 1
        }
        return length
    }

    /// `(value * 1000).rounded()` (half away from zero) as an integer when its magnitude is below 10^15, else nil
    /// (not finite, or too large). Worked out from the truncated integer and the fraction left over, both exact
    /// below 2^51, rather than by `rounded()`, which calls the C library's `round` for every number (the
    /// baseline x86-64 target has no rounding instruction): the timeline and the JSON document write one per
    /// command.
    @inline(__always)
    static func roundedThousandths(_ value: Double) -> Int64? {
        let scaled = value * 1000
        // False for NaN and the infinities too.
        guard scaled.magnitude < 2e15 else { return nil }
        var whole = Int64(scaled)
        let fraction = scaled - Double(whole)
        if fraction >= 0.5 {
            whole += 1
        } else if fraction <= -0.5 {
            whole -= 1
        }
        guard whole.magnitude < 1_000_000_000_000_000 else { return nil }
        return whole
    }
}
