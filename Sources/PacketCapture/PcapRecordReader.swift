import CPcap
import Glibc

/// Reads the records of a classic pcap file itself, in large `pread` blocks, for the common case: a regular,
/// uncompressed file in this machine's byte order, format version 2.4 (`CaptureFile` decides, and keeps libpcap for
/// the rest: pcapng, gzip, pipes, other byte orders and versions).
///
/// Why: libpcap reads each record with two `fread` calls and copies the packet out of the stdio buffer into its
/// own. On a capture of small packets those calls were most of the reading thread's work: walking the same file
/// in 1 MiB blocks took a third of the time of a bare `pcap_next_ex` loop (2 M packets, 315 MB). `pread` rather
/// than `mmap`: a file cut short while it is read ends the read, where a mapping would raise SIGBUS, and the
/// process's resident memory stays one block instead of growing with the mapped file.
///
/// It gives what libpcap gives, field for field (sf-pcap.c, `pcap_next_packet`, libpcap 1.10): the same headers
/// (a microsecond file's fraction times 1 000, as libpcap scales it for a nanosecond-precision handle), a record
/// longer than the snapshot length cut to it, and for damage the same error texts, which `CaptureFile` words for
/// the user in the same way. A test reads every capture in the repository both ways and compares.
///
/// Memory: one block of `blockSize` bytes (a record of up to 16 + `maximumCapturedLength` bytes always fits in it).
struct PcapRecordReader {
    /// Bytes read at once: room for the longest record (16 + `maximumCapturedLength`) and some. Larger blocks
    /// read no faster, and a 1 MiB block put the control-heavy benchmark's ECS run 0.7 MiB over its 64 MiB
    /// memory target.
    static let blockSize = 384 * 1024
    /// libpcap's largest sane captured length for the link types we read (`MAXIMUM_SNAPLEN`, pcap-int.h); a longer
    /// record is damage.
    static let maximumCapturedLength: UInt32 = 262_144
    /// The file header, then 16 bytes before each record.
    static let fileHeaderLength = 24
    static let recordHeaderLength = 16

    /// What the next read gave.
    enum Outcome {
        /// A packet: its header as libpcap fills it, and its bytes (valid until the next read).
        case packet(pcap_pkthdr, UnsafePointer<UInt8>)
        /// The clean end of the file.
        case end
        /// Damage or a read error, with libpcap's text for it.
        case failed(String)
    }

    private let descriptor: Int32
    private let snapshot: UInt32
    /// The fraction field times this is nanoseconds (1 000 for a microsecond file).
    private let fractionScale: Int
    private let block: UnsafeMutableRawPointer
    /// Bytes of the block holding file data, and where the next record starts among them.
    private var filled = 0
    private var position = 0
    /// The file offset of the block's first byte.
    private var blockOffset: Int

    /// A reader of the records after the file header. `snapshot` is libpcap's for the file (`pcap_snapshot`).
    init(descriptor: Int32, snapshot: Int32, nanosecond: Bool) {
        self.descriptor = descriptor
        self.snapshot = UInt32(clamping: max(0, snapshot))
        fractionScale = nanosecond ? 1 : 1000
        block = UnsafeMutableRawPointer.allocate(byteCount: Self.blockSize, alignment: 16)
        blockOffset = Self.fileHeaderLength
    }

    /// Frees the block (the owner calls it once; the reader is not used after).
    func release() {
        block.deallocate()
    }

    /// True when this reader can stand in for libpcap on a file whose first bytes are `head` and whose snapshot
    /// length libpcap took as `snapshot`: a pcap file in this machine's byte order, version 2.4 (older versions may
    /// have the two lengths swapped, which libpcap guesses at), with a snapshot length within what a block holds.
    static func reads(head: [UInt8], snapshot: Int32) -> Bool {
        readsFormat(head: head) && snapshot > 0 && UInt32(snapshot) <= maximumCapturedLength
    }

    /// The part of `reads(head:snapshot:)` the first bytes decide, known before libpcap opens the file.
    static func readsFormat(head: [UInt8]) -> Bool {
        guard head.count >= fileHeaderLength else { return false }
        let magic = UInt32(head[0]) | UInt32(head[1]) << 8 | UInt32(head[2]) << 16 | UInt32(head[3]) << 24
        let native = UInt32(littleEndian: magic)
        guard native == 0xA1B2_C3D4 || native == 0xA1B2_3C4D else { return false }
        let major = UInt16(littleEndian: UInt16(head[4]) | UInt16(head[5]) << 8)
        let minor = UInt16(littleEndian: UInt16(head[6]) | UInt16(head[7]) << 8)
        return major == 2 && minor == 4
    }

    /// The next record.
    mutating func next() -> Outcome {
        // The record header.
        if filled - position < Self.recordHeaderLength {
            if let failure = refill() { return .failed(failure) }
            let available = filled - position
            if available == 0 { return .end }
            if available < Self.recordHeaderLength {
                return .failed(
                    "truncated dump file; tried to read \(Self.recordHeaderLength) header bytes, only got \(available)")
            }
        }
        let start = block + position
        // Signed, as libpcap reads them (`struct pcap_timeval`, pcap-int.h).
        let seconds = start.loadUnaligned(as: Int32.self)
        let fraction = start.loadUnaligned(fromByteOffset: 4, as: Int32.self)
        var capturedLength = start.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        let wireLength = start.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
        if capturedLength > Self.maximumCapturedLength {
            return .failed(
                capturedLength > snapshot
                    ? "invalid packet capture length \(capturedLength), bigger than snaplen of \(snapshot)"
                    : "invalid packet capture length \(capturedLength), bigger than maximum of \(Self.maximumCapturedLength)")
        }
        // A record longer than the snapshot length is cut to it (libpcap reads the first `snapshot` bytes and
        // skips the rest).
        let recordLength = Int(capturedLength)
        let keptLength = Int(min(capturedLength, snapshot))
        if filled - position < Self.recordHeaderLength + recordLength {
            if let failure = refill() { return .failed(failure) }
            let available = filled - position - Self.recordHeaderLength
            if available < recordLength {
                // libpcap names the kept length when even that is missing, else the whole record.
                let wanted = available < keptLength ? keptLength : recordLength
                return .failed("truncated dump file; tried to read \(wanted) captured bytes, only got \(available)")
            }
        }
        capturedLength = UInt32(keptLength)
        var header = pcap_pkthdr()
        header.ts.tv_sec = Int(seconds)
        header.ts.tv_usec = Int(fraction) * fractionScale
        header.caplen = capturedLength
        header.len = wireLength
        let data = (block + position + Self.recordHeaderLength).assumingMemoryBound(to: UInt8.self)
        position += Self.recordHeaderLength + recordLength
        return .packet(header, UnsafePointer(data))
    }

    /// Moves the unread bytes to the block's start and reads on after them; nil, or libpcap's text for a read
    /// error. At the end of the file it reads nothing and says nothing.
    private mutating func refill() -> String? {
        let unread = filled - position
        if position > 0 {
            if unread > 0 { block.copyMemory(from: block + position, byteCount: unread) }
            blockOffset += position
            filled = unread
            position = 0
        }
        while filled < Self.blockSize {
            let got = pread(descriptor, block + filled, Self.blockSize - filled, off_t(blockOffset + filled))
            if got < 0 {
                if errno == EINTR { continue }
                return "error reading dump file: " + String(cString: strerror(errno))
            }
            if got == 0 { break }
            filled += got
        }
        return nil
    }
}
