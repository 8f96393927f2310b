import NetworkTypes
import Testing

@testable import Reports

/// Held rows keep their bytes whether they stay in memory or go to runs in temporary files, with rows arriving
/// out of time order, taken in time order as the timeline sink takes them.
@Suite struct HeldRowStoreTests {
    @Test(arguments: [0, 300, 20_000, 1 << 24])
    func rowsComeBackAsStored(budget: Int) {
        var generator = SystemRandomNumberGenerator()
        let store = HeldRowStore(memoryBudget: budget)
        var heap = RowHeap()
        var expected: [UInt64: [UInt8]] = [:]
        var sequence: UInt64 = 0
        var taken = 0
        func takeOne() {
            guard let (time, row) = heap.pop() else { return }
            let key = UInt64(time.nanoseconds)
            store.take(row) { #expect(Array($0) == expected[key], "row at \(key)") }
            expected[key] = nil
            taken += 1
        }
        for round in 0..<3_000 {
            // Mostly row-sized, now and then bigger than a read-ahead block (a huge reply text).
            let count = round % 700 == 0 ? 100_000 : Int.random(in: 1..<400, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Times mostly rising, some far behind (rows that settle late), each unique to find its bytes.
            let time = 1_000 + round * 1_000 + (Bool.random(using: &generator) ? 0 : 500) - (round % 11 == 0 ? 900 : 0)
            let row = bytes.withUnsafeBytes { store.store($0, split: count / 2) }
            let key = UInt64(time * 1_000 + round % 1_000)
            expected[key] = bytes
            heap.push(row, at: Timestamp(nanoseconds: Int64(key)), sequence: sequence)
            sequence += 1
            if store.overBudget {
                let order = heap.slotsInOrder()
                store.spill { visit in heap.update(order, visit) }
            }
            while heap.count > 200 || (heap.count > 0 && Int.random(in: 0..<4, using: &generator) == 0) { takeOne() }
        }
        while heap.count > 0 { takeOne() }
        #expect(taken == 3_000)
        #expect(expected.isEmpty)
        #expect(store.memoryBytes == 0)
        #expect(store.failure == nil)
        #expect(budget >= 1 << 24 ? store.spilledRows == 0 : store.spilledRows > 0)
    }
}
