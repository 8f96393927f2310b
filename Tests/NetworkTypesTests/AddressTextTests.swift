import Glibc
import NetworkTypes
import TestSupport
import Testing

/// The address reader against the C library's `inet_pton` (an implementation from outside the project) on random
/// text built from the pieces addresses are made of.
@Suite struct AddressTextTests {
    /// What `inet_pton` makes of `text`: an IPv6 address, an IPv4 address, or nothing.
    private static func reference(_ text: String) -> IPAddress? {
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { IPAddress(networkBytes: $0) }
        }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { IPAddress(networkBytes: $0) }
        }
        return nil
    }

    @Test func agreesWithInetPtonOnRandomText() {
        var generator = SplitMix64(seed: 0xADD7)
        // No leading zeros in decimal pieces: inet_pton refuses them where this reader (like most FTP servers'
        // own parsers) accepts `010` as 10; that difference is covered by the fixed cases in NetworkTypesTests.
        let pieces = ["1", "0", "255", "256", "192", "ffff", "FFFF", "db8", "12345", "g", "", ":", "::", ".", "1.2.3.4"]
        var compared = 0
        var parsed = 0
        for _ in 0..<20_000 {
            var text = ""
            for _ in 0..<(1 + generator.below(9)) {
                text += pieces[generator.below(pieces.count)]
                if generator.below(3) > 0 { text += generator.below(2) == 0 ? ":" : "." }
            }
            let ours = IPAddress(text)
            #expect(ours == Self.reference(text), "\(text.debugDescription)")
            compared += 1
            if ours != nil { parsed += 1 }
        }
        #expect(compared == 20_000)
        #expect(parsed > 200, "the generator must produce valid addresses too, not only garbage")
    }

    @Test func writtenAddressesReadBack() {
        var generator = SplitMix64(seed: 0x6)
        for _ in 0..<5_000 {
            // Zero groups are likely, so `::` runs of every length and place are written and read.
            let groups = (0..<8).map { _ in generator.below(3) == 0 ? 0 : UInt64(generator.next() & 0xFFFF) }
            let high = groups[0..<4].reduce(0) { $0 << 16 | $1 }
            let low = groups[4..<8].reduce(0) { $0 << 16 | $1 }
            let v6 = IPAddress.v6(high, low)
            #expect(IPAddress(v6.description) == v6, "\(v6.description)")
            let v4 = IPAddress.v4(UInt32(truncatingIfNeeded: generator.next()))
            #expect(IPAddress(v4.description) == v4, "\(v4.description)")
        }
    }
}

/// The endpoint text cache gives what `Endpoint.description` gives, whatever was in the slot before: a small set
/// of endpoints (hits) mixed with a stream of new ones (misses and evictions), IPv4 and IPv6.
@Suite struct EndpointTextCacheTests {
    @Test func cachedTextIsTheDescription() {
        var generator = SplitMix64(seed: 0xCAC4E)
        let cache = EndpointTextCache()
        func randomEndpoint() -> Endpoint {
            let address: IPAddress =
                generator.below(2) == 0
                ? .v4(UInt32(truncatingIfNeeded: generator.next()))
                : .v6(generator.below(3) == 0 ? 0 : generator.next(), generator.below(3) == 0 ? 0 : generator.next())
            return Endpoint(address: address, port: UInt16(truncatingIfNeeded: generator.next()))
        }
        let familiar = (0..<40).map { _ in randomEndpoint() }
        var bytes: [UInt8] = []
        for _ in 0..<50_000 {
            let endpoint = generator.below(3) == 0 ? randomEndpoint() : familiar[generator.below(familiar.count)]
            bytes.removeAll(keepingCapacity: true)
            cache.append(endpoint, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == endpoint.description)
        }
    }
}

/// The writer that keeps the last hour's text writes what `iso8601` gives, for times in the same second, the
/// next ones, across an hour and a day, going back, and before 1970.
@Suite struct ISO8601WriterTests {
    @Test func writesTheSameTextAsTheTimestamp() {
        var generator = SplitMix64(seed: 0x8601)
        var writer = ISO8601Writer()
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: Timestamp.iso8601MaximumLength)
        defer { out.deallocate() }
        var nanoseconds: Int64 = 1_733_356_799_000_000_000  // a second before midnight
        for _ in 0..<20_000 {
            switch generator.below(4) {
            case 0: nanoseconds &+= Int64(generator.below(1_000_000))  // same second, mostly
            case 1: nanoseconds &+= Int64(generator.below(3_000_000_000))  // the next seconds
            case 2: nanoseconds &-= Int64(generator.below(2_000_000_000))  // back in time
            default: nanoseconds = Int64(bitPattern: generator.next())  // anywhere
            }
            let time = Timestamp(nanoseconds: nanoseconds)
            let length = writer.write(time, into: out)
            #expect(String(decoding: UnsafeBufferPointer(start: out, count: length), as: UTF8.self) == time.iso8601)
        }
    }

    /// Each step crosses at most a few minutes, so the kept hour serves most times and runs out at each hour's
    /// end, forwards and back, on both sides of 1970 (where the hour's first second is rounded down).
    @Test(arguments: [Int64(1_733_353_200_000_000_000) - 600_000_000_000, -7_200_000_000_000])
    func crossesHoursForwardsAndBack(from start: Int64) {
        var generator = SplitMix64(seed: UInt64(bitPattern: start))
        var writer = ISO8601Writer()
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: Timestamp.iso8601MaximumLength)
        defer { out.deallocate() }
        var nanoseconds = start
        for step in 0..<20_000 {
            // Forwards for the first half, back for the second: about 90 hours each way.
            let delta = Int64(generator.below(32_000_000_000))
            nanoseconds = step < 10_000 ? nanoseconds &+ delta : nanoseconds &- delta
            let time = Timestamp(nanoseconds: nanoseconds)
            let length = writer.write(time, into: out)
            #expect(length == 27)
            #expect(String(decoding: UnsafeBufferPointer(start: out, count: length), as: UTF8.self) == time.iso8601)
        }
    }

    @Test func writesTheHourItKeepsAfterTheFirst() {
        var writer = ISO8601Writer()
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: Timestamp.iso8601MaximumLength)
        defer { out.deallocate() }
        let texts = [
            Timestamp(seconds: 1_733_353_200, nanoseconds: 5_000),
            Timestamp(seconds: 1_733_356_799, nanoseconds: 999_999_999),
            Timestamp(seconds: 1_733_356_800, nanoseconds: 0), Timestamp(seconds: -1, nanoseconds: 1_000),
            Timestamp(seconds: -3_600, nanoseconds: 0), Timestamp(seconds: -3_601, nanoseconds: 0),
        ].map { time -> String in
            String(decoding: UnsafeBufferPointer(start: out, count: writer.write(time, into: out)), as: UTF8.self)
        }
        #expect(texts == [
            "2024-12-04T23:00:00.000005Z", "2024-12-04T23:59:59.999999Z", "2024-12-05T00:00:00.000000Z",
            "1969-12-31T23:59:59.000001Z", "1969-12-31T23:00:00.000000Z", "1969-12-31T22:59:59.000000Z",
        ])
    }
}
