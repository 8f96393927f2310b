import NetworkTypes
import TestSupport
import Testing

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("2001:db8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // RFC 5952 4.2.3: the first of equal runs
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group is not compressed
        ("::", "::"),
        ("::1", "::1"),
        ("fe80::", "fe80::"),
        ("2001:DB8::A", "2001:db8::a"),
        ("::ffff:192.0.2.1", "::ffff:c000:201"),
        ("2001:470:1f11:81f:c999:d94:aa7c:2e3e", "2001:470:1f11:81f:c999:d94:aa7c:2e3e"),
    ])
    func ipv6TextIsCanonical(_ input: String, _ expected: String) throws {
        let address = try #require(IPAddress(input))
        #expect(address.description == expected)
        #expect(IPAddress(address.description) == address)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "01234.1.1.1", ":::", "1::2::3", "12345::", "g::1",
        "1:2:3:4:5:6:7:8:9", "::ffff:300.1.1.1", " 1.2.3.4"])
    func invalidTextIsRejected(_ input: String) {
        #expect(IPAddress(input) == nil)
    }

    @Test func ipv4RoundTrip() {
        #expect(IPAddress("192.0.2.10") == .v4(192, 0, 2, 10))
        #expect(IPAddress.v4(192, 0, 2, 10).description == "192.0.2.10")
        #expect(IPAddress(networkBytes: [10, 0, 0, 1]) == .v4(10, 0, 0, 1))
        #expect(IPAddress(networkBytes: [1, 2, 3]) == nil)
    }

    @Test(arguments: [
        ("10.0.0.2", true), ("172.16.5.4", true), ("172.32.0.1", false), ("192.168.1.1", true), ("100.64.0.1", true),
        ("100.128.0.1", false), ("127.0.0.1", true), ("169.254.1.1", true), ("192.0.2.1", false), ("8.8.8.8", false),
        ("fd00::1", true), ("fe80::1", true), ("::1", true), ("2001:db8::1", false), ("::ffff:10.1.2.3", true),
    ])
    func privateRanges(_ text: String, _ expected: Bool) throws {
        #expect(try #require(IPAddress(text)).isPrivate == expected)
    }

    @Test func unspecified() {
        #expect(IPAddress("0.0.0.0")?.isUnspecified == true)
        #expect(IPAddress("::")?.isUnspecified == true)
        #expect(IPAddress("0.0.0.1")?.isUnspecified == false)
    }
}

@Suite struct EndpointAndFlowTests {
    @Test func endpointText() {
        #expect(Endpoint(address: .v4(192, 0, 2, 10), port: 51234).description == "192.0.2.10:51234")
        // Every digit count of octets and ports, written by hand rather than interpolated.
        #expect(Endpoint(address: .v4(0, 9, 10, 255), port: 0).description == "0.9.10.255:0")
        #expect(Endpoint(address: .v4(100, 99, 1, 200), port: 65535).description == "100.99.1.200:65535")
        #expect(Endpoint(address: .v4(255, 255, 255, 255), port: 7).description == "255.255.255.255:7")
        for port: UInt16 in [1, 9, 10, 99, 100, 999, 1000, 9999, 10000] {
            #expect(Endpoint(address: .v4(10, 0, 0, 1), port: port).description == "10.0.0.1:\(port)")
        }
        #expect(Endpoint(address: IPAddress("2001:db8::1")!, port: 21).description == "[2001:db8::1]:21")
    }

    @Test func canonicalFlowIsTheSameBothWays() {
        let a = Endpoint(address: .v4(192, 0, 2, 10), port: 51234)
        let b = Endpoint(address: .v4(198, 51, 100, 1), port: 21)
        let flow = FlowKey(source: a, destination: b)
        #expect(flow.canonical == flow.reversed.canonical)
        #expect(flow.reversed.reversed == flow)
    }
}

@Suite struct SeqNumberTests {
    @Test func serialArithmeticAcrossWrap() {
        let near = SeqNumber(0xFFFF_FFF0)
        let after = near.advanced(by: 0x20)
        #expect(after.rawValue == 0x10)
        #expect(near.distance(to: after) == 0x20)
        #expect(after.distance(to: near) == -0x20)
        #expect(near.precedes(after))
        #expect(!after.precedes(near))
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000000Z"),
        (Int64(1_329_843_162_083_353_000), "2012-02-21T16:52:42.083353Z"),
        (Int64(951_782_400_000_000_000), "2000-02-29T00:00:00.000000Z"),
        (Int64(4_102_444_799_999_999_999), "2099-12-31T23:59:59.999999Z"),
        (Int64(-1_000), "1969-12-31T23:59:59.999999Z"),
        (Int64.max, "2262-04-11T23:47:16.854775Z"),
        (Int64.min, "1677-09-21T00:12:43.145224Z"),
    ])
    func iso8601(_ nanoseconds: Int64, _ expected: String) {
        #expect(Timestamp(nanoseconds: nanoseconds).iso8601 == expected)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil: the forward direction,
    /// not the inverse the writer uses).
    private static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    @Test func iso8601ReadsBackOnRandomTimes() {
        var generator = SplitMix64(seed: 0x150)
        for _ in 0..<20_000 {
            let nanoseconds = Int64(bitPattern: generator.next())
            let text = Timestamp(nanoseconds: nanoseconds).iso8601
            let bytes = Array(text.utf8)
            #expect(bytes.count == 27 && text.hasSuffix("Z"), "\(text)")
            func number(_ range: Range<Int>) -> Int64 { Int64(String(decoding: bytes[range], as: UTF8.self))! }
            let days = Self.days(year: number(0..<4), month: number(5..<7), day: number(8..<10))
            let seconds = days * 86_400 + number(11..<13) * 3600 + number(14..<16) * 60 + number(17..<19)
            // The text is the time rounded down to the microsecond.
            let micros = nanoseconds / 1000 - (nanoseconds % 1000 < 0 ? 1 : 0)
            #expect(seconds * 1_000_000 + number(20..<26) == micros, "\(nanoseconds) -> \(text)")
        }
    }

    @Test func arithmetic() {
        let start = Timestamp(seconds: 10, nanoseconds: 500_000_000)
        let end = start.adding(nanoseconds: 1_500_000_000)
        #expect(start.milliseconds(to: end) == 1500)
        #expect(start < end)
    }
}

@Suite struct LinkTypeTests {
    @Test(arguments: [(Int32(0), "NULL"), (1, "EN10MB"), (12, "RAW"), (101, "RAW"), (108, "LOOP"), (113, "LINUX_SLL"),
        (228, "IPV4"), (229, "IPV6"), (276, "LINUX_SLL2"), (147, "DLT 147")])
    func names(_ dlt: Int32, _ name: String) {
        #expect(LinkType(dlt: dlt).description == name)
        #expect(LinkType(dlt: dlt).isSupported == (name != "DLT 147"))
    }
}
