import NetworkTypes
import PacketDecoding

/// Closing connections, idle expiry and eviction, and the idle lists they are kept on.
extension TCPReassembler {
    // MARK: - Closing and expiry

    /// Delivers what is held (with the holes before it as gaps), then reports the connection closed.
    func close(_ connection: TCPConnection, withoutClose: Bool, at time: Timestamp) {
        guard !connection.isClosed else { return }
        delegate.connectionClosing(connection)
        if connection.appliedHandling != .ignore {
            flush(connection, .originator, at: time)
            flush(connection, .responder, at: time)
        }
        dropPending(connection.orig)
        dropPending(connection.resp)
        connection.endedWithoutClose = withoutClose
        connection.isClosed = true
        activeConnectionCount -= 1
        counters.connectionsClosed &+= 1
        delegate.connectionClosed(connection)
    }

    func flush(_ connection: TCPConnection, _ direction: Direction, at time: Timestamp) {
        let side = connection.side(direction)
        guard side.started else { return }
        var target = side.pending.last?.end ?? side.nextOffset
        // Bytes before a captured FIN were sent even if we never saw them.
        if let fin = side.finOffset, fin > target { target = fin }
        if target > side.nextOffset { skip(connection, direction, side, to: target, at: time) }
    }

    /// Expire connections idle longer than their timeout as of `now` (calls `connectionClosed` with
    /// `endedWithoutClose`). Cost is proportional to what expires, so the caller may call it often.
    public func expireIdle(now: Timestamp) {
        expire(list: .closed, timeout: limits.closedLinger, now: now)
        expire(list: .short, timeout: limits.shortIdleTimeout, now: now)
        expire(list: .long, timeout: limits.idleTimeout, now: now)
    }

    func head(of list: IdleList) -> TCPConnection? {
        switch list {
        case .long: return longHead?.takeUnretainedValue()
        case .short: return shortHead?.takeUnretainedValue()
        case .closed: return closedHead?.takeUnretainedValue()
        case .none: return nil
        }
    }

    func expire(list: IdleList, timeout: Int64, now: Timestamp) {
        while let head = head(of: list), head.queuedTime.nanoseconds(to: now) > timeout {
            if head.lastTime.nanoseconds(to: now) <= timeout {
                // Active since it was queued (see `touch`): it goes back in its place after the loop (it is not
                // due in this sweep, so the loop would never reach it again).
                unlink(head)
                requeued.append(Unmanaged.passUnretained(head))
                continue
            }
            unlink(head)
            if !head.isClosed {
                counters.connectionsExpired &+= 1
                head.sweptFrom = list == .short ? 1 : 2
                close(head, withoutClose: true, at: now)
            }
            remove(head)
        }
        if !requeued.isEmpty { putBack(on: list) }
    }

    /// Puts the connections a sweep took off `list` back in their places (`append`, which walks to each from the
    /// nearer end of the list by time).
    private func putBack(on list: IdleList) {
        for entry in requeued { append(entry.takeUnretainedValue(), to: list) }
        requeued.removeAll(keepingCapacity: true)
    }

    private func ends(of list: IdleList) -> (Unmanaged<TCPConnection>?, Unmanaged<TCPConnection>?) {
        switch list {
        case .short: return (shortHead, shortTail)
        case .closed: return (closedHead, closedTail)
        case .long, .none: return (longHead, longTail)
        }
    }

    func evictOne(at time: Timestamp) {
        // Closed records and unanswered attempts go first, then the least recently active connection.
        var candidate = (closedHead ?? shortHead ?? longHead)?.takeUnretainedValue()
        while let head = candidate, head.lastTime > head.queuedTime {
            // Active since it was queued: not the least recently active after all.
            requeue(head)
            candidate = (closedHead ?? shortHead ?? longHead)?.takeUnretainedValue()
        }
        guard let victim = candidate else { return }
        unlink(victim)
        if !victim.isClosed {
            counters.connectionsEvicted &+= 1
            close(victim, withoutClose: true, at: time)
        }
        remove(victim)
    }

    func remove(_ connection: TCPConnection) {
        table.remove(connection)
    }

    /// End of input: deliver what is held (gaps before it), close every live connection in order of first
    /// packet (`endedWithoutClose` = true), and forget all records.
    public func finish(at time: Timestamp) {
        var live: [TCPConnection] = []
        table.forEach { connection in if !connection.isClosed { live.append(connection) } }
        live.sort { $0.serial < $1.serial }
        for connection in live { close(connection, withoutClose: true, at: time) }
        table.forEach { connection in
            connection.idleNext = nil
            connection.idlePrev = nil
            connection.idleList = .none
        }
        shortHead = nil
        shortTail = nil
        longHead = nil
        longTail = nil
        closedHead = nil
        closedTail = nil
        table.removeAll()
    }

    // MARK: - Idle lists

    func idleClass(_ connection: TCPConnection) -> IdleList {
        if connection.isClosed { return .closed }
        if connection.finSeen { return .short }
        // An answered connection never turns back into an unanswered attempt.
        if connection.idleList == .long { return .long }
        if connection.orig.endpoint == .synSent && connection.resp.endpoint == .inactive { return .short }
        return .long
    }

