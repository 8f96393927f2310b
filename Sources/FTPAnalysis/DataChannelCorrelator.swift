import NetworkTypes
import TCPReassembly

/// The data-channel correlator: announcements, data connections, ICMP errors and the ends of sessions in; each
/// transfer's one typed verdict out (`DataVerdict`, decided in DataChannelCorrelator+Verdict.swift).
///
/// It keeps the announced endpoints waiting for their connection (by endpoint and by port), connections seen
/// before their announcement (capture reordering), ICMP errors that answered a SYN, and the sessions whose
/// announcements TLS hides. It decides which transfer a connection belongs to and when a transfer is settled; the
/// analyzer carries that out (routes the TCP connection, delivers the settled transfer, runs the detectors).
/// Connections reach it as values (`DataConnectionAttempt` when opened, `DataConnectionRecord` when closed) with a
/// handle it only hands back. One per analyzer, no shared state (the threaded pipeline runs analyzers side by side).
final class DataChannelCorrelator {
    let configuration: AnalysisConfiguration
    /// Announced endpoints waiting for their connection, by port, newest first (ExpectationTable).
    var expectations = ExpectationTable()
    /// How many are waiting.
    var expectationCount: Int { expectations.count }
    /// Connections on no control port that matched nothing when they opened: a SYN captured before the reply
    /// that announced it is matched when the announcement arrives.
    var recentUnmatched: [(attempt: DataConnectionAttempt, connection: any LiveDataConnection)] = []
    var icmpByFlow: [FlowKey: (message: ICMPUnreachable, time: Timestamp)] = [:]
    /// Open sessions whose control channel is encrypted: their data connections can only be inferred.
    var protectedSessions: [FTPSession] = []
    /// The contexts of the data connections closed last (at most `spareContextLimit`), for the next ones attached
    /// once their connections let them go (`DataContext`): a few transfers and sessions held a little longer.
    var spareContexts: [DataContext] = []
    static let spareContextLimit = 16

    init(configuration: AnalysisConfiguration) {
        self.configuration = configuration
        spareContexts.reserveCapacity(Self.spareContextLimit)
    }

    deinit {
        // The table holds a reference to each expectation's session and transfer (`ExpectationTable`).
        expectations.removeAll { _ in true }
    }

    /// Files an announcement under its port.
    func add(_ expectation: Expectation) {
        expectations.add(expectation)
    }

    /// An ICMP error matters only to the SYN it answered; a minute later it never will.
    func expireICMP(now: Timestamp) {
        if !icmpByFlow.isEmpty {
            icmpByFlow = icmpByFlow.filter { $0.value.time.nanoseconds(to: now) < 60_000_000_000 }
        }
    }

    /// An ended session's announcements can no longer be used: dropping them frees the session's memory
    /// (expectations hold it) so long captures stay flat.
    ///
    /// Found through the session's own list of slots (`ExpectationTable`): walking its transfers and each announced
    /// port's list was O(transfers x list length), the correlator's largest cost on a control-heavy capture.
    func dropExpectations(of session: FTPSession) {
        expectations.removeAll(of: session)
    }

    func removeExpectations(of transfer: Transfer) {
        guard let endpoint = transfer.announced else { return }
        expectations.removeAll(onPort: endpoint.port) { $0.announces(transfer) }
    }

    func pruneExpectations(now: Timestamp) {
        let lifetime = configuration.expectationLifetime
        expectations.removeAll { $0.time.nanoseconds(to: now) > lifetime }
    }

    func inWindow(_ connection: DataConnectionAttempt, _ expectation: Expectation) -> Bool {
        inWindow(connection, announcedAt: expectation.time)
    }

    func inWindow(_ connection: DataConnectionAttempt, announcedAt time: Timestamp) -> Bool {
        let delta = time.nanoseconds(to: connection.firstTime)
        return delta >= -configuration.expectationLead && delta <= configuration.expectationLifetime
    }

    func matches(_ connection: DataConnectionAttempt, _ expectation: Expectation) -> DataChannelMatch? {
        guard inWindow(connection, expectation) else { return nil }
        return expectation.withObjects { session, transfer in
            matches(connection, expectation.endpoint, session: session, transfer: transfer)
        }
    }

    private func matches(
        _ connection: DataConnectionAttempt, _ endpoint: Endpoint, session: FTPSession, transfer: Transfer
    ) -> DataChannelMatch? {
        if connection.originator == session.client && connection.responder == session.server { return nil }
        if connection.responder == endpoint { return .exact }
        guard connection.responder.port == endpoint.port, let mode = transfer.mode else { return nil }
        // Same port, other address: NAT rewrote the announcement or the address it connects to, or the client
        // ignored a 227 address it could not reach (curl, lftp and FileZilla do). Only between the session's hosts.
        if mode.serverConnects {
            return connection.originator.address == session.server.address
                || connection.responder.address == session.client.address ? .portOnly : nil
        }
        return connection.originator.address == session.client.address
            || connection.responder.address == session.server.address ? .portOnly : nil
    }

