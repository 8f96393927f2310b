import NetworkTypes

/// The held timeline rows in the order they are written: by time, equal times in the order they settled
/// (`sequence`).
///
/// Rows are pushed one by one and taken in bursts (each watermark advance takes every row before it), so they are
/// kept as a sorted run plus the rows pushed since it was sorted, in push order. The pending rows are sorted all at
/// once, when a taker needs one of them (a radix sort on the time for a burst), and
/// merged into the run. A binary heap, sifting every row in and out through some fourteen levels (13 194 rows held
/// at once on `c01.pcap`), cost about 650 instructions a row; this costs about a tenth of that.
///
/// Each row moves with its key (a plain 24-byte `EncodedRow`, no reference). They sat still in a slot pool and
/// only their keys moved, but taking a row then read its slot at random (13 194 rows held at once on `c01.pcap`,
/// half a megabyte of slots), and the pool's free list cost a push some 60 instructions more. Moving the rows
/// costs the sort as many instructions as the pool saved, but its reads and writes go in order: on the
/// control-heavy benchmark (perf, three runs each) this type's share of the output thread fell from 5-7.5 % to
/// about 3 %, and the timeline sink's own from 2.5-4 % to 1-1.5 %. Rows are pushed onto the end of one array
/// and taken from the front of another.
struct RowOrder {
    private struct Key {
        var time: Timestamp
        var sequence: UInt64
        var row: EncodedRow

        var position: Position { Position(time: time, sequence: sequence) }

        func precedes(_ other: Key) -> Bool { position.precedes(other.position) }
    }

    /// Where a key goes, without its row (`pendingFirst`).
    private struct Position {
        var time: Timestamp
        var sequence: UInt64

        func precedes(_ other: Position) -> Bool {
            time < other.time || (time == other.time && sequence < other.sequence)
        }
    }

    /// Sorted, from `head` on (the keys before it are taken).
    private var run: [Key] = []
    private var head = 0
    /// Pushed since the run was last sorted, in push order; `pendingFirst` is the one that comes first.
    private var pending: [Key] = []
    private var pendingFirst: Position?
    /// True while the pending keys' sequences rise in push order (a stable sort by time then orders them fully).
    private var pendingRising = true
    /// Reused between settles: the radix sort's other buffer and digit counts, and the merge's output. Made anew
    /// at each settle they were fresh memory each time (mimalloc gives freed pages back at once,
    /// `FTPScopeCommand.main`), and faulting their pages in was half the output thread's page faults on the
    /// control-heavy benchmark (13.6 k of 29.6 k).
    private var spare: [Key] = []
    private var counts = [Int](repeating: 0, count: 1 << RowOrder.digitBits)
    private static let digitBits = 11

    var count: Int { run.count - head + pending.count }

    /// The earliest row's time.
    var topTime: Timestamp? {
        mutating get {
            settleIfNeeded()
            return head < run.count ? run[head].time : nil
        }
    }

    mutating func push(_ row: EncodedRow, at time: Timestamp, sequence: UInt64) {
        if let last = pending.last, sequence <= last.sequence { pendingRising = false }
        pending.append(Key(time: time, sequence: sequence, row: row))
        let position = Position(time: time, sequence: sequence)
        if let first = pendingFirst {
            if position.precedes(first) { pendingFirst = position }
        } else {
            pendingFirst = position
        }
    }

    /// Lets `body` change each held row still in memory, in the order `pop` will give them (the same rows in the
    /// same order when called again with nothing pushed or taken between).
    mutating func updateInMemory(_ body: (inout EncodedRow) -> Void) {
        settle()
        for index in head..<run.count where run[index].row.inMemory { body(&run[index].row) }
    }

    mutating func pop() -> (time: Timestamp, row: EncodedRow)? {
        settleIfNeeded()
        guard head < run.count else { return nil }
        let top = run[head]
        head += 1
        if count == 0 {
            // Give memory back after a burst (a long session that held many rows has ended).
            if run.capacity > 4096 {
                run = []
                spare = []
            } else {
                run.removeAll(keepingCapacity: true)
            }
            head = 0
        }
        return (top.time, top.row)
    }

