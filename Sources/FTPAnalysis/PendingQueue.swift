import FTPProtocol
import NetworkTypes

/// The commands awaiting their final reply, oldest first (`SessionMachine.pending`).
///
/// The oldest is kept inline, in the session machine itself, and only the others in an array: nearly always a
/// single command awaits its reply, so a command's queuing and its reply's answering no longer touch a buffer of
/// their own. As an array, each of them paid a uniqueness check on the array's header, on the control-heavy
/// capture a cache miss more per control line (hundreds of sessions interleave, so the header had gone cold).
struct PendingQueue: RandomAccessCollection, MutableCollection {
    /// The oldest, when `count > 0`.
    private var oldest = PendingCommand(index: 0, verb: .user, time: Timestamp(nanoseconds: 0))
    /// The second oldest onwards: touched only when more than one command awaits its reply (pipelining).
    private var others: [PendingCommand] = []
    /// Stored, not derived from `others`, so that asking it does not touch the array either.
    private(set) var count = 0

    init() {}

    var startIndex: Int { 0 }
    var endIndex: Int { count }
    var isEmpty: Bool { count == 0 }

    subscript(position: Int) -> PendingCommand {
        get {
            precondition(position >= 0 && position < count, "pending command out of range")
            return position == 0 ? oldest : others[position - 1]
        }
        set {
            precondition(position >= 0 && position < count, "pending command out of range")
            if position == 0 { oldest = newValue } else { others[position - 1] = newValue }
        }
    }

    mutating func append(_ command: PendingCommand) {
        if count == 0 { oldest = command } else { others.append(command) }
        count += 1
    }

    /// Removes and returns the command at `position` (the later ones move up).
    @discardableResult
    mutating func remove(at position: Int) -> PendingCommand {
        precondition(position >= 0 && position < count, "pending command out of range")
        count -= 1
        if position > 0 { return others.remove(at: position - 1) }
        let removed = oldest
        if count > 0 { oldest = others.remove(at: 0) }
        return removed
    }

    /// Removes and returns the newest command.
    mutating func removeLast() -> PendingCommand {
        precondition(count > 0, "no pending command")
        count -= 1
        return count == 0 ? oldest : others.removeLast()
    }

    /// Removes the `k` oldest commands.
    mutating func removeFirst(_ k: Int) {
        precondition(k >= 0 && k <= count, "pending command out of range")
        guard k > 0 else { return }
        if k == count {
            others.removeAll(keepingCapacity: true)
            count = 0
            return
        }
        oldest = others[k - 1]
        others.removeSubrange(..<k)
        count -= k
    }
}
