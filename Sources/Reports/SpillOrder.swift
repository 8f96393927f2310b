/// The radix sort that orders held timeline rows by time (`RowOrder`): a least-significant-digit sort on 11-bit
/// digits, two or three linear passes for a burst of rows, where a comparison sort on (time, arrival) cost about 360
/// instructions a row. Stable, so rows of equal time keep their arrival order. (It first ordered the rows of a
/// spill, `HeldRowStore.spill`, hence the name; a spill now takes the rows in the exact order they are written.)
enum SpillOrder {
    private static let digitBits = 11

    /// `values` in the order of their `keys`, sorted on the low `bits` bits, equal keys in their given order.
    static func radixSorted(keys: [UInt64], values: [Int], bits: Int) -> [Int] {
        var keys = keys
        var values = values
        var otherKeys = keys
        var otherValues = values
        var counts = [Int](repeating: 0, count: 1 << digitBits)
        let mask = UInt64(1 << digitBits - 1)
        for shift in stride(from: 0, to: max(bits, 1), by: digitBits) {
            // Counting sort on one digit: stable, so the lower digits' order holds among equal digits.
            counts.withUnsafeMutableBufferPointer { counts in
                for index in counts.indices { counts[index] = 0 }
                keys.withUnsafeBufferPointer { keys in
                    for key in keys { counts[Int((key >> UInt64(shift)) & mask)] += 1 }
                }
                var total = 0
                for index in counts.indices {
                    let here = counts[index]
                    counts[index] = total
                    total += here
                }
                keys.withUnsafeBufferPointer { keys in
                    values.withUnsafeBufferPointer { values in
                        otherKeys.withUnsafeMutableBufferPointer { otherKeys in
                            otherValues.withUnsafeMutableBufferPointer { otherValues in
                                for index in keys.indices {
                                    let digit = Int((keys[index] >> UInt64(shift)) & mask)
                                    let position = counts[digit]
                                    counts[digit] = position + 1
                                    otherKeys[position] = keys[index]
                                    otherValues[position] = values[index]
                                }
                            }
                        }
                    }
                }
            }
            swap(&keys, &otherKeys)
            swap(&values, &otherValues)
        }
        return values
    }
}