    /// Sorts the pending keys into the run when one of them may come before the run's first: a row forced out
    /// while newer ones are pending takes the run's first without sorting them.
    private mutating func settleIfNeeded() {
        guard let first = pendingFirst else { return }
        if head < run.count && run[head].position.precedes(first) { return }
        settle()
    }

    private mutating func settle() {
        guard !pending.isEmpty else { return }
        sortPending()
        if head == run.count {
            swap(&run, &pending)
            head = 0
        } else if run[run.count - 1].precedes(pending[0]) {
            // Everything pending comes after the run (rows settling in time order): no merge.
            if head > run.count / 2 {
                run.removeSubrange(0..<head)
                head = 0
            }
            run.append(contentsOf: pending)
        } else {
            // Merged into the spare buffer, which then becomes the run (and the old run the spare).
            spare.removeAll(keepingCapacity: true)
            spare.reserveCapacity(run.count - head + pending.count)
            var left = head
            var right = 0
            while left < run.count && right < pending.count {
                let next = pending[right]
                // The run's keys that come before `next` go first, found by galloping and copied at once: a few
                // early rows (findings, transfers settling late) fall among thousands of held ones, and moving
                // those one at a time was most of a merge (81 960 keys for 3 473 pending ones on c01).
                if !next.precedes(run[left]) {
                    let end = firstRunKey(after: left, precededBy: next)
                    spare.append(contentsOf: run[left..<end])
                    left = end
                }
                spare.append(next)
                right += 1
            }
            spare.append(contentsOf: run[left...])
            spare.append(contentsOf: pending[right...])
            swap(&run, &spare)
            head = 0
        }
        pending.removeAll(keepingCapacity: true)
        pendingFirst = nil
        pendingRising = true
    }

    /// The first index after `start` (whose key `key` does not precede) of a run key that `key` precedes, or the
    /// run's end: an exponential search, then a binary one (the run is sorted, so the keys `key` precedes are a
    /// suffix).
    private func firstRunKey(after start: Int, precededBy key: Key) -> Int {
        // `run[low]` is not preceded by `key`; `run[high]` is, or `high` is the end.
        var low = start
        var step = 1
        var high = start + 1
        while high < run.count && !key.precedes(run[high]) {
            low = high
            step *= 2
            high = start + step
        }
        high = min(high, run.count)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if key.precedes(run[middle]) { high = middle } else { low = middle }
        }
        return high
    }

    private mutating func sortPending() {
        guard pending.count > 1 else { return }
        guard pending.count >= 64, pendingRising else {
            pending.sort { $0.precedes($1) }
            return
        }
        // A least-significant-digit radix sort on the time, 11 bits a pass, moving the keys themselves: stable, so
        // equal times keep push order, which is sequence order. (Sorting indices and gathering the keys after
        // cost twice as much.)
        var earliest = pending[0].time.nanoseconds
        var latest = earliest
        for key in pending {
            earliest = min(earliest, key.time.nanoseconds)
            latest = max(latest, key.time.nanoseconds)
        }
        // The true span of two Int64 always fits in a UInt64.
        let bits = UInt64.bitWidth - UInt64(bitPattern: latest &- earliest).leadingZeroBitCount
        let digitBits = RowOrder.digitBits
        let mask = UInt64(1 << digitBits - 1)
        // The other buffer of each pass: the spare, as long as the pending keys (every slot is written by the pass).
        spare.removeAll(keepingCapacity: true)
        spare.append(contentsOf: pending)
        var shift = 0
        repeat {
            counts.withUnsafeMutableBufferPointer { counts in
                pending.withUnsafeBufferPointer { keys in
                    spare.withUnsafeMutableBufferPointer { sorted in
                        for index in counts.indices { counts[index] = 0 }
                        for key in keys {
                            counts[Int((UInt64(bitPattern: key.time.nanoseconds &- earliest) >> UInt64(shift)) & mask)] += 1
                        }
                        var total = 0
                        for index in counts.indices {
                            let here = counts[index]
                            counts[index] = total
                            total += here
                        }
                        for key in keys {
                            let digit = Int((UInt64(bitPattern: key.time.nanoseconds &- earliest) >> UInt64(shift)) & mask)
                            sorted[counts[digit]] = key
                            counts[digit] += 1
                        }
                    }
                }
            }
            swap(&pending, &spare)
            shift += digitBits
        } while shift < bits
    }
}
