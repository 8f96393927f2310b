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
        var heap = RowOrder()
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
                store.spill { visit in heap.updateInMemory(visit) }
            }
            while heap.count > 200 || (heap.count > 0 && Int.random(in: 0..<4, using: &generator) == 0) { takeOne() }
        }
        while heap.count > 0 { takeOne() }
        #expect(taken == 3_000)
        #expect(expected.isEmpty)
        #expect(store.memoryBytes == 0)
        #expect(store.failure == nil)
        // Every run is let go once its last row is taken: no temporary file outlives its rows.
        #expect(store.openRuns == 0)
        #expect(budget >= 1 << 24 ? store.spilledRows == 0 : store.spilledRows > 0)
    }

    /// The row order moves every row with its key when it sorts: a held row stays three words.
    @Test func anEncodedRowIsThreeWords() {
        #expect(MemoryLayout<EncodedRow>.size == 24)
        #expect(MemoryLayout<EncodedRow>.stride == 24)
    }
}

/// Without a temporary file (none can be made), rows stay in memory, nothing is lost and nothing is reported as
/// an output error; the store stops trying.
@Suite struct HeldRowStoreWithoutFileTests {
    @Test func rowsStayInMemoryWhenNoRunCanBeMade() {
        var attempts = 0
        let store = HeldRowStore(memoryBudget: 100) {
            attempts += 1
            return nil
        }
        var heap = RowOrder()
        var expected: [[UInt8]] = []
        for index in 0..<500 {
            let bytes = Array(repeating: UInt8(index % 251), count: 50 + index % 7)
            expected.append(bytes)
            let row = bytes.withUnsafeBytes { store.store($0, split: 0) }
            heap.push(row, at: Timestamp(nanoseconds: Int64(index)), sequence: UInt64(index))
            if store.overBudget {
                store.spill { visit in heap.updateInMemory(visit) }
            }
        }
        #expect(attempts == 1)
        #expect(store.spilledRows == 0)
        for bytes in expected {
            guard let (_, row) = heap.pop() else {
                Issue.record("a row is missing")
                return
            }
            store.take(row) { #expect(Array($0) == bytes) }
        }
        #expect(store.failure == nil)
        #expect(store.memoryBytes == 0)
    }
}

/// The row order gives rows back by (time, sequence) however pushes and takes interleave: bursts taken up to a
/// watermark, single rows forced out while newer ones are pending, equal times, times far behind.
@Suite struct RowOrderTests {
    @Test(arguments: [false, true])
    func takesRowsByTimeThenSequence(shuffledSequences: Bool) {
        var generator = SystemRandomNumberGenerator()
        let store = HeldRowStore(memoryBudget: 1 << 30)
        var order = RowOrder()
        var model: [(time: Int64, sequence: UInt64)] = []
        var sequences = Array(UInt64(0)..<4_000)
        if shuffledSequences { sequences.shuffle(using: &generator) }
        var next = 0
        func take() {
            guard let (time, row) = order.pop() else {
                #expect(model.isEmpty)
                return
            }
            let first = model.indices.min { (model[$0].time, model[$0].sequence) < (model[$1].time, model[$1].sequence) }!
            #expect(time.nanoseconds == model[first].time)
            store.take(row) { bytes in
                #expect(Array(bytes) == withUnsafeBytes(of: model[first].sequence.littleEndian) { Array($0) })
            }
            model.remove(at: first)
        }
        while next < sequences.count {
            // A burst of rows: mostly rising times, many equal, some far behind.
            for _ in 0..<Int.random(in: 1...300, using: &generator) where next < sequences.count {
                // Rising sequences (the radix sort's case) get times spread over billions of units: several passes.
                let scale: Int64 = shuffledSequences ? 1 : 1_000_003
                let time = Int64(next / 3) * scale - (Int.random(in: 0..<10, using: &generator) == 0 ? 5_000 * scale : 0)
                let sequence = sequences[next]
                next += 1
                let row = withUnsafeBytes(of: sequence.littleEndian) { store.store($0, split: 0) }
                order.push(row, at: Timestamp(nanoseconds: time), sequence: sequence)
                model.append((time, sequence))
                // Now and then one row forced out while others are pending.
                if Int.random(in: 0..<20, using: &generator) == 0 { take() }
            }
            #expect(order.count == model.count)
            // A watermark advance: every row up to some time.
            let watermark = (Int64(next / 3) - Int64.random(in: 0...400, using: &generator)) * (shuffledSequences ? 1 : 1_000_003)
            while let time = order.topTime, time.nanoseconds <= watermark { take() }
            #expect(model.allSatisfy { $0.time > watermark })
        }
        while order.count > 0 { take() }
        #expect(model.isEmpty)
        #expect(order.topTime == nil)
    }
}
