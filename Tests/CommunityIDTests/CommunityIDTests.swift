import Foundation
import NetworkTypes
import TestSupport
import Testing

@testable import CommunityID

/// Community ID against the reference implementation (PyPI `communityid`, by the spec's authors), not our own
/// baseline: the hash is only useful if it equals what Zeek, Suricata and Arkime compute for the same flow.
@Suite struct CommunityIDTests {
    /// Flows that exercise the ordering rule (address decides; port breaks a tie), both families and the edges of
    /// the port range.
    static let flows: [(String, UInt16, String, UInt16)] = [
        ("128.232.110.120", 34855, "66.35.250.204", 80),
        ("66.35.250.204", 80, "128.232.110.120", 34855),
        ("192.0.2.1", 57956, "192.0.2.21", 21),
        ("192.0.2.21", 20, "10.0.0.2", 54445),
        ("198.51.100.7", 21, "198.51.100.7", 40000),
        ("198.51.100.7", 40000, "198.51.100.7", 21),
        ("10.0.0.1", 0, "10.0.0.1", 65535),
        ("2001:db8::1", 21, "2001:db8::21", 50123),
        ("2001:db8::21", 50123, "2001:db8::1", 21),
        ("fe80::1", 65535, "::1", 1),
    ]

    @Test func specExample() {
        // The example in the Community ID specification's README.
        let id = CommunityID.v1(endpoint("128.232.110.120", 34855), endpoint("66.35.250.204", 80))
        #expect(id == "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")
    }

    @Test func bothDirectionsGiveOneID() {
        for (a, ap, b, bp) in Self.flows {
            #expect(CommunityID.v1(endpoint(a, ap), endpoint(b, bp)) == CommunityID.v1(endpoint(b, bp), endpoint(a, ap)))
        }
    }

    @Test func matchesTheReferenceImplementation() throws {
        let script = """
            import sys, communityid
            c = communityid.CommunityID()
            for line in sys.stdin:
                a, ap, b, bp = line.split()
                print(c.calc(communityid.FlowTuple.make_tcp(a, b, int(ap), int(bp))))
            """
        let input = Self.flows.map { "\($0.0) \($0.1) \($0.2) \($0.3)" }.joined(separator: "\n") + "\n"
        let expected = try PythonOracle.run(script, module: "communityid", input: input)
            .split(separator: "\n").map(String.init)
        let ours = Self.flows.map { CommunityID.v1(endpoint($0.0, $0.1), endpoint($0.2, $0.3)) }
        #expect(ours == expected)
    }

    /// ICMP request and reply types with their counterparts (the spec's table, after Zeek): for these the spec
    /// hashes the type and the counterpart's type in place of the two ports and orders the endpoints as for TCP.
    /// Types without a counterpart are one-way flows, left unordered by the spec; ftpscope never hashes those.
    static let icmpCounterparts: [UInt8: [UInt16: UInt16]] = [
        1: [8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17],
        58: [128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133, 135: 136, 136: 135, 139: 140, 140: 139,
             144: 145, 145: 144],
    ]

    @Test func matchesTheReferenceImplementationOnRandomFlows() throws {
        // Random TCP, UDP and ICMP flows over IPv4 and IPv6 with random seeds; some with equal addresses and some
        // sharing a prefix, so that each step of the ordering rule decides some of them. The reference reads the
        // addresses as network-order hex, so our own address formatting is not part of what is compared.
        var generator = SplitMix64(seed: 0xC0_4417_1D)
        var lines: [String] = []
        var ours: [String] = []
        for _ in 0 ..< 1500 {
            let v6 = generator.below(2) == 0
            let size = v6 ? 16 : 4
            let a = (0 ..< size).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            var b = (0 ..< size).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            switch generator.below(8) {
            case 0: b = a
            case 1: b.replaceSubrange(0 ..< size / 2 + 1, with: a[0 ..< size / 2 + 1])
            default: break
            }
            let seed = generator.below(4) == 0 ? UInt16.random(in: .min ... .max, using: &generator) : 0
            var ap = UInt16.random(in: .min ... .max, using: &generator)
            var bp = generator.below(8) == 0 ? ap : UInt16.random(in: .min ... .max, using: &generator)
            let protocolNumber: UInt8
            let hashedPorts: (UInt16, UInt16)
            switch generator.below(3) {
            case 0: protocolNumber = 6
            case 1: protocolNumber = 17
            default: protocolNumber = v6 ? 58 : 1
            }
            if let counterparts = Self.icmpCounterparts[protocolNumber] {
                // The reference takes the message type and code; we hash the type and its counterpart.
                // Sorted: a dictionary's order changes from run to run, and the flows must repeat from the seed.
                ap = counterparts.keys.sorted()[generator.below(counterparts.count)]
                bp = UInt16(generator.below(256))
                hashedPorts = (ap, counterparts[ap]!)
            } else {
                hashedPorts = (ap, bp)
            }
            lines.append("\(seed) \(protocolNumber) \(hex(a)) \(ap) \(hex(b)) \(bp)")
            ours.append(
                CommunityID.v1(
                    Endpoint(address: IPAddress(networkBytes: a)!, port: hashedPorts.0),
                    Endpoint(address: IPAddress(networkBytes: b)!, port: hashedPorts.1),
                    protocolNumber: protocolNumber, seed: seed))
        }
        let script = """
            import sys, ipaddress, communityid
            T = communityid.FlowTuple
            make = {6: T.make_tcp, 17: T.make_udp, 1: T.make_icmp, 58: T.make_icmp6}
            for line in sys.stdin:
                seed, proto, a, ap, b, bp = line.split()
                a = str(ipaddress.ip_address(bytes.fromhex(a)))
                b = str(ipaddress.ip_address(bytes.fromhex(b)))
                flow = make[int(proto)](a, b, int(ap), int(bp))
                print(communityid.CommunityID(seed=int(seed)).calc(flow))
            """
        let expected = try PythonOracle.run(script, module: "communityid", input: lines.joined(separator: "\n") + "\n")
            .split(separator: "\n").map(String.init)
        #expect(expected.count == lines.count)
        for (index, line) in lines.enumerated() where index < expected.count {
            #expect(ours[index] == expected[index], "flow \(line)")
        }
    }

    @Test func writtenBytesAreTheTextAndNothingPastIt() {
        // The outputs write IDs into their buffers (`writeV1`): exactly `v1Length` bytes, the text `v1` returns.
        for (a, ap, b, bp) in Self.flows {
            var buffer = [UInt8](repeating: 0xEE, count: CommunityID.v1Length + 8)
            let length = buffer.withUnsafeMutableBufferPointer {
                CommunityID.writeV1(endpoint(a, ap), endpoint(b, bp), into: $0.baseAddress!)
            }
            #expect(length == CommunityID.v1Length)
            #expect(String(decoding: buffer[..<length], as: UTF8.self) == CommunityID.v1(endpoint(a, ap), endpoint(b, bp)))
            #expect(buffer[length...].allSatisfy { $0 == 0xEE })
        }
    }

    @Test func base64MatchesRFC4648() {
        // RFC 4648 section 10 test vectors.
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(CommunityID.base64(Array(plain.utf8)) == encoded)
        }
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    private func endpoint(_ address: String, _ port: UInt16) -> Endpoint {
        Endpoint(address: IPAddress(address)!, port: port)
    }
}
