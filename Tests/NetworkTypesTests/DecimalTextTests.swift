import NetworkTypes
import TestSupport
import Testing

/// `writeDecimal` (counted by comparisons, written two digits at a time) against the standard library's text.
@Suite struct DecimalTextTests {
    private static func written(_ value: UInt64, minimumDigits: Int = 1) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            let count = writeDecimal(value, minimumDigits: minimumDigits, into: buffer.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<count]), as: UTF8.self)
        }
    }

    @Test func agreesWithDescriptionAtEveryLength() {
        var values: [UInt64] = [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65_535, UInt64.max, UInt64.max - 1]
        var power: UInt64 = 1
        for _ in 0..<19 {
            power *= 10
            values += [power - 1, power, power + 1]
        }
        var generator = SplitMix64(seed: 0xDEC1)
        for _ in 0..<20_000 { values.append(generator.next() >> UInt64(generator.below(64))) }
        for value in values { #expect(Self.written(value) == String(value), "\(value)") }
    }

    @Test func padsWithZerosToTheMinimum() {
        #expect(Self.written(7, minimumDigits: 2) == "07")
        #expect(Self.written(7, minimumDigits: 6) == "000007")
        #expect(Self.written(123_456, minimumDigits: 6) == "123456")
        #expect(Self.written(1234, minimumDigits: 2) == "1234")
        #expect(Self.written(0, minimumDigits: 3) == "000")
        #expect(Self.written(12, minimumDigits: 9) == "000000012")
    }
}