    /// Called for every segment: puts a connection on the idle list its state calls for.
    ///
    /// Lists are kept lazily: a connection that stays on its list is not moved to the back on each segment (that
    /// relinking was a tenth of the data-heavy benchmark). Each list is ordered by `queuedTime`, when the
    /// connection was put there; expiry and eviction look at `lastTime` and put a connection that has been
    /// active since it was queued back in its place instead. So each connection moves at most once per timeout.
    func touch(_ connection: TCPConnection) {
        let list = idleClass(connection)
        if connection.idleList == list { return }
        unlink(connection)
        append(connection, to: list)
    }

    /// Puts a connection back on its list, queued as of its last activity.
    func requeue(_ connection: TCPConnection) {
        let list = connection.idleList
        unlink(connection)
        append(connection, to: list)
    }

    /// Puts `connection` on a list in its place by (time of its last activity, serial): the lists stay in that
    /// order, so a sweep closes exactly the connections idle past the timeout, in an order that depends on nothing
    /// but them (a sharded analysis's workers, each with part of the connections, close theirs in the same
    /// relative order: `FTPAnalysis.OrderKey`). The place is usually the tail itself (a connection just active);
    /// otherwise it is walked to from the nearer end by time. Walking from the tail alone crossed connections cold
    /// in the cache: on the control-heavy capture a tenth of the analysis thread's time (perf), mostly for closed
    /// connections put back after a sweep, whose last ACK came milliseconds after their FIN and whose place is
    /// therefore next to the head. The list ends up in the same order whichever way a place is walked to.
    func append(_ connection: TCPConnection, to list: IdleList) {
        connection.idleList = list
        connection.queuedTime = connection.lastTime
        let (head, tail) = ends(of: list)
        insert(connection, after: place(of: connection, head: head, tail: tail), on: list)
    }

    /// The connection `connection` goes right after (nil: at the head).
    private func place(
        of connection: TCPConnection, head: Unmanaged<TCPConnection>?, tail: Unmanaged<TCPConnection>?
    ) -> Unmanaged<TCPConnection>? {
        guard let head, let tail, tail._withUnsafeGuaranteedRef({ Self.queued($0, after: connection) }) else {
            return tail
        }
        var after: Unmanaged<TCPConnection>?
        if head._withUnsafeGuaranteedRef({ $0.queuedTime.nanoseconds(to: connection.queuedTime) })
            < tail._withUnsafeGuaranteedRef({ connection.queuedTime.nanoseconds(to: $0.queuedTime) })
        {
            // Forward from the head: past every connection that is not queued after this one.
            var candidate: Unmanaged<TCPConnection>? = head
            while let current = candidate, !current._withUnsafeGuaranteedRef({ Self.queued($0, after: connection) }) {
                after = current
                candidate = current._withUnsafeGuaranteedRef { $0.idleNext }
            }
        } else {
            after = tail
            while let candidate = after, candidate._withUnsafeGuaranteedRef({ Self.queued($0, after: connection) }) {
                after = candidate._withUnsafeGuaranteedRef { $0.idlePrev }
            }
        }
        return after
    }

    /// Links `connection` into `list` right after `after` (at the head when nil).
    private func insert(_ connection: TCPConnection, after: Unmanaged<TCPConnection>?, on list: IdleList) {
        switch list {
        case .short: link(connection, after: after, head: &shortHead, tail: &shortTail)
        case .closed: link(connection, after: after, head: &closedHead, tail: &closedTail)
        case .long, .none: link(connection, after: after, head: &longHead, tail: &longTail)
        }
    }

    @inline(__always)
    private func link(
        _ connection: TCPConnection, after: Unmanaged<TCPConnection>?, head: inout Unmanaged<TCPConnection>?,
        tail: inout Unmanaged<TCPConnection>?
    ) {
        let me = Unmanaged.passUnretained(connection)
        let next: Unmanaged<TCPConnection>?
        if let after {
            next = after._withUnsafeGuaranteedRef { previous in
                let next = previous.idleNext
                previous.idleNext = me
                return next
            }
        } else {
            next = head
            head = me
        }
        connection.idlePrev = after
        connection.idleNext = next
        if let next { next._withUnsafeGuaranteedRef { $0.idlePrev = me } } else { tail = me }
    }

    @inline(__always) static func queued(_ a: TCPConnection, after b: TCPConnection) -> Bool {
        a.queuedTime != b.queuedTime ? a.queuedTime > b.queuedTime : a.serial > b.serial
    }

    func unlink(_ connection: TCPConnection) {
        let list = connection.idleList
        guard list != .none else { return }
        let previous = connection.idlePrev
        let next = connection.idleNext
        if let previous {
            previous._withUnsafeGuaranteedRef { $0.idleNext = next }
        } else {
            switch list {
            case .short: shortHead = next
            case .closed: closedHead = next
            case .long, .none: longHead = next
            }
        }
        if let next {
            next._withUnsafeGuaranteedRef { $0.idlePrev = previous }
        } else {
            switch list {
            case .short: shortTail = previous
            case .closed: closedTail = previous
            case .long, .none: longTail = previous
            }
        }
        connection.idlePrev = nil
        connection.idleNext = nil
        connection.idleList = .none
    }
}
