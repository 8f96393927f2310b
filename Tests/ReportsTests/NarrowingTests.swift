import FTPAnalysis
import NetworkTypes
import Reports
import Testing

/// The values behind `--status`, `--client`, `--server` (SPEC.md).
@Suite struct NarrowingTests {
    @Test func failedIsEveryStatusButCompletedAndUnused() throws {
        let statuses = try Narrowing.statuses("failed").get()
        #expect(statuses == Set(DataStatus.allCases).subtracting([.completed, .unused]))
        #expect(try Narrowing.statuses("completed,unused").get() == [.completed, .unused])
        #expect(try Narrowing.statuses("FAILED,unused").get().count == DataStatus.allCases.count - 1)
        #expect(throws: Narrowing.StatusError.self) { try Narrowing.statuses("fine").get() }
        #expect(throws: Narrowing.StatusError.self) { try Narrowing.statuses(",").get() }
        #expect(Narrowing(statuses: statuses).description == "--status failed")
    }

    @Test(arguments: [
        ("192.0.2.1", "192.0.2.1:21", true), ("192.0.2.1:21", "192.0.2.1:21", true), ("192.0.2.1:2121", "192.0.2.1:21", false),
        ("192.0.2.2", "192.0.2.1:21", false), ("2001:db8::1", "[2001:db8::1]:21", true),
        ("[2001:db8::1]:21", "[2001:db8::1]:21", true), ("[2001:db8::1]:20", "[2001:db8::1]:21", false),
    ])
    func endpointPatterns(_ pattern: String, _ endpoint: String, _ matches: Bool) throws {
        let parsed = try #require(EndpointPattern(pattern))
        let address = endpoint.hasPrefix("[") ? String(endpoint.dropFirst().prefix { $0 != "]" }) : String(endpoint.prefix { $0 != ":" })
        let port = UInt16(endpoint.split(separator: ":").last!)!
        #expect(parsed.matches(Endpoint(address: IPAddress(address)!, port: port)) == matches)
        #expect(parsed.description == pattern)
    }

    @Test(arguments: ["", "1.2.3", "192.0.2.1:", "192.0.2.1:70000", "[2001:db8::1", "2001:db8::1:21x", "host:21"])
    func badEndpointPatterns(_ text: String) {
        #expect(EndpointPattern(text) == nil)
    }
}
