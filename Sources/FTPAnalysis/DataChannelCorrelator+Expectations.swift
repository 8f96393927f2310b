import NetworkTypes

/// Announced endpoints waiting for their connection, filed by port alone, newest first (`DataChannelCorrelator`).
///
/// Every match is to the announced port (exact, or port-only behind NAT), so one table serves both lookups; the
/// few announcements that share a port (a server reusing its passive range) are told apart by their endpoint in
/// the port's list. Each port's list is a chain of slots in one array, its head found by the port itself (65 536
/// heads of 4 bytes: 256 KiB per analyzer, however many announcements; no hashing), and a removed expectation's
/// slot is reused by the next. A list of its own per port (an array each) allocated at the first announcement of
/// every port: a server's passive range spreads its announcements over thousands of ports, so that was an
/// allocation for most announcements, made and freed on the analysis thread.
struct ExpectationTable {
    /// One expectation and the next slot of its port's list (older), or of the free list; -1 ends a list.
    struct Slot {
        var expectation: Expectation?
        var next: Int32
    }

    /// The newest slot of each port's list, or -1.
    private var heads = [Int32](repeating: -1, count: 1 << 16)
    private var slots: [Slot] = []
    /// Slots whose expectation was removed (nil, so the session and transfer it held are released), for reuse.
    private var freeList: Int32 = -1
    /// The expectations in the table.
    private(set) var count = 0

    /// Files `expectation` under its port, as the newest of the port's list.
    mutating func add(_ expectation: consuming Expectation) {
        let port = Int(expectation.endpoint.port)
        let slot: Int32
        if freeList >= 0 {
            slot = freeList
            freeList = slots[Int(slot)].next
            slots[Int(slot)] = Slot(expectation: expectation, next: heads[port])
        } else {
            slot = Int32(slots.count)
            slots.append(Slot(expectation: expectation, next: heads[port]))
        }
        heads[port] = slot
        count += 1
    }

    /// The newest slot on `port`, or -1 when none.
    func first(onPort port: UInt16) -> Int32 { heads[Int(port)] }

    /// The slot after `slot` in its port's list (the next older), or -1.
    func next(_ slot: Int32) -> Int32 { slots[Int(slot)].next }

    /// The expectation in `slot` (a slot of a port's list), read in place by `body`.
    func read<Result>(_ slot: Int32, _ body: (borrowing Expectation) -> Result) -> Result {
        body(slots[Int(slot)].expectation!)
    }

    /// A copy of the expectation in `slot`.
    func expectation(_ slot: Int32) -> Expectation { slots[Int(slot)].expectation! }

    /// Marks the expectation in `slot` used, in place.
    mutating func markUsed(_ slot: Int32) { slots[Int(slot)].expectation!.used = true }

    /// Removes the expectations on `port` that `remove` selects; the others keep their order.
    mutating func removeAll(onPort port: UInt16, where remove: (borrowing Expectation) -> Bool) {
        var previous: Int32 = -1
        var slot = heads[Int(port)]
        while slot >= 0 {
            let next = slots[Int(slot)].next
            if remove(slots[Int(slot)].expectation!) {
                if previous < 0 { heads[Int(port)] = next } else { slots[Int(previous)].next = next }
                slots[Int(slot)] = Slot(expectation: nil, next: freeList)
                freeList = slot
                count -= 1
            } else {
                previous = slot
            }
            slot = next
        }
    }

    /// Removes the expectations on every port that `remove` selects.
    mutating func removeAll(where remove: (borrowing Expectation) -> Bool) {
        guard count > 0 else { return }
        for port in heads.indices where heads[port] >= 0 { removeAll(onPort: UInt16(port), where: remove) }
    }
}
