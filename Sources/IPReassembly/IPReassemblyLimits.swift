/// Bounds of the IP reassembly stage. Whatever a capture holds, the stage's memory stays below
/// `maxBufferedBytes + maxDatagrams × (retainedBufferBytes + 2 × 4 × maxPiecesPerDatagram + about 200)` bytes
/// (payload of datagrams in flight, reusable buffers of finished ones, the per-datagram piece lists and table
/// entries): with the defaults about 8 MiB + 1024 × 2.7 KiB ≈ 10.7 MiB. What a limit turns away is counted
/// (`IPReassemblyCounters.droppedCapacity`), never silently lost.
public struct IPReassemblyLimits: Sendable, Equatable {
    /// Datagrams being reassembled at once; a new one beyond it evicts the oldest (its fragments counted as
    /// dropped). Legitimate fragmented traffic holds a handful at a time.
    public var maxDatagrams: Int
    /// Payload bytes held by datagrams in flight, all together.
    public var maxBufferedBytes: Int
    /// Disjoint pieces (runs of received bytes) one datagram may have before it completes; in-order, reversed and
    /// duplicated fragments merge into one piece, so only a scattered or hostile order comes near it.
    public var maxPiecesPerDatagram: Int
    /// IPv4 reassembly timeout from the first fragment: RFC 791 section 3.2 suggests 15 seconds.
    public var ipv4TimeoutNanoseconds: Int64
    /// IPv6 reassembly timeout from the first fragment: 60 seconds (RFC 8200 section 4.5).
    public var ipv6TimeoutNanoseconds: Int64
    /// A finished datagram's buffer is kept for the next one when it is at most this large, so steady
    /// fragmented traffic reuses buffers instead of allocating one per datagram.
    public var retainedBufferBytes: Int

    /// Creates limits; the defaults are documented in README (Limits).
    public init(
        maxDatagrams: Int = 1024, maxBufferedBytes: Int = 8 << 20, maxPiecesPerDatagram: Int = 64,
        ipv4TimeoutNanoseconds: Int64 = 15_000_000_000, ipv6TimeoutNanoseconds: Int64 = 60_000_000_000,
        retainedBufferBytes: Int = 2048
    ) {
        self.maxDatagrams = max(maxDatagrams, 1)
        self.maxBufferedBytes = max(maxBufferedBytes, 65_536)
        self.maxPiecesPerDatagram = max(maxPiecesPerDatagram, 2)
        self.ipv4TimeoutNanoseconds = ipv4TimeoutNanoseconds
        self.ipv6TimeoutNanoseconds = ipv6TimeoutNanoseconds
        self.retainedBufferBytes = max(retainedBufferBytes, 0)
    }
}

/// What the IP reassembly stage did, for JSON `stats` and the text totals. Fragment counts are per fragment
/// packet; a dropped datagram adds all the fragments it held.
public struct IPReassemblyCounters: Sendable, Equatable {
    /// Fragments given to the stage.
    public var fragments: UInt64 = 0
    /// Datagrams put back together and handed on.
    public var datagramsReassembled: UInt64 = 0
    /// Fragments whose bytes were all already held, identical: ignored (RFC 5722 erratum 3089 for IPv6).
    public var duplicates: UInt64 = 0
    /// Fragments overlapping bytes already held (not exact duplicates), whatever their content.
    public var overlapping: UInt64 = 0
    /// Overlapping fragments whose bytes differ from those already held: an insertion or evasion attempt.
    public var conflicting: UInt64 = 0
    /// First fragments too short to hold a whole TCP header (RFC 1858 section 3.1, tiny fragment attack).
    public var tiny: UInt64 = 0
    /// Fragments dropped with an IPv6 datagram that had an overlap (RFC 5722).
    public var droppedOverlap: UInt64 = 0
    /// Fragments dropped when their datagram timed out incomplete.
    public var droppedTimeout: UInt64 = 0
    /// Fragments dropped because a limit was reached (`IPReassemblyLimits`).
    public var droppedCapacity: UInt64 = 0
    /// Fragments dropped as impossible: past 65 535 bytes, or lengths contradicting the last fragment.
    public var droppedMalformed: UInt64 = 0
    /// Datagrams given up incomplete (timeout, eviction, malformed, overlap).
    public var datagramsDropped: UInt64 = 0

    /// Creates zeroed counters.
    public init() {}
}
