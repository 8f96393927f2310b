import TestSupport
import Testing

@testable import TCPReassembly

/// The window of recent stream bytes a retransmission is compared with, against a plain array of the whole
/// stream: appends of every size (past the capacity, across the ring's end) and skips that break contiguity.
@Suite struct RecentBytesTests {
    @Test func holdsTheLastBytesOfTheStream() {
        var generator = SplitMix64(seed: 0x8EC3)
        var recent = RecentBytes()
        var stream: [UInt8] = []  // everything appended since the last skip, at stream offsets from `base`
        var base: Int64 = 0
        var end: Int64 = 0
        for _ in 0..<3_000 {
            if generator.below(20) == 0 {  // bytes the window never sees: what it held is not contiguous any more
                end += Int64(1 + generator.below(100))
                base = end
                stream.removeAll()
            }
            let length = generator.below(5) == 0 ? generator.below(2 * RecentBytes.capacity) : generator.below(60)
            let chunk = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            end += Int64(length)
            chunk.withUnsafeBytes { recent.append($0, endingAt: end) }
            stream += chunk
            let held = min(stream.count, RecentBytes.capacity)
            #expect(recent.endOffset == end)
            #expect(recent.count == held)
            #expect(recent.bytes(from: end - Int64(held), length: held) == Array(stream.suffix(held)))
            #expect(base <= recent.startOffset)
        }
    }
}
