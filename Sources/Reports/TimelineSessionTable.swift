import FTPAnalysis

/// What the timeline remembers per session, found by the session's number rather than by hashing its id.
///
/// The timeline looks its session up for every row (the user known so far, the control connection's Community
/// ID). Keyed by the id `String`, each lookup hashed the id with SipHash: 340 instructions a row, an eighth of
/// building a row on the control-heavy benchmark. Ids are `S1`, `S2`, … (`FTPAnalyzer` numbers sessions), so the
/// number read from the id's few bytes keys an open-addressing table (linear probing, deletion by moving later
/// entries back, no tombstones). An id of any other form (a hand-built test input) goes to a dictionary beside
/// it, so every id is kept apart from every other.
struct TimelineSessionTable<Value> {
    // Slot keys: 0 is an empty slot (a session number is never 0; `S0` goes to `others`).
    private var keys: [UInt64]
    private var values: [Value?]
    private var mask: Int
    private(set) var count = 0
    private var others: [String: Value] = [:]

    init() {
        keys = Array(repeating: 0, count: 64)
        values = Array(repeating: nil, count: 64)
        mask = 63
    }

    /// The session number of an id `S<digits>` without a leading zero, or nil.
    static func number(of id: String) -> UInt64? { SessionIdentity.number(of: id) }

    /// The slot holding `key`, or the empty slot where it would go.
    private func slot(of key: UInt64) -> Int {
        // Fibonacci hashing spreads consecutive numbers over the table.
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
        while keys[slot] != 0 && keys[slot] != key { slot = (slot + 1) & mask }
        return slot
    }

    subscript(id: String) -> Value? {
        get {
            guard let key = Self.number(of: id) else { return others[id] }
            let slot = slot(of: key)
            return keys[slot] == key ? values[slot] : nil
        }
        set {
            guard let key = Self.number(of: id) else {
                others[id] = newValue
                return
            }
            guard let newValue else {
                remove(key)
                return
            }
            var slot = slot(of: key)
            if keys[slot] == 0 {
                if (count + 1) * 4 > (mask + 1) * 3 {
                    grow()
                    slot = self.slot(of: key)
                }
                keys[slot] = key
                count += 1
            }
            values[slot] = newValue
        }
    }

    /// What an id is looked up by: its number, or (an id of another form) the id itself. Worked out before the
    /// id is handed on, so a caller can move the id away and still look it up.
    enum Key {
        case number(UInt64)
        case other(String)
    }

    /// The key of `id`.
    static func key(of id: String) -> Key {
        if let number = number(of: id) { return .number(number) }
        return .other(id)
    }

    /// The key of an id whose number (`SessionIdentity.number`) is known already.
    @inline(__always)
    static func key(number: UInt64?, id: @autoclosure () -> String) -> Key {
        if let number { return .number(number) }
        return .other(id())
    }

    /// Changes the value of `id` in place, if it has one (no copy of the value out and back).
    mutating func update(_ id: String, _ change: (inout Value) -> Void) {
        update(Self.key(of: id), change)
    }

    /// Changes (or only reads) the value under `key` in place, if it has one (no copy of the value out and
    /// back). False when it has none.
    @discardableResult
    mutating func update(_ key: Key, _ change: (inout Value) -> Void) -> Bool {
        switch key {
        case .other(let id):
            guard others[id] != nil else { return false }
            change(&others[id]!)
            return true
        case .number(let key):
            let slot = slot(of: key)
            guard keys[slot] == key else { return false }
            change(&values[slot]!)
            return true
        }
    }

    /// The slot holding the value of session number `key`, or nil when it has none. For `subscript(slot:)`,
    /// which reads and changes the value in place without a closure: a closure reading it captured (retained)
    /// whatever else its caller used.
    @inline(__always)
    func slot(ofNumber key: UInt64) -> Int? {
        let slot = slot(of: key)
        return keys[slot] == key ? slot : nil
    }

    /// The value in a slot `slot(ofNumber:)` found, valid until the table next changes its keys.
    subscript(slot slot: Int) -> Value {
        @inline(__always) _read { yield values[slot].unsafelyUnwrapped }
        @inline(__always) _modify { yield &values[slot]! }
    }

    /// Removes `id` and returns its value.
    mutating func removeValue(forKey id: String) -> Value? {
        guard let key = Self.number(of: id) else { return others.removeValue(forKey: id) }
        return remove(key)
    }

    @discardableResult
    private mutating func remove(_ key: UInt64) -> Value? {
        var hole = slot(of: key)
        guard keys[hole] == key else { return nil }
        let removed = values[hole].take()
        keys[hole] = 0
        count -= 1
        // Backward-shift deletion: move back each later entry of the run that the hole now cuts off from its home.
        var next = (hole + 1) & mask
        while keys[next] != 0 {
            let home = Int(truncatingIfNeeded: (keys[next] &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
            // The entry may fill the hole when its home is not cyclically within (hole, next].
            if (next - home) & mask >= (next - hole) & mask {
                keys[hole] = keys[next]
                values[hole] = values[next].take()
                keys[next] = 0
                hole = next
            }
            next = (next + 1) & mask
        }
        return removed
    }

    private mutating func grow() {
        let oldKeys = keys
        var oldValues = values
        keys = Array(repeating: 0, count: oldKeys.count * 2)
        values = Array(repeating: nil, count: oldKeys.count * 2)
        mask = keys.count - 1
        for index in oldKeys.indices where oldKeys[index] != 0 {
            let slot = slot(of: oldKeys[index])
            keys[slot] = oldKeys[index]
            values[slot] = oldValues[index].take()
        }
    }
}
