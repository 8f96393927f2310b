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
///
/// Each slot is also in its session's chain (its head in `FTPSession.newestExpectationSlot`), and both chains are
/// linked both ways: an ended session's expectations are removed one slot at a time, without walking its transfers
/// and each port's list (which was most of the correlator's time on a control-heavy capture).
///
/// The table owns the session and transfer of each expectation it holds: retained when filed, released when
/// removed (`Expectation` holds them unmanaged, so reading and copying one costs no reference counting).
struct ExpectationTable {
    /// One expectation and its neighbours: in its port's list (or the free list) and in its session's.
    struct Slot {
        var expectation: Expectation
        /// The next older slot of the port's list, or of the free list; -1 ends a list.
        var next: Int32
        /// The next newer slot of the port's list; -1 at its head.
        var previous: Int32
        /// The next older slot of the session's list; -1 ends it.
        var sessionNext: Int32
        /// The next newer slot of the session's list; -1 at its head.
        var sessionPrevious: Int32
    }

    /// The newest slot of each port's list, or -1.
    private var heads = [Int32](repeating: -1, count: 1 << 16)
    private var slots: [Slot] = []
    /// Slots whose expectation was removed (its session and transfer released), for reuse.
    private var freeList: Int32 = -1
    /// The expectations in the table.
    private(set) var count = 0

    /// Files `expectation` under its port, as the newest of the port's list and of its session's; the table keeps
    /// its session and transfer alive until it is removed.
    mutating func add(_ expectation: Expectation) {
        let port = Int(expectation.endpoint.port)
        _ = expectation.sessionReference.retain()
        _ = expectation.transferReference.retain()
        let slot: Int32
        let sessionNext = expectation.sessionReference._withUnsafeGuaranteedRef { $0.newestExpectationSlot }
        let filed = Slot(
            expectation: expectation, next: heads[port], previous: -1, sessionNext: sessionNext, sessionPrevious: -1)
        if freeList >= 0 {
            slot = freeList
            freeList = slots[Int(slot)].next
            slots[Int(slot)] = filed
        } else {
            slot = Int32(slots.count)
            slots.append(filed)
        }
        if filed.next >= 0 { slots[Int(filed.next)].previous = slot }
        if filed.sessionNext >= 0 { slots[Int(filed.sessionNext)].sessionPrevious = slot }
        heads[port] = slot
        expectation.sessionReference._withUnsafeGuaranteedRef { $0.newestExpectationSlot = slot }
        count += 1
    }

    /// The newest slot on `port`, or -1 when none.
    func first(onPort port: UInt16) -> Int32 { heads[Int(port)] }

    /// The slot after `slot` in its port's list (the next older), or -1.
    func next(_ slot: Int32) -> Int32 { slots[Int(slot)].next }

    /// The expectation in `slot` (a slot of a port's list): a plain copy, valid while the slot holds it.
    func expectation(_ slot: Int32) -> Expectation { slots[Int(slot)].expectation }

    /// Marks the expectation in `slot` used, in place.
    mutating func markUsed(_ slot: Int32) { slots[Int(slot)].expectation.used = true }

    /// Removes the expectation in `slot` (a slot of a port's list) from both its lists, releases its session and
    /// transfer, and frees the slot.
    mutating func remove(_ slot: Int32) {
        let removed = slots[Int(slot)]
        let port = Int(removed.expectation.endpoint.port)
        if removed.previous >= 0 { slots[Int(removed.previous)].next = removed.next } else { heads[port] = removed.next }
        if removed.next >= 0 { slots[Int(removed.next)].previous = removed.previous }
        let session = removed.expectation.sessionReference
        if removed.sessionPrevious >= 0 {
            slots[Int(removed.sessionPrevious)].sessionNext = removed.sessionNext
        } else {
            session._withUnsafeGuaranteedRef { $0.newestExpectationSlot = removed.sessionNext }
        }
        if removed.sessionNext >= 0 { slots[Int(removed.sessionNext)].sessionPrevious = removed.sessionPrevious }
        slots[Int(slot)].next = freeList
        freeList = slot
        count -= 1
        // Last: this may be the last reference to either.
        removed.expectation.transferReference.release()
        session.release()
    }

    /// Removes the expectations on `port` that `remove` selects; the others keep their order.
    mutating func removeAll(onPort port: UInt16, where remove: (Expectation) -> Bool) {
        var slot = heads[Int(port)]
        while slot >= 0 {
            let next = slots[Int(slot)].next
            if remove(slots[Int(slot)].expectation) { self.remove(slot) }
            slot = next
        }
    }

    /// Removes every expectation of `session`.
    mutating func removeAll(of session: FTPSession) {
        while session.newestExpectationSlot >= 0 { remove(session.newestExpectationSlot) }
    }

    /// Removes the expectations that `remove` selects, on every port; the others keep their order.
    mutating func removeAll(where remove: (Expectation) -> Bool) {
        guard count > 0 else { return }
        for port in heads.indices where heads[port] >= 0 { removeAll(onPort: UInt16(port), where: remove) }
    }
}
