@testable import FTPAnalysis
import FTPProtocol
import NetworkTypes
import Testing

/// A transfer and its snapshots share one block of fields (`TransferStorage`), copied before either is written:
/// each still behaves as a value of its own.
@Suite struct TransferStorageTests {
    static let time = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)

    static func transfer() -> Transfer {
        let transfer = Transfer()
        transfer.command = .retr
        transfer.argument = "file.bin"
        transfer.reply = ReplyRecord(code: 226, text: "Transfer complete, and a text too long to be a small string", time: time)
        transfer.verdict.status = .completed
        return transfer
    }

    @Test func aSnapshotSharesTheFieldsUntilTheTransferIsWritten() {
        let transfer = Self.transfer()
        let snapshot = SettledTransfer(transfer, index: 0)
        #expect(transfer.storage === snapshot.storage.block)
        // Written after it was handed out (a connection closing late): the transfer copies the block first.
        transfer.argument = "other.bin"
        transfer.verdict.status = .reset
        transfer.reply?.code = 426
        #expect(transfer.storage !== snapshot.storage.block)
        #expect(snapshot.argument == "file.bin")
        #expect(snapshot.status == .completed)
        #expect(snapshot.reply?.code == 226)
        #expect(transfer.argument == "other.bin")
        #expect(transfer.status == .reset)
        #expect(transfer.reply?.code == 426)
        #expect(transfer.reply?.text == snapshot.reply?.text)
    }

    @Test func aTransferNotHandedOutIsWrittenInPlace() {
        let transfer = Self.transfer()
        // Its identity only: a reference held here would make the block shared.
        let block = ObjectIdentifier(transfer.storage)
        transfer.argument = "other.bin"
        transfer.connections.reserveCapacity(1)
        #expect(ObjectIdentifier(transfer.storage) == block)
        // Once its only snapshot is gone, the block is the transfer's alone again.
        do {
            let snapshot = SettledTransfer(transfer, index: 0)
            #expect(snapshot.argument == "other.bin")
        }
        transfer.argument = "third.bin"
        #expect(ObjectIdentifier(transfer.storage) == block)
    }

    @Test func snapshotsAtTwoIndicesKeepTheirOwn() {
        let transfer = Self.transfer()
        let first = SettledTransfer(transfer, index: 0)
        let second = SettledTransfer(transfer, index: 3)
        #expect(first.index == 0)
        #expect(second.index == 3)
        #expect(first.argument == second.argument)
    }

    @Test func writingASnapshotLeavesTheTransferAlone() {
        let transfer = Self.transfer()
        var snapshot = SettledTransfer(transfer, index: 0)
        snapshot.argument = "changed"
        snapshot.path = "/changed"
        #expect(transfer.argument == "file.bin")
        #expect(transfer.path == nil)
        #expect(snapshot.argument == "changed")
        #expect(snapshot.path == "/changed")
    }
}
