@testable import FTPAnalysis
import NetworkTypes
import TCPReassembly
import TestSupport
import Testing

/// A transfer's data connections: the first inline, the array only from the second on; read alike either way.
@Suite struct DataConnectionsTests {
    static func record(port: UInt16, bytes: UInt64, at seconds: Int64) -> DataConnectionRecord {
        DataConnectionRecord(
            originator: Endpoint(address: .v4(192, 0, 2, 1), port: port),
            responder: Endpoint(address: .v4(198, 51, 100, 2), port: 50_000), state: .sf,
            history: "ShADadFf with a history too long for a small string", synAttempts: 1, originatorBytes: 0,
            responderBytes: bytes, originatorMissingBytes: 0, responderMissingBytes: 0,
            firstTime: Timestamp(seconds: seconds, nanoseconds: 0),
            lastTime: Timestamp(seconds: seconds + 1, nanoseconds: 0), endedWithoutClose: false,
            originatorReset: false, responderReset: false, match: .exact, originatorProgress: ProgressCounters(),
            responderProgress: ProgressCounters())
    }

    @Test func oneConnectionIsReadLikeAnArrayOfOne() {
        var connections = DataConnections()
        #expect(connections.isEmpty)
        #expect(DataConnections.observedIndex(of: &connections) == nil)
        connections.append(Self.record(port: 40_001, bytes: 1_000, at: 10))
        #expect(connections.count == 1)
        #expect(connections.hasOnly && connections.multiple.isEmpty)
        #expect(connections[0].originator.port == 40_001)
        #expect(connections.map(\.responderBytes) == [1_000])
        #expect(connections.withUnsafeBufferPointer { $0.map(\.originator.port) } == [40_001])
        #expect(DataConnections.observedIndex(of: &connections) == 0)
        connections[0].responderBytes = 2_000
        connections.withUnsafeMutableBufferPointer { $0[0].icmpReason = "port unreachable" }
        #expect(connections[0].responderBytes == 2_000)
        #expect(connections[0].icmpReason == "port unreachable")
    }

    @Test func aSecondConnectionMovesBothToTheArrayInOrder() {
        var connections = DataConnections()
        connections.append(Self.record(port: 40_001, bytes: 0, at: 10))
        connections.append(Self.record(port: 40_002, bytes: 5_000, at: 11))
        connections.append(Self.record(port: 40_003, bytes: 0, at: 12))
        #expect(!connections.hasOnly)
        #expect(connections.count == 3)
        #expect(connections.map(\.originator.port) == [40_001, 40_002, 40_003])
        #expect(connections.withUnsafeBufferPointer { $0.map(\.originator.port) } == [40_001, 40_002, 40_003])
        // The one that carried data is the observed one, wherever it is.
        #expect(DataConnections.observedIndex(of: &connections) == 1)
        #expect(DataConnections([Self.record(port: 1, bytes: 0, at: 1)]).hasOnly)
    }

    @Test func aTransferReadsItsConnectionsWhereTheyLie() {
        let transfer = Transfer.make()
        transfer.command = .retr
        transfer.connections.append(Self.record(port: 40_001, bytes: 7_000, at: 10))
        #expect(transfer.observedIndex == 0)
        #expect(transfer.connection(at: 0).pointee.responderBytes == 7_000)
        #expect(transfer.withConnections { $0.count } == 1)
        // The snapshot reads the same record, in the same place.
        let snapshot = SettledTransfer(transfer, index: 0)
        #expect(snapshot.connection(at: 0) == transfer.connection(at: 0))
        #expect(snapshot.start == Timestamp(seconds: 10, nanoseconds: 0))
        #expect(snapshot.observed?.port == 50_000)
        #expect(snapshot.synAttempts == 1)
        transfer.connections.append(Self.record(port: 40_002, bytes: 0, at: 11))
        #expect(transfer.connections.count == 2)
        #expect(transfer.observedIndex == 0)
        #expect(transfer.synAttempts == 2)
        // The snapshot taken before still says what the transfer was then.
        #expect(snapshot.connections.count == 1)
    }
}

@Suite(.enabled(if: Allocations.countingAvailable, "allocation counting needs glibc and no sanitizer"))
struct DataConnectionsAllocationTests {
    @Test func aTransfersOnlyConnectionAllocatesNothing() {
        let record = DataConnectionsTests.record(port: 40_001, bytes: 1_000, at: 10)
        // Once first, on another transfer: the first use in the process instantiates the runtime's type metadata
        // (7 allocations when this test happened to run before any other that stores a connection).
        Transfer.make().connections.append(record)
        let transfer = Transfer.make()
        // As an array, the one connection was a heap block of its own per transfer.
        let allocations = Allocations.count { transfer.connections.append(record) }
        #expect(allocations == 0)
        #expect(transfer.connections.count == 1)
    }
}
