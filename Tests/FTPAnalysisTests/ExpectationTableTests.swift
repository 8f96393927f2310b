@testable import FTPAnalysis
import NetworkTypes
import Testing

/// The table of announced endpoints on its own: each port's list newest first, each session's list, slots reused,
/// and the references it keeps (the table owns the session and transfer of what it holds).
@Suite struct ExpectationTableTests {
    static let start = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)

    static func session(_ serial: UInt64) -> FTPSession {
        FTPSession(
            client: Endpoint(address: .v4(192, 0, 2, UInt8(serial)), port: 40_000),
            server: Endpoint(address: .v4(198, 51, 100, 21), port: 21), start: start, serial: serial)
    }

    /// The transfers announced on `port`, newest first.
    static func onPort(_ table: ExpectationTable, _ port: UInt16) -> [ObjectIdentifier] {
        var found: [ObjectIdentifier] = []
        var slot = table.first(onPort: port)
        while slot >= 0 {
            found.append(ObjectIdentifier(table.expectation(slot).transfer))
            slot = table.next(slot)
        }
        return found
    }

    @Test func anEndedSessionsExpectationsGoAndTheOthersKeepTheirOrder() {
        var table = ExpectationTable()
        let first = Self.session(1)
        let second = Self.session(2)
        var transfers: [(Transfer, FTPSession, UInt16)] = []
        // Interleaved on two shared ports, as two sessions of one server reusing its passive range are.
        for (index, (session, port)) in [(first, 50_000), (second, 50_000), (first, 50_001), (second, 50_001),
            (first, 50_000)].enumerated() {
            let transfer = Transfer.make()
            transfers.append((transfer, session, UInt16(port)))
            table.add(
                Expectation(
                    session: session, transfer: transfer, endpoint: Endpoint(address: .v4(198, 51, 100, 21), port: UInt16(port)),
                    time: Self.start.adding(nanoseconds: Int64(index))))
        }
        #expect(table.count == 5)
        #expect(Self.onPort(table, 50_000) == [transfers[4].0, transfers[1].0, transfers[0].0].map(ObjectIdentifier.init))
        table.removeAll(of: first)
        #expect(table.count == 2)
        #expect(first.newestExpectationSlot == -1)
        #expect(Self.onPort(table, 50_000) == [ObjectIdentifier(transfers[1].0)])
        #expect(Self.onPort(table, 50_001) == [ObjectIdentifier(transfers[3].0)])
        // Freed slots are reused, and the lists stay newest first.
        let late = Transfer.make()
        table.add(Expectation(session: first, transfer: late, endpoint: Endpoint(address: .v4(198, 51, 100, 21), port: 50_001), time: Self.start))
        #expect(Self.onPort(table, 50_001) == [late, transfers[3].0].map(ObjectIdentifier.init))
        table.removeAll(onPort: 50_001) { $0.announces(transfers[3].0) }
        #expect(Self.onPort(table, 50_001) == [ObjectIdentifier(late)])
        table.removeAll(of: second)
        table.removeAll(of: first)
        #expect(table.count == 0)
        #expect(Self.onPort(table, 50_000).isEmpty && Self.onPort(table, 50_001).isEmpty)
    }

    @Test func theTableKeepsWhatItHoldsAliveUntilItRemovesIt() {
        var table = ExpectationTable()
        weak var weakSession: FTPSession?
        weak var weakTransfer: Transfer?
        do {
            let session = Self.session(1)
            let transfer = Transfer.make()
            weakSession = session
            weakTransfer = transfer
            table.add(
                Expectation(session: session, transfer: transfer, endpoint: Endpoint(address: .v4(198, 51, 100, 21), port: 50_000), time: Self.start))
        }
        #expect(weakSession != nil && weakTransfer != nil)
        table.removeAll { _ in true }
        #expect(weakSession == nil && weakTransfer == nil)
        #expect(table.count == 0)
    }
}
