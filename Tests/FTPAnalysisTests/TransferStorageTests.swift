@testable import FTPAnalysis
import FTPProtocol
import NetworkTypes
import Testing

/// A transfer and its snapshots share its fields (in the transfer itself, or in a `TransferStorage` block once
/// copied), copied before either is written: each still behaves as a value of its own.
@Suite struct TransferStorageTests {
    static let time = Timestamp(seconds: 1_714_557_600, nanoseconds: 0)

    static func transfer() -> Transfer {
        let transfer = Transfer.make()
        transfer.command = .retr
        transfer.argument = "file.bin"
        transfer.reply = ReplyRecord(code: 226, text: "Transfer complete, and a text too long to be a small string", time: time)
        transfer.verdict.status = .completed
        return transfer
    }

    @Test func aSnapshotSharesTheFieldsUntilTheTransferIsWritten() {
        let transfer = Self.transfer()
        let snapshot = SettledTransfer(transfer, index: 0)
        #expect(transfer.fields == snapshot.storage.fields)
        // Written after it was handed out (a connection closing late): the transfer copies the block first.
        transfer.argument = "other.bin"
        transfer.verdict.status = .reset
        transfer.reply?.code = 426
        #expect(transfer.fields != snapshot.storage.fields)
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
        let inline = transfer.fields
        transfer.argument = "other.bin"
        transfer.restOffset = 10
        #expect(transfer.fields == inline)
        #expect(transfer.state.pointee.copy == nil)
    }

    @Test func fieldsHandedOutAreCopiedOnceThenWrittenInPlaceWhenNoSnapshotHoldsThem() {
        let transfer = Self.transfer()
        let inline = transfer.fields
        // The inline fields handed out: the next write moves the fields to a block of their own, snapshot gone
        // or not (the transfer cannot tell its snapshots' references from the session's).
        do {
            let snapshot = SettledTransfer(transfer, index: 0)
            #expect(snapshot.argument == "file.bin")
        }
        transfer.argument = "other.bin"
        let block = transfer.fields
        #expect(block != inline)
        // That block handed out, and its snapshot gone: the block is the transfer's alone, written in place.
        do {
            let snapshot = SettledTransfer(transfer, index: 0)
            #expect(snapshot.argument == "other.bin")
        }
        transfer.argument = "third.bin"
        #expect(transfer.fields == block)
        #expect(transfer.argument == "third.bin")
    }

    @Test func aSnapshotOutlivesItsTransfer() {
        var snapshot: SettledTransfer?
        do {
            let transfer = Self.transfer()
            snapshot = SettledTransfer(transfer, index: 2)
        }
        #expect(snapshot?.argument == "file.bin")
        #expect(snapshot?.reply?.code == 226)
        #expect(snapshot?.index == 2)
        #expect(snapshot?.status == .completed)
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
