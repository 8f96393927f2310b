/// Writes `value` in decimal at `out`, zero-padded to `minimumDigits`, and returns the number of bytes written
/// (at most 20, or `minimumDigits` when that is larger).
///
/// The one digit writer behind the texts that reports print for every row (ports, timestamps, milliseconds):
/// written into the caller's buffer, because string interpolation costs thousands of instructions a number. The
/// digits are counted by comparing (no division) and written two at a time from a table of the pairs `00`...`99`
/// (half the divisions of a digit at a time).
public func writeDecimal(_ value: UInt64, minimumDigits: Int = 1, into out: UnsafeMutablePointer<UInt8>) -> Int {
    var count = 1
    var bound: UInt64 = 10
    while count < 20 && value >= bound {
        count += 1
        bound &*= 10
    }
    let total = max(count, minimumDigits)
    // `00`, `01`, ... `99`: the two digits of n at offset 2n (a literal: no table to set up).
    let table: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748\
        49505152535455565758596061626364656667686970717273747576777879808182838485868788899091929394959697\
        9899
        """
    let pairs = table.utf8Start
    var rest = value
    var position = total
    while rest >= 100 {
        let pair = Int(truncatingIfNeeded: rest % 100) &* 2
        rest /= 100
        position -= 2
        out[position] = pairs[pair]
        out[position + 1] = pairs[pair + 1]
    }
    if rest >= 10 {
        let pair = Int(truncatingIfNeeded: rest) &* 2
        position -= 2
        out[position] = pairs[pair]
        out[position + 1] = pairs[pair + 1]
    } else {
        position -= 1
        out[position] = 0x30 &+ UInt8(truncatingIfNeeded: rest)
    }
    // The zeros before the digits, when `minimumDigits` asks for more.
    while position > 0 {
        position -= 1
        out[position] = 0x30
    }
    return total
}

/// Appends `value` in decimal to `out` (through `writeDecimal`).
public func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
        let count = writeDecimal(value, into: buffer.baseAddress!)
        out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<count]))
    }
}

/// Appends `value` in decimal to `out`, with a leading `-` when it is negative.
public func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
    if value < 0 { out.append(0x2D) }
    appendDecimal(value.magnitude, to: &out)
}
