import NetworkTypes
import PacketDecoding

/// Fragment tricks that make a reassembler and an end host see different bytes (Ptacek and Newsham, "Insertion,
/// Evasion, and Denial of Service", 1998; RFC 1858). Each is reported once per datagram.
public enum IPFragmentAnomalyKind: String, Sendable, Equatable, CaseIterable {
    /// A first fragment too short to hold the whole TCP header (RFC 1858 section 3.1): filters that look only at
    /// the first fragment cannot see the ports or flags.
    case tinyFragment = "tiny_fragment"
    /// A fragment overlapping bytes already received with different content (RFC 1858 section 3.2): which
    /// version a host keeps depends on its stack.
    case conflictingOverlap = "conflicting_overlap"
    /// An IPv6 fragment overlapping another (same content or not): RFC 5722 discards the whole datagram.
    case ipv6Overlap = "ipv6_overlap"

    /// One bit per kind, for the per-datagram record of what was reported.
    var bit: UInt8 {
        switch self {
        case .tinyFragment: return 1
        case .conflictingOverlap: return 2
        case .ipv6Overlap: return 4
        }
    }
}

/// One fragment anomaly, with the evidence a reader needs to judge it.
public struct IPFragmentAnomaly: Sendable, Equatable {
    /// What was seen.
    public var kind: IPFragmentAnomalyKind
    /// The datagram.
    public var key: FragmentKey
    /// When the offending fragment arrived.
    public var time: Timestamp
    /// The offending fragment's offset and length (bytes of the datagram's payload).
    public var offset: Int
    /// See `offset`.
    public var length: Int
    /// Overlaps: where the two versions first differ (or first overlap, for IPv6) and up to 32 bytes of each
    /// from there: what was kept (`keptBytes`) and what was not (`otherBytes`).
    public var differenceOffset: Int
    /// See `differenceOffset`.
    public var keptBytes: [UInt8]
    /// See `differenceOffset`.
    public var otherBytes: [UInt8]

    /// Creates a record.
    public init(
        kind: IPFragmentAnomalyKind, key: FragmentKey, time: Timestamp, offset: Int, length: Int,
        differenceOffset: Int = 0, keptBytes: [UInt8] = [], otherBytes: [UInt8] = []
    ) {
        self.kind = kind
        self.key = key
        self.time = time
        self.offset = offset
        self.length = length
        self.differenceOffset = differenceOffset
        self.keptBytes = keptBytes
        self.otherBytes = otherBytes
    }
}
