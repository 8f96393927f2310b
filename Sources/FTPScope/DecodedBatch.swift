import CPrefetch
import NetworkTypes
import PacketDecoding

/// Packets the offline reader thread read and decoded, handed to the analysis thread as a whole (DESIGN.md: batches,
/// not single packets, cross threads).
///
/// One contiguous byte arena and one entry array, both allocated once and reused: after warm-up, filling a batch
/// allocates nothing. Only packets the analysis reads the bytes of (TCP segments, ICMP errors, IP fragments) are
/// copied in; for the rest the decode result and length are enough.
final class DecodedBatch {
    /// One packet: its decode result, where its bytes lie in the arena, and what the packet path counts.
    struct Entry {
        var decoded: DecodedPacket
        var offset: Int
        /// Bytes copied into the arena (0 when the analysis needs only the decode result).
        var copiedLength: Int
        /// The packet's captured length, counted whether or not it was copied.
        var capturedLength: Int
        var time: Timestamp
        var linkType: LinkType
        /// The packet's place in the capture (1-based), for the sharded analysis; 0 on the one-worker path.
        var index: UInt64 = 0
    }

    /// A once-a-second sweep of the sharded analysis, due after the batch's first `after` entries; or, live, a
    /// watermark alone (`sweeps` false). Either way the worker reports its watermark there.
    struct Tick {
        var after: Int
        /// The packet after which the one-thread loop sweeps, and the capture clock then.
        var index: UInt64
        var time: Timestamp
        /// Packets and bytes read by then (for progress).
        var packets: UInt64
        var bytes: UInt64
        /// False for a live watermark tick: report the watermark without sweeping.
        var sweeps = true
        /// The watermark to report when nothing is pending: nil offline, the capture clock live (as the one-thread
        /// live loop's `pendingWatermark ?? lastTime`).
        var idleWatermark: Timestamp? = nil
    }

    /// Sweeps due within the batch (sharded analysis only).
    var ticks: [Tick] = []
    /// The last packet index of the round of batches this one belongs to (sharded analysis only).
    var lastIndex: UInt64 = 0
    /// Bytes read by the end of that round.
    var lastBytes: UInt64 = 0

    private var arena: UnsafeMutableRawBufferPointer
    private var used = 0
    private(set) var entries: [Entry] = []
    private let maxPackets: Int

    /// A batch of up to `maxPackets` packets or `byteCapacity` copied bytes, whichever fills first.
    init(maxPackets: Int, byteCapacity: Int) {
        self.maxPackets = max(1, maxPackets)
        arena = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, byteCapacity), alignment: 16)
        entries.reserveCapacity(self.maxPackets)
    }

    deinit {
        arena.deallocate()
    }

    /// True when the batch holds no packet.
    var isEmpty: Bool { entries.isEmpty }

    /// Whether a packet's bytes go into the batch: only what the analysis reads the bytes of (TCP, ICMP errors,
    /// fragments); other packets are just counted.
    @inline(__always) static func keepsBytes(of decoded: DecodedPacket) -> Bool {
        switch decoded {
        case .tcp, .icmpUnreachable, .fragment: return true
        case .other, .malformed: return false
        }
    }

    /// Room for one more packet whose `length` bytes are to be copied?
    func hasRoom(for length: Int) -> Bool {
        entries.count < maxPackets && arena.count - used >= length
    }

    /// Adds one packet, copying `bytes` when the analysis will read them. The caller checked `hasRoom(for:)` on an
    /// empty batch too: a packet larger than the whole arena grows it (only for captures with a snapshot length
    /// above the arena's size, so not per packet).
    func append(
        _ decoded: DecodedPacket, bytes: UnsafeRawBufferPointer, copy: Bool, capturedLength: Int, time: Timestamp,
        linkType: LinkType, index: UInt64 = 0
    ) {
        let length = copy ? bytes.count : 0
        if arena.count - used < length {
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: used + length, alignment: 16)
            if used > 0 { grown.baseAddress!.copyMemory(from: arena.baseAddress!, byteCount: used) }
            arena.deallocate()
            arena = grown
        }
        if length > 0 { (arena.baseAddress! + used).copyMemory(from: bytes.baseAddress!, byteCount: length) }
        entries.append(
            Entry(
                decoded: decoded, offset: used, copiedLength: length, capturedLength: capturedLength, time: time,
                linkType: linkType, index: index))
        used += length
    }

    /// The copied bytes of `entry` (empty for packets that were not copied): valid until the batch is reset.
    func bytes(of entry: Entry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(arena)[entry.offset..<(entry.offset + entry.copiedLength)])
    }

    /// Look-ahead for the analysis loop at `entry`: asks for the lines of the entry six places on and of the bytes
    /// of the one three places on. The reader thread wrote both on the other core, so each is a cache line to
    /// fetch from there, and the loop's loads of them were most of `OfflineAnalysis.run`'s own samples. A prefetch
    /// never faults, and an entry past `end` is not read.
    @inline(__always)
    func prefetch(after entry: UnsafePointer<Entry>, end: UnsafePointer<Entry>) {
        guard end - entry > 6 else { return }
        let ahead = UnsafeRawPointer(entry + 6)
        ftpscope_prefetch(ahead)
        ftpscope_prefetch(ahead + 64)
        ftpscope_prefetch(ahead + 128)
        let next = entry + 3
        if next.pointee.copiedLength > 0 {
            let bytes = UnsafeRawPointer(arena.baseAddress!) + next.pointee.offset
            ftpscope_prefetch(bytes)
            ftpscope_prefetch(bytes + 64)
        }
    }

    /// Empties the batch, keeping its storage.
    func reset() {
        entries.removeAll(keepingCapacity: true)
        if !ticks.isEmpty { ticks.removeAll(keepingCapacity: true) }
        used = 0
    }
}
