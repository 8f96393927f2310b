/// Writes `value` in decimal at `out`, zero-padded to `minimumDigits`, and returns the number of bytes written
/// (at most 20, or `minimumDigits` when that is larger).
///
/// The one digit writer behind the texts that reports print for every row (ports, timestamps): written byte by
/// byte into the caller's buffer, because string interpolation costs thousands of instructions a number.
public func writeDecimal(_ value: UInt64, minimumDigits: Int = 1, into out: UnsafeMutablePointer<UInt8>) -> Int {
    var count = 1
    var probe = value / 10
    while probe > 0 {
        count += 1
        probe /= 10
    }
    let total = max(count, minimumDigits)
    var rest = value
    for position in stride(from: total - 1, through: 0, by: -1) {
        out[position] = UInt8(truncatingIfNeeded: rest % 10) + 0x30
        rest /= 10
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
