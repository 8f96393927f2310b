import NetworkTypes
import PacketDecoding
import Testing

@testable import TCPReassembly

/// The reassembler's open-addressing flow table on its own: growth from the smallest size, lookups in both
/// directions, and removal by backward shift keeping every other flow reachable.
@Suite struct FlowTableTests {
    /// Flows that stress the hash: many connections between the same two hosts differing only in ports (a data-heavy
    /// capture's shape), IPv6, and IPv4 addresses that equal IPv6 ones numerically (`0.0.0.5` and `::5`).
    static func connections() -> [TCPConnection] {
        var result: [TCPConnection] = []
        let server4 = IPAddress.v4(198, 51, 100, 20)
        let client4 = IPAddress.v4(192, 0, 2, 10)
        for port in 0..<3000 {
            result.append(connection(Endpoint(address: client4, port: UInt16(40000 + port)), Endpoint(address: server4, port: 20)))
            result.append(connection(Endpoint(address: client4, port: 21), Endpoint(address: server4, port: UInt16(50000 + port))))
        }
        for host in 0..<1500 {
            let v6 = IPAddress.v6(0x2001_0db8_0000_0000, UInt64(host))
            result.append(connection(Endpoint(address: v6, port: 1234), Endpoint(address: .v6(0x2001_0db8_0001_0000, 0x20), port: 21)))
            result.append(connection(Endpoint(address: .v4(UInt32(host)), port: 1234), Endpoint(address: .v4(0x20), port: 21)))
            result.append(connection(Endpoint(address: .v6(0, UInt64(host)), port: 1234), Endpoint(address: .v6(0, 0x20), port: 21)))
        }
        return result
    }

    static func connection(_ originator: Endpoint, _ responder: Endpoint) -> TCPConnection {
        TCPConnection.make(originator: originator, responder: responder, sawInitialSYN: true, firstTime: .zero, serial: 0)
    }

    /// The connection the table finds for `connection`'s flow from the given side, and whether it said forward.
    func lookup(_ table: FlowTable, _ connection: TCPConnection, fromOriginator: Bool) -> (TCPConnection?, Bool) {
        let a = PackedEndpoint(connection.originator)
        let b = PackedEndpoint(connection.responder)
        var forward = !fromOriginator
        // The hash is the same either way round: a segment's own (source, destination) finds the slot.
        #expect(FlowHash.of(a, b) == FlowHash.of(b, a))
        let index =
            fromOriginator
            ? table.find(FlowHash.of(a, b), a, b, forward: &forward) : table.find(FlowHash.of(b, a), b, a, forward: &forward)
        return (index < 0 ? nil : table.connection(at: index).takeUnretainedValue(), forward)
    }

    func expectHeld(_ table: FlowTable, _ connection: TCPConnection) {
        let (there, forward) = lookup(table, connection, fromOriginator: true)
        #expect(there === connection)
        #expect(forward)
        let (back, backward) = lookup(table, connection, fromOriginator: false)
        #expect(back === connection)
        #expect(!backward)
    }

    @Test func growsFindsAndRemoves() {
        let all = Self.connections()
        let table = FlowTable(capacity: 1)
        for connection in all { table.insert(connection) }
        #expect(table.count == all.count)
        #expect(table.capacity >= all.count * 2)
        for connection in all { expectHeld(table, connection) }

        // Remove every third: the rest must stay reachable after the probe chains shift back.
        for (index, connection) in all.enumerated() where index % 3 == 0 { table.remove(connection) }
        #expect(table.count == all.count - (all.count + 2) / 3)
        for (index, connection) in all.enumerated() {
            if index % 3 == 0 {
                #expect(lookup(table, connection, fromOriginator: true).0 == nil)
                #expect(lookup(table, connection, fromOriginator: false).0 == nil)
            } else {
                expectHeld(table, connection)
            }
        }

        // Removing a connection the table does not hold (another one of the same flow) changes nothing.
        let twin = Self.connection(all[1].originator, all[1].responder)
        table.remove(twin)
        expectHeld(table, all[1])

        for (index, connection) in all.enumerated() where index % 3 == 0 { table.insert(connection) }
        var seen = Set<ObjectIdentifier>()
        table.forEach { seen.insert(ObjectIdentifier($0)) }
        #expect(seen == Set(all.map(ObjectIdentifier.init)))
        for connection in all { expectHeld(table, connection) }
        table.removeAll()
        #expect(table.count == 0)
        #expect(lookup(table, all[0], fromOriginator: true).0 == nil)
    }

    @Test func theTableKeepsItsConnectionsAlive() {
        weak var weakConnection: TCPConnection?
        let table = FlowTable(capacity: 4)
        do {
            let connection = Self.connection(
                Endpoint(address: .v4(192, 0, 2, 1), port: 1000), Endpoint(address: .v4(192, 0, 2, 2), port: 21))
            weakConnection = connection
            table.insert(connection)
        }
        #expect(weakConnection != nil)
        if let held = weakConnection { table.remove(held) }
        #expect(weakConnection == nil)
    }
}

extension FlowTable {
    /// Adds a connection with its flow's hash made here (the reassembler passes the segment's).
    func insert(_ connection: TCPConnection) {
        insert(connection, hash: FlowHash.of(connection.packedOriginator, connection.packedResponder))
    }
}
