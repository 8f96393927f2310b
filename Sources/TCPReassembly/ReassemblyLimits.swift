import NetworkTypes

/// Bounds on what the reassembler holds, so a hostile or lossy capture cannot exhaust memory.
public struct ReassemblyLimits: Sendable, Hashable {
    /// Out-of-order bytes held per connection (both directions together) before holes are given up as gaps.
    public var maxOutOfOrderBytesPerConnection: Int
    /// Out-of-order bytes held across all connections.
    public var maxOutOfOrderBytesTotal: Int
    /// Connections tracked at once (closed records included); beyond it the least recently active is evicted.
    /// About 600 bytes each with the analysis' state: the default keeps a SYN flood under 100 MB.
    public var maxConnections: Int
    /// Idle time (ns) after which an established connection is closed as `endedWithoutClose`.
    public var idleTimeout: Int64
    /// Idle time (ns) for attempts without a reply and half-closed connections.
    public var shortIdleTimeout: Int64
    /// How long (ns) the record of a closed connection (both FINs, or a RST) is kept after its last packet, to
    /// absorb the trailing ACK and retransmitted FINs of TIME-WAIT. Zeek's `tcp_close_delay` is also 5 s; a
    /// minute here kept ~70 000 finished records alive on a busy capture for no analysis gain.
    public var closedLinger: Int64
    /// Distance (bytes) beyond the next expected byte past which a segment means the bytes before it were lost.
    /// RFC 7323 section 2.3 caps the scaled window at 2^30, so a sender cannot legitimately be further ahead of
    /// what the receiver acknowledged; without this, a thinned capture would drift out of serial-arithmetic range.
    public var maxSequenceJump: Int64
    /// Per-entry bookkeeping charged against the caps for each held out-of-order range (count-only ranges hold no
    /// bytes but still cost memory).
    public var outOfOrderEntryOverhead: Int

    /// Creates limits; the defaults suit offline analysis of captures up to tens of gigabytes.
    public init(
        maxOutOfOrderBytesPerConnection: Int = 1 << 20,
        maxOutOfOrderBytesTotal: Int = 64 << 20,
        maxConnections: Int = 100_000,
        idleTimeout: Int64 = 15 * 60 * 1_000_000_000,
        shortIdleTimeout: Int64 = 60 * 1_000_000_000,
        closedLinger: Int64 = 5 * 1_000_000_000,
        maxSequenceJump: Int64 = 1 << 30,
        outOfOrderEntryOverhead: Int = 48
    ) {
        self.maxOutOfOrderBytesPerConnection = maxOutOfOrderBytesPerConnection
        self.maxOutOfOrderBytesTotal = maxOutOfOrderBytesTotal
        self.maxConnections = max(1, maxConnections)
        self.idleTimeout = idleTimeout
        self.shortIdleTimeout = shortIdleTimeout
        self.closedLinger = closedLinger
        self.maxSequenceJump = maxSequenceJump
        self.outOfOrderEntryOverhead = outOfOrderEntryOverhead
    }
}

/// What the reassembler has done so far, for the run summary and for tuning limits.
public struct ReassemblyCounters: Sendable, Hashable {
    /// Segments processed.
    public var segments: UInt64 = 0
    /// Connections created (port reuse counts as a new one).
    public var connectionsSeen: UInt64 = 0
    /// Connections closed (any reason).
    public var connectionsClosed: UInt64 = 0
    /// Connections closed because they were idle too long.
    public var connectionsExpired: UInt64 = 0
    /// Live connections closed early because the table was full.
    public var connectionsEvicted: UInt64 = 0
    /// New SYNs that replaced a finished connection on the same ports.
    public var portReuses: UInt64 = 0
    /// Segments for connections already closed (trailing ACKs and the like), counted and otherwise ignored.
    public var lateSegments: UInt64 = 0
    /// Gaps reported.
    public var gaps: UInt64 = 0
    /// Bytes reported missing in gaps.
    public var gapBytes: UInt64 = 0
    /// Payload bytes seen again (retransmissions, duplicate and overlapping segments).
    public var retransmittedBytes: UInt64 = 0
    /// Segments that overlapped held or delivered data with different bytes (inconsistent retransmission).
    public var inconsistentOverlaps: UInt64 = 0
    /// Segments carrying data beyond their sender's FIN (delivered and reported).
    public var dataAfterFIN: UInt64 = 0
    /// Segments that arrived ahead of a hole and were held.
    public var outOfOrderSegments: UInt64 = 0
    /// Out-of-order memory held now (bytes plus entry overhead).
    public var bufferedBytes: Int = 0
    /// Highest `bufferedBytes` seen.
    public var bufferedBytesPeak: Int = 0
    /// Times a cap forced holes to be given up as gaps.
    public var capHits: UInt64 = 0
    /// Segments so far ahead of the stream that the bytes before them were declared lost (`maxSequenceJump`).
    public var sequenceJumps: UInt64 = 0

    /// Creates zero counters.
    public init() {}
}
