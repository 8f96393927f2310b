/// Session ids as keys an index entry can hold (no string), and the set of sessions the user's narrowing kept:
/// the JSON document decides on each finding at its end, when its session's fate is known.
///
/// An `S<n>` id (as the analyzer numbers them) is its number, kept as one bit of a bit set: the set costs a bit
/// per session of the capture, not a hashed string. Another id (none occurs today) gets a negative key of its own.
struct SessionKeys {
    /// The key of no session.
    static let none = Int64.min
    /// Numbers past this are keyed as other ids, so a strange id can't make the bit set huge.
    private static let largestNumber: Int64 = 1 << 31

    private var keptNumbers: [UInt64] = []
    private var otherKeys: [String: Int64] = [:]
    private var keptOthers: Set<Int64> = []

    /// The key of `id` (`none` for no session).
    mutating func key(_ id: String?) -> Int64 {
        guard let id else { return Self.none }
        if id.first == "S", let number = Int64(id.dropFirst()), number >= 0, number <= Self.largestNumber,
            "S\(number)" == id
        {
            return number
        }
        if let key = otherKeys[id] { return key }
        let key = -Int64(otherKeys.count) - 1
        otherKeys[id] = key
        return key
    }

    /// Notes that session `id` is kept.
    mutating func insert(_ id: String) {
        let key = key(id)
        guard key >= 0 else {
            keptOthers.insert(key)
            return
        }
        let word = Int(key >> 6)
        if word >= keptNumbers.count { keptNumbers.append(contentsOf: repeatElement(0, count: word + 1 - keptNumbers.count)) }
        keptNumbers[word] |= 1 << UInt64(key & 63)
    }

    /// True when the session of `key` is kept.
    func contains(_ key: Int64) -> Bool {
        guard key != Self.none else { return false }
        guard key >= 0 else { return keptOthers.contains(key) }
        let word = Int(key >> 6)
        return word < keptNumbers.count && keptNumbers[word] & (1 << UInt64(key & 63)) != 0
    }
}
