import Testing

@testable import Reports

/// Held rows keep their bytes whether they stay in memory or wait in the temporary file, taken in any order,
/// and the file starts over once nothing in it is held.
@Suite struct HeldRowStoreTests {
    @Test(arguments: [0, 300, 1 << 20])
    func rowsComeBackAsStored(budget: Int) {
        var generator = SystemRandomNumberGenerator()
        let store = HeldRowStore(memoryBudget: budget)
        var held: [(row: EncodedRow, bytes: [UInt8])] = []
        for round in 0..<3_000 {
            // Mostly row-sized, now and then bigger than the file's block (a huge reply text).
            let count = round % 500 == 0 ? 100_000 : Int.random(in: 1..<400, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let split = Int.random(in: 0...count, using: &generator)
            let row = bytes.withUnsafeBytes { store.store($0, split: split) }
            #expect(row.count == count && row.split == split)
            held.append((row, bytes))
            // Take some back, mostly the oldest (the watermark), sometimes any.
            while held.count > 50 || (!held.isEmpty && Bool.random(using: &generator)) {
                let index = Bool.random(using: &generator) ? 0 : Int.random(in: 0..<held.count, using: &generator)
                let (row, expected) = held.remove(at: index)
                store.take(row) { #expect(Array($0) == expected) }
            }
        }
        for (row, expected) in held { store.take(row) { #expect(Array($0) == expected) } }
        #expect(store.memoryBytes == 0)
        #expect(store.failure == nil)
        #expect(budget >= 1 << 20 ? store.spilledRows == 0 : store.spilledRows > 0)
    }
}
