@testable import FTPAnalysis
import FTPProtocol
import NetworkTypes
import Testing

/// The queue of commands awaiting replies (oldest inline, the others in an array) against an array doing the same.
struct PendingQueueTests {
    static func command(_ index: Int) -> PendingCommand {
        PendingCommand(index: index, verb: .retr, time: Timestamp(nanoseconds: Int64(index)))
    }

    @Test func behavesLikeAnArray() {
        var queue = PendingQueue()
        var model: [PendingCommand] = []
        var next = 0
        // A fixed pseudo-random walk of every mutation, from empty to a few deep and back.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<5_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let pick = Int(state >> 59)
            switch pick % 6 {
            case 0, 1:
                if model.count < 6 {
                    queue.append(Self.command(next))
                    model.append(Self.command(next))
                    next += 1
                }
            case 2:
                if !model.isEmpty {
                    let position = pick % model.count
                    #expect(queue.remove(at: position) == model.remove(at: position))
                }
            case 3:
                if !model.isEmpty { #expect(queue.removeLast() == model.removeLast()) }
            case 4:
                let k = model.isEmpty ? 0 : pick % (model.count + 1)
                queue.removeFirst(k)
                model.removeFirst(k)
            default:
                if !model.isEmpty {
                    let position = pick % model.count
                    queue[position].gotPreliminary.toggle()
                    model[position].gotPreliminary.toggle()
                }
            }
            #expect(queue.count == model.count)
            #expect(queue.isEmpty == model.isEmpty)
            #expect(Array(queue) == model)
        }
    }

    @Test func slicesKeepTheQueuesPositions() {
        var queue = PendingQueue()
        for index in 0..<4 { queue.append(Self.command(index)) }
        #expect(queue.dropFirst().firstIndex { $0.index == 2 } == 2)
        #expect(queue[..<2].map(\.index) == [0, 1])
        queue.removeFirst(2)
        #expect(queue.map(\.index) == [2, 3])
    }
}
