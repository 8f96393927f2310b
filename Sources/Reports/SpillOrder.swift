/// The order in which held timeline rows go to a run when they spill (`HeldRowStore.spill`): close to the order
/// they will be written in, so that reading the run back is sequential.
///
/// Only the reading's speed depends on it, never what is read (a row is read back from its own offset): rows are
/// ordered by their time in units of 2^20 ns (about a millisecond), and rows within one unit lie side by side in
/// the run, inside one read-ahead block. A spill moves every row in memory, some ten thousand, and the sink spills
/// 55 times on the full-size control-heavy capture; a comparison sort on (time, arrival) cost about 360
/// instructions a row, this least-significant-digit radix sort on 11-bit digits two or three linear passes.
enum SpillOrder {
    /// `slots` ordered by `times` (parallel arrays) to about a millisecond, stable within one.
    static func sorted(times: [Int64], slots: [Int]) -> [Int] {
        guard slots.count > 1, let earliest = times.min(), let latest = times.max() else { return slots }
        // The true span of two Int64 always fits in a UInt64.
        let units = UInt64(bitPattern: latest &- earliest) >> 20
        let keys = times.map { UInt64(bitPattern: $0 &- earliest) >> 20 }
        return radixSorted(keys: keys, values: slots, bits: UInt64.bitWidth - units.leadingZeroBitCount)
    }

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
