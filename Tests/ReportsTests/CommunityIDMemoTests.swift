import CommunityID
import NetworkTypes
import Testing

@testable import Reports

/// The thread's table of Community IDs against the hash it stands in for.
@Suite struct CommunityIDMemoTests {
    /// Flows of both address families, more of them than the table has slots (so slots are taken over), asked
    /// for again in another order and each direction: every text is the one `CommunityID.v1` makes.
    @Test func everyTextIsTheHashOfItsFlow() {
        var generator = SystemRandomNumberGenerator()
        var flows: [(Endpoint, Endpoint)] = []
        for index in 0..<20_000 {
            let first: IPAddress =
                index % 3 == 0
                ? .v6(0x2001_0db8_0000_0000 | UInt64(index), generator.next()) : .v4(0x0A00_0000 | UInt32(index))
            let second: IPAddress = .v4(UInt32(truncatingIfNeeded: generator.next() as UInt64))
            flows.append(
                (Endpoint(address: first, port: UInt16(truncatingIfNeeded: index)),
                    Endpoint(address: second, port: index % 2 == 0 ? 21 : UInt16.random(in: 1024...65535))))
        }
        let memo = CommunityIDMemo.current
        for (first, second) in flows { #expect(memo.text(first, second) == CommunityID.v1(first, second)) }
        for (first, second) in flows.reversed() {
            #expect(memo.text(first, second) == CommunityID.v1(first, second))
            #expect(memo.text(second, first) == CommunityID.v1(first, second))
        }
    }

    /// The same flow asked for twice in a row, once as text and once written into a buffer, gives the same bytes:
    /// the second answer is the table's copy.
    @Test func aRepeatedFlowIsCopiedWhole() {
        let client = Endpoint(address: .v4(0xC000_020A), port: 51_234)
        let server = Endpoint(address: .v4(0xC633_6401), port: 21)
        let memo = CommunityIDMemo.current
        let text = memo.text(client, server)
        var bytes = [UInt8](repeating: 0xFF, count: CommunityID.v1Length + 2)
        let length = bytes.withUnsafeMutableBufferPointer { memo.write(client, server, into: $0.baseAddress!) }
        #expect(length == CommunityID.v1Length)
        #expect(Array(bytes[..<length]) == Array(text.utf8))
        #expect(bytes[length...] == [0xFF, 0xFF])
        #expect(text == CommunityID.v1(client, server))
    }
}
