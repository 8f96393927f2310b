import Testing

@testable import Reports

/// The timeline's per-session table agrees with a dictionary under any mix of inserts, updates and removals,
/// for session ids and for ids of any other form.
@Suite struct TimelineSessionTableTests {
    @Test func agreesWithADictionary() {
        var generator = SystemRandomNumberGenerator()
        var table = TimelineSessionTable<Int>()
        var model: [String: Int] = [:]
        // Mostly `S<n>` over a range that makes the table grow and wrap; some ids that are not session numbers.
        let odd = ["", "S", "S0", "S01", "s5", "X7", "S12a", "S99999999999999999999", "Ś1"]
        func anyID() -> String {
            Int.random(in: 0..<10, using: &generator) == 0
                ? odd.randomElement(using: &generator)! : "S\(Int.random(in: 1...3_000, using: &generator))"
        }
        for step in 0..<40_000 {
            let id = anyID()
            switch Int.random(in: 0..<4, using: &generator) {
            case 0, 1:
                table[id] = step
                model[id] = step
            case 2:
                #expect(table.removeValue(forKey: id) == model.removeValue(forKey: id))
            default:
                table.update(id) { $0 += 1 }
                if model[id] != nil { model[id]! += 1 }
            }
            #expect(table[id] == model[id])
        }
        for number in 1...3_000 { #expect(table["S\(number)"] == model["S\(number)"]) }
        for id in odd { #expect(table[id] == model[id]) }
    }

    @Test(arguments: [("S1", 1), ("S42", 42), ("S18446744073709551", 18_446_744_073_709_551)])
    func readsSessionNumbers(id: String, number: UInt64) {
        #expect(TimelineSessionTable<Int>.number(of: id) == number)
    }

    @Test(arguments: ["", "S", "S0", "S07", "T1", "S1x", "S-1"])
    func otherIdsHaveNoNumber(id: String) {
        #expect(TimelineSessionTable<Int>.number(of: id) == nil)
    }
}