    func findExpectation(for connection: DataConnectionAttempt) -> (Expectation, DataChannelMatch)? {
        let newest = expectations.first(onPort: connection.responder.port)
        guard newest >= 0 else { return nil }
        // Several sessions can announce the same endpoint over time (a server reuses its passive ports): prefer,
        // newest first, an unused announcement of the session whose hosts the connection joins, then any of that
        // session, then any at all. One pass from the newest, remembering the first of each kind.
        // Expectations are plain values (their references unmanaged): reading one out of its slot is a copy of its
        // bytes, nothing retained.
        var ownUnused: Int32 = -1
        var own: Int32 = -1
        var unused: Int32 = -1
        var any: Int32 = -1
        var slot = newest
        while slot >= 0 && ownUnused < 0 {
            let expectation = expectations.expectation(slot)
            if expectation.endpoint == connection.responder && inWindow(connection, announcedAt: expectation.time) {
                if any < 0 { any = slot }
                if unused < 0 && !expectation.used { unused = slot }
                if joinsHosts(connection, expectation) {
                    if own < 0 { own = slot }
                    if !expectation.used { ownUnused = slot }
                }
            }
            slot = expectations.next(slot)
        }
        let best = ownUnused >= 0 ? ownUnused : own >= 0 ? own : unused >= 0 ? unused : any
        if best >= 0 { return (expectations.expectation(best), .exact) }
        // Same port, another address (NAT), newest first.
        slot = newest
        while slot >= 0 {
            let expectation = expectations.expectation(slot)
            if let match = matches(connection, expectation) { return (expectation, match) }
            slot = expectations.next(slot)
        }
        return nil
    }

    /// True when the connection's opener is the side of the expectation's session that should open it.
    func joinsHosts(_ connection: DataConnectionAttempt, _ expectation: Expectation) -> Bool {
        expectation.withObjects { session, transfer in joinsHosts(connection, session: session, transfer: transfer) }
    }

    func joinsHosts(_ connection: DataConnectionAttempt, session: FTPSession, transfer: Transfer) -> Bool {
        let opener = transfer.mode?.serverConnects == true ? session.server.address : session.client.address
        return connection.originator.address == opener
    }

    /// A protected session whose two hosts this connection joins: after AUTH TLS the announcements are
    /// unreadable, so a connection between the same hosts during the session is its probable data channel.
    func protectedSession(for connection: DataConnectionAttempt) -> FTPSession? {
        guard !protectedSessions.isEmpty else { return nil }
        let hosts = (connection.originator.address, connection.responder.address)
        return protectedSessions.last { session in
            guard !session.ended, let since = session.tlsTime, connection.firstTime >= since else { return false }
            if connection.originator == session.client && connection.responder == session.server { return false }
            return (hosts.0 == session.client.address && hosts.1 == session.server.address)
                || (hosts.0 == session.server.address && hosts.1 == session.client.address)
        }
    }

    func remember(_ attempt: DataConnectionAttempt, _ connection: any LiveDataConnection) {
        if recentUnmatched.count >= configuration.maxRecentUnmatched { recentUnmatched.removeFirst() }
        recentUnmatched.append((attempt, connection))
    }
}

/// A TCP connection as it opens: what matching reads of it.
struct DataConnectionAttempt: Sendable {
    /// The side that opened it.
    let originator: Endpoint
    /// The side it was opened to.
    let responder: Endpoint
    /// Its first packet.
    let firstTime: Timestamp

    init(originator: Endpoint, responder: Endpoint, firstTime: Timestamp) {
        self.originator = originator
        self.responder = responder
        self.firstTime = firstTime
    }

    init(_ connection: TCPConnection) {
        self.init(originator: connection.originator, responder: connection.responder, firstTime: connection.firstTime)
    }
}

/// A data connection still open: the correlator holds it for the analyzer (which routes its packets) and reads its
/// state when a transfer must be settled before the connection closes (its session ended first).
protocol LiveDataConnection: AnyObject {
    /// What it looks like now.
    func snapshot(match: DataChannelMatch) -> DataConnectionRecord
}

extension TCPConnection: LiveDataConnection {
    func snapshot(match: DataChannelMatch) -> DataConnectionRecord { DataConnectionRecord.of(self, match: match) }
}

/// A transfer's data connections still open, in the order they were attached. Nearly always one: it is kept inline,
/// and only a second one allocates (an array per data connection was a measurable share of attaching it).
struct LiveConnections {
    typealias Entry = (connection: any LiveDataConnection, match: DataChannelMatch)

    private var first: Entry?
    private var others: [Entry] = []

    /// True when none is open.
    var isEmpty: Bool { first == nil }

    mutating func append(_ entry: Entry) {
        if first == nil { first = entry } else { others.append(entry) }
    }

    /// Removes `connection`, keeping the others in order.
    mutating func remove(_ connection: any LiveDataConnection) {
        if !others.isEmpty { others.removeAll { $0.connection === connection } }
        if let head = first, head.connection === connection {
            first = others.isEmpty ? nil : others.removeFirst()
        }
    }

    mutating func removeAll() {
        first = nil
        others = []
    }

    /// Each entry, in order.
    func forEach(_ body: (Entry) -> Void) {
        guard let first else { return }
        body(first)
        for entry in others { body(entry) }
    }
}
