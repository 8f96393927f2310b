/// Writes `value` in decimal at `out`, zero-padded to `minimumDigits`, and returns the number of bytes written
/// (at most 20, or `minimumDigits` when that is larger).
///
/// The one digit writer behind the texts that reports print for every row (ports, timestamps): written byte by
/// byte into the caller's buffer, because string interpolation costs thousands of instructions a number.
func writeDecimal(_ value: UInt64, minimumDigits: Int = 1, into out: UnsafeMutablePointer<UInt8>) -> Int {
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
