import TestSupport
import Testing

@testable import TCPReassembly

/// The window of recent stream bytes a retransmission is compared with, against a plain array of each side's whole
/// stream: appends of every size (past the window, across the shared log's end), skips that break contiguity, and
/// several sides writing into one log, whose records must never be read for another side's.
@Suite struct RecentBytesTests {
    /// One side's window and the truth it is checked against.
    private struct Side {
        var recent = RecentBytes()
        var stream: [UInt8] = []  // everything appended since the last skip
        var base: Int64 = 0
        var end: Int64 = 0
    }

    /// Appends random chunks to `sides` in random order; after each, the side's held bytes must be a suffix of its
    /// true window, and the whole window when `fullWindow` (a log large enough never to lose it). Returns how often
    /// a side held less than its window.
        private func run(sides count: Int, logCapacity: Int, fullWindow: Bool, seed: UInt64) -> Int {
        var shortened = 0
        var generator = SplitMix64(seed: seed)
        var log = DeliveryLog(capacity: logCapacity)
        var sides = [Side](repeating: Side(), count: count)
        for _ in 0..<4_000 {
            let which = generator.below(count)
            if generator.below(20) == 0 {  // bytes the window never sees: what it held is not contiguous any more
                sides[which].end += Int64(1 + generator.below(100))
                sides[which].base = sides[which].end
                sides[which].stream.removeAll()
            }
            let length = generator.below(5) == 0 ? generator.below(2 * RecentBytes.capacity) : generator.below(60)
            let chunk = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            sides[which].end += Int64(length)
            let end = sides[which].end
            chunk.withUnsafeBytes { sides[which].recent.append($0, endingAt: end, in: &log) }
            sides[which].stream += chunk

            let side = sides[which]
            let window = min(side.stream.count, RecentBytes.capacity)
            #expect(side.recent.endOffset == end)
            #expect(side.recent.count == window)
            let start = side.recent.startOffset(in: &log)
            let held = Int(end - start)
            #expect(held <= window)
            if fullWindow { #expect(held == window) }
            if held < window { shortened += 1 }
            #expect(side.base <= start)
            #expect(side.recent.bytes(from: start, length: held, in: &log) == Array(side.stream.suffix(held)))
        }
        return shortened
    }

    @Test func holdsTheLastBytesOfTheStream() {
        _ = run(sides: 1, logCapacity: DeliveryLog.defaultCapacity, fullWindow: true, seed: 0x8EC3)
    }

    @Test func sidesSharingTheLogKeepTheirOwnBytes() {
        _ = run(sides: 7, logCapacity: DeliveryLog.defaultCapacity, fullWindow: true, seed: 0x51DE)
    }

    /// A log only a few windows long: older records are written over, and a side then holds less (never bytes
    /// that are not its own).
    @Test func aSmallLogLosesOldBytesButNeverMixesThem() {
        let shortened = run(sides: 5, logCapacity: 4 * 1024, fullWindow: false, seed: 0x10C5)
        #expect(shortened > 100)
    }

    @Test func retransmissionsAreComparedWithTheBytesDelivered() {
        var log = DeliveryLog()
        var recent = RecentBytes()
        let first = Array("RETR a.txt\r\n".utf8)
        first.withUnsafeBytes { recent.append($0, endingAt: Int64(first.count), in: &log) }
        let same = first
        let other = Array("RETR b.txt\r\n".utf8)
        let sameDifference = same.withUnsafeBytes { recent.firstDifference($0, at: 0, in: &log) }
        let otherDifference = other.withUnsafeBytes { recent.firstDifference($0, at: 0, in: &log) }
        #expect(sameDifference == nil)
        #expect(otherDifference == 5)
    }
}
