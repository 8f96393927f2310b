import CPcap
import Glibc
import NetworkTypes

/// Packets copied out of libpcap's ring into one reusable buffer, handed from the capture thread to the
/// analysis thread as a whole (DESIGN.md: live capture hands batches, not single packets, across threads).
///
/// A batch owns one contiguous byte arena and an array of packet entries, both allocated once and reused: after
/// warm-up, filling a batch allocates nothing. Its packets' bytes are valid until the batch is recycled
/// (`LiveCapture.recycle(_:)`).
public final class PacketBatch {
    /// Where one packet lies in the arena, and its libpcap header.
    struct Entry {
        var offset: Int
        var capturedLength: Int32
        var wireLength: Int32
        var time: Timestamp
    }

    /// The link-layer header type of every packet in the batch.
    public let linkType: LinkType
    private let arena: UnsafeMutableRawBufferPointer
    private var used = 0
    private var entries: [Entry] = []
    private let maxPackets: Int

    /// Creates an empty batch for up to `maxPackets` packets or `byteCapacity` bytes, whichever fills first.
    init(linkType: LinkType, maxPackets: Int, byteCapacity: Int) {
        self.linkType = linkType
        self.maxPackets = max(1, maxPackets)
        arena = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, byteCapacity), alignment: 16)
        entries.reserveCapacity(self.maxPackets)
    }

    deinit {
        arena.deallocate()
    }

    /// The number of packets in the batch.
    public var count: Int { entries.count }

    /// True when the batch holds no packet.
    public var isEmpty: Bool { entries.isEmpty }

    /// Captured bytes held.
    public var byteCount: Int { used }

    /// The header of packet `index` (`0..<count`).
    public func header(at index: Int) -> PacketHeader {
        let entry = entries[index]
        return PacketHeader(
            time: entry.time, capturedLength: Int(entry.capturedLength), wireLength: Int(entry.wireLength),
            linkType: linkType)
    }

    /// The bytes of packet `index` (`0..<count`), borrowed from the batch: valid until it is recycled.
    public func packet(at index: Int) -> UnsafeRawBufferPointer {
        let entry = entries[index]
        return UnsafeRawBufferPointer(
            rebasing: UnsafeRawBufferPointer(arena)[entry.offset..<(entry.offset + Int(entry.capturedLength))])
    }

    /// Room for a packet of `length` bytes?
    func hasRoom(for length: Int) -> Bool {
        entries.count < maxPackets && arena.count - used >= length
    }

    /// True when the arena could never hold `length` bytes, even empty.
    func tooLarge(_ length: Int) -> Bool { length > arena.count }

    /// Copies one packet in. The caller checked `hasRoom(for:)`.
    func append(time: Timestamp, capturedLength: Int, wireLength: Int, bytes: UnsafeRawPointer?) {
        if capturedLength > 0, let bytes {
            (arena.baseAddress! + used).copyMemory(from: bytes, byteCount: capturedLength)
        }
        entries.append(
            Entry(offset: used, capturedLength: Int32(capturedLength), wireLength: Int32(clamping: wireLength), time: time))
        used += capturedLength
    }

    /// Empties the batch, keeping its storage.
    func reset() {
        entries.removeAll(keepingCapacity: true)
        used = 0
    }
}
