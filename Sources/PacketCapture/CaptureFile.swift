import CGzip
import CPcap
import Glibc
import NetworkTypes

/// One offline capture file (pcap or pcapng, either of them gzip-compressed), or standard input.
///
/// Packets are read one at a time with `next(_:)`; their bytes are borrowed from libpcap's buffer
/// and valid only during the call. The first packet is read ahead when the file is opened, so that
/// a file libpcap can't read (e.g. pcapng interfaces of different link types) fails at `init`.
public final class CaptureFile: PacketSource {
    /// The path as given (`-` for standard input).
    public let path: String
    /// The link-layer header type of the file (its first interface for pcapng).
    public let linkType: LinkType

    /// The name used in messages (`standard input` for `-`).
    let displayName: String
    /// Position in a `CaptureSet`; reported in each `PacketHeader`.
    var sourceIndex = 0

    private let handle: OpaquePointer
    /// The stdio buffer of the stream libpcap reads (`readBufferSize`); nil when libpcap reads only the file's
    /// header and the records are read here.
    private let readBuffer: UnsafeMutablePointer<CChar>?
    /// The zlib stream under libpcap's `FILE *`, for its error state; owned by that `FILE *`
    /// (ended by `pcap_close`), nil for plain regular files.
    private let gzip: OpaquePointer?
    /// The stdio buffer libpcap reads the file through.
    static let readBufferSize = 256 * 1024
    private let format: FileFormat
    private let compressed: Bool

    private var packets: UInt64 = 0
    private var bytes: UInt64 = 0
    /// Earliest and latest packet times, meaningful once `packets > 0` (not optionals: they are updated per
    /// packet).
    private var firstTime = Timestamp(nanoseconds: 0)
    private var lastTime = Timestamp(nanoseconds: 0)
    private var truncated = false
    private var warning: String?

    /// The packet read ahead (libpcap's buffer stays valid until the next read on this handle).
    private var pendingHeader: PacketHeader?
    private var pendingRaw = pcap_pkthdr()
    private var pendingData: UnsafePointer<UInt8>?
    private var finished = false

    /// The records read without libpcap, for a plain pcap file (`PcapRecordReader`); nil when libpcap reads.
    private var records: PcapRecordReader?
    /// The filter set on a file read by `records` (libpcap applies its own only to what it reads).
    private var filter = bpf_program()
    private var filtering = false

    /// Bytes inspected at the start of an input to tell its format.
    private static let peekSize = 4096

    /// Opens a capture file, or standard input for `-`.
    public convenience init(path: String) throws(CaptureError) {
        if path == "-" {
            try self.init(fileDescriptor: STDIN_FILENO, name: "-")
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            throw CaptureError(path, CaptureFile.describe(errno: errno))
        }
        try self.init(ownedDescriptor: fd, path: path, displayName: path)
    }

    /// Opens a capture file read by libpcap alone when `readsRecordsItself` is false: the tests compare the two.
    convenience init(path: String, readsRecordsItself: Bool) throws(CaptureError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            throw CaptureError(path, CaptureFile.describe(errno: errno))
        }
        try self.init(ownedDescriptor: fd, path: path, displayName: path, readsRecordsItself: readsRecordsItself)
    }

    /// Reads a capture from an open descriptor (a pipe, standard input, a file). The descriptor is
    /// duplicated: the caller still owns `fileDescriptor`. `name` is the path reported (`-` reads as
    /// `standard input` in messages).
    public convenience init(fileDescriptor: Int32, name: String) throws(CaptureError) {
        let displayName = name == "-" ? "standard input" : name
        let copy = fcntl(fileDescriptor, F_DUPFD_CLOEXEC, 0)
        if copy < 0 {
            throw CaptureError(displayName, CaptureFile.describe(errno: errno))
        }
        try self.init(ownedDescriptor: copy, path: name, displayName: displayName)
    }

    /// Opens the capture on `fd`, which it owns from here on (closed on every path).
    private init(
        ownedDescriptor fd: Int32, path: String, displayName: String, readsRecordsItself: Bool = true
    ) throws(CaptureError) {
        var info = stat()
        if fstat(fd, &info) != 0 {
            let code = errno
            close(fd)
            throw CaptureError(displayName, CaptureFile.describe(errno: code))
        }
        let kind = info.st_mode & S_IFMT
        if kind == S_IFDIR {
            close(fd)
            throw CaptureError(displayName, "is a directory")
        }

        // Find the format from the first bytes, and make the FILE * libpcap reads.
        var stream: OpaquePointer?
        var head: [UInt8]
        let file: UnsafeMutablePointer<FILE>
        if kind == S_IFREG && lseek(fd, 0, SEEK_CUR) == 0 {
            if info.st_size == 0 {
                close(fd)
                throw CaptureError(displayName, "empty file")
            }
            head = [UInt8](repeating: 0, count: CaptureFile.peekSize)
            let got = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            if got < 0 {
                let code = errno
                close(fd)
                throw CaptureError(displayName, CaptureFile.describe(errno: code))
            }
            head.removeSubrange(got...)
            if head.count >= 2 && head[0] == 0x1F && head[1] == 0x8B {
                (stream, head) = try CaptureFile.openGzip(fd, displayName)
            }
        } else {
            (stream, head) = try CaptureFile.openGzip(fd, displayName)
        }
        let isCompressed = stream.map { cgzip_is_compressed($0) != 0 } ?? false

        let format = FileFormat.sniff(head)
        if format == .other {
            var reason = FileFormat.describeNonCapture(head, insideGzip: isCompressed)
            if let stream, let gzipReason = CaptureFile.gzipProblem(stream) { reason = gzipReason }
            if let stream { cgzip_close(stream) } else { close(fd) }
            throw CaptureError(displayName, reason)
        }

        if let stream {
            guard let made = cgzip_fopen(stream) else {
                let code = errno
                cgzip_close(stream)
                throw CaptureError(displayName, CaptureFile.describe(errno: code))
            }
            file = made
        } else {
            guard let made = fdopen(fd, "rb") else {
                let code = errno
                close(fd)
                throw CaptureError(displayName, CaptureFile.describe(errno: code))
            }
            file = made
        }
        // libpcap reads each record through stdio: with its default 4 KiB buffer that is a read(2) every 4 KiB
        // (7 700 on a 30 MB capture). A larger buffer, set before the first read, makes it one per 256 KiB. glibc
        // ignores the size unless it is given the buffer, which must outlive the stream (freed after pcap_close).
        // Not when the records will be read here (`PcapRecordReader`): libpcap then reads only the header, and the
        // large buffer, filled once by that read, would stay resident for nothing. (Should the snapshot length
        // then rule the reader out, libpcap reads through stdio's default buffer: slower, the same records.)
        let recordsReadHere = readsRecordsItself && kind == S_IFREG && stream == nil
            && PcapRecordReader.readsFormat(head: head)
        var readBuffer: UnsafeMutablePointer<CChar>?
        if !recordsReadHere {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: CaptureFile.readBufferSize)
            setvbuf(file, buffer, _IOFBF, CaptureFile.readBufferSize)
            readBuffer = buffer
        }

        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let opened = pcap_fopen_offline_with_tstamp_precision(
            file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        guard let opened else {
            let text = CaptureFile.string(errorBuffer)
            var reason = CaptureFile.describeOpenFailure(text)
            if let stream, let gzipReason = CaptureFile.gzipProblem(stream) { reason = gzipReason }
            fclose(file)  // libpcap leaves a FILE * it could not open to the caller; this ends the stream too
            readBuffer?.deallocate()
            throw CaptureError(displayName, reason)
        }

        let dlt = pcap_datalink(opened)
        let linkType = LinkType(dlt: dlt)
        guard linkType.isSupported else {
            var reason = "unsupported link type DLT \(dlt)"
            if let name = CaptureFile.linkTypeName(dlt) { reason += " (" + name + ")" }
            pcap_close(opened)
            readBuffer?.deallocate()
            throw CaptureError(displayName, reason)
        }

        self.readBuffer = readBuffer
        self.path = path
        self.displayName = displayName
        self.linkType = linkType
        self.handle = opened
        self.gzip = stream
        self.format = format
        self.compressed = isCompressed
        // A plain pcap file in a regular file: libpcap has read and checked its header; its records are read here.
        if recordsReadHere, case .pcap(let nanosecond) = format,
            PcapRecordReader.reads(head: head, snapshot: pcap_snapshot(opened))
        {
            records = PcapRecordReader(
                descriptor: fileno(file), snapshot: pcap_snapshot(opened), nanosecond: nanosecond)
        }
        // Read ahead: a file libpcap can't read past its first blocks fails here, not mid-analysis.
        // (On a throw from here deinit runs and closes the handle.)
        _ = try fill()
    }

    deinit {
        records?.release()
        if filtering { pcap_freecode(&filter) }
        pcap_close(handle)
        readBuffer?.deallocate()
    }

    /// What has been read so far.
    public var summary: CaptureSummary {
        let nanosecond: Bool
        let formatName: String
        switch format {
        case .pcap(let ns):
            formatName = "pcap"
            nanosecond = ns
        case .pcapng(let ns):
            formatName = "pcapng"
            nanosecond = ns
        case .other:
            formatName = "unknown"
            nanosecond = false
        }
        return CaptureSummary(
            path: path, format: formatName, compressed: compressed, linkType: linkType, packets: packets,
            bytes: bytes, firstTime: packets > 0 ? firstTime : nil, lastTime: packets > 0 ? lastTime : nil,
            truncated: truncated, warning: warning,
            nanosecondPrecision: nanosecond)
    }

    /// The summary, as the one element of an array (`PacketSource`).
    public var summaries: [CaptureSummary] { [summary] }

    /// Reads the next packet and calls `body` with its header and borrowed bytes (valid only during
    /// the call). Returns false at the end of the file. A file that ends in the middle of a packet,
    /// or turns out corrupt part-way, also returns false, with `summary.truncated` set and
    /// `summary.warning` saying why; the packets before that point have been delivered. Throws only
    /// for what is not truncation: a read error, or a pcapng file libpcap can't read on (interfaces
    /// of different link types).
    public func next(_ body: (PacketHeader, UnsafeRawBufferPointer) -> Void) throws(CaptureError) -> Bool {
        guard try fill() else { return false }
        consume(body)
        return true
    }

    /// Delivers only packets that match a BPF expression (libpcap's syntax), from the next one on.
    public func setFilter(_ expression: String) throws(CaptureError) {
        var program = bpf_program()
        if pcap_compile(handle, &program, expression, 1, bpf_u_int32(PCAP_NETMASK_UNKNOWN)) != 0 {
            throw CaptureError(displayName, "invalid filter \"\(expression)\": " + String(cString: pcap_geterr(handle)))
        }
        defer { if records == nil { pcap_freecode(&program) } }
        if pcap_setfilter(handle, &program) != 0 {
            throw CaptureError(
                displayName, "can't set filter \"\(expression)\": " + String(cString: pcap_geterr(handle)))
        }
        if records != nil {
            // Kept, and applied to each record read here (`nextRecord`).
            if filtering { pcap_freecode(&filter) }
            filter = program
            filtering = true
        }
        // The packet already read ahead passed no filter: test it now.
        if pendingHeader != nil, let data = pendingData {
            if pcap_offline_filter(&program, &pendingRaw, data) == 0 {
                pendingHeader = nil
                pendingData = nil
            }
        } else if pendingHeader != nil, pendingRaw.caplen == 0 {
            // No bytes to test; keep it only if an empty packet matches.
            var empty: UInt8 = 0
            if pcap_offline_filter(&program, &pendingRaw, &empty) == 0 { pendingHeader = nil }
        }
    }

    // MARK: - Reading (also used by CaptureSet)

    /// The time of the packet read ahead, if any.
    var pendingTime: Timestamp? { pendingHeader?.time }

    /// Makes sure a packet is read ahead. Returns false at the end (or where reading stopped).
    func fill() throws(CaptureError) -> Bool {
        if pendingHeader != nil { return true }
        if finished { return false }
        if records != nil {
            guard let (raw, data) = try nextRecord() else { return false }
            pendingRaw = raw
            pendingData = data
            pendingHeader = self.header(raw)
            return true
        }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap_next_ex(handle, &header, &data)
        if status == 1, let header {
            let raw = header.pointee
            pendingRaw = raw
            pendingData = data
            pendingHeader = self.header(raw)
            return true
        }
        return try ended(status)
    }

    /// `fill()` then `consume(_:)` in one step, for a file read alone (`CaptureSet` with one input): a packet
    /// is handed on straight from libpcap's buffer, without being stored as the read-ahead one first. The link
    /// type is passed beside the header, as `CaptureSet.next` does.
    @inline(__always)
    func read(_ body: (PacketHeader, LinkType, UnsafeRawBufferPointer) -> Void) throws(CaptureError) -> Bool {
        if pendingHeader != nil || finished {
            // The packet read ahead at opening (or the end).
            guard try fill() else { return false }
            consume { header, bytes in body(header, header.linkType, bytes) }
            return true
        }
        if records != nil {
            guard let (raw, data) = try nextRecord() else { return false }
            let packet = self.header(raw)
            count(packet)
            body(packet, linkType, UnsafeRawBufferPointer(start: data, count: packet.capturedLength))
            return true
        }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap_next_ex(handle, &header, &data)
        guard status == 1, let header else { return try ended(status) }
        let packet = self.header(header.pointee)
        count(packet)
        body(packet, linkType, UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : packet.capturedLength))
        return true
    }

    @inline(__always)
    private func header(_ raw: pcap_pkthdr) -> PacketHeader {
        PacketHeader(
            time: Timestamp(seconds: Int64(raw.ts.tv_sec), nanoseconds: Int64(raw.ts.tv_usec)),
            capturedLength: Int(raw.caplen), wireLength: Int(raw.len), linkType: linkType, sourceIndex: sourceIndex)
    }

    /// Counts a delivered packet in the summary.
    @inline(__always)
    private func count(_ header: PacketHeader) {
        if packets == 0 {
            firstTime = header.time
            lastTime = header.time
        } else if header.time < firstTime {
            firstTime = header.time
        } else if lastTime < header.time {
            lastTime = header.time
        }
        packets &+= 1
        bytes &+= UInt64(header.capturedLength)
    }

    /// The next record that passes the filter, read by `records`; nil at the end or where reading stopped (as
    /// `ended` words it).
    @inline(__always)
    private func nextRecord() throws(CaptureError) -> (pcap_pkthdr, UnsafePointer<UInt8>)? {
        while true {
            switch records!.next() {
            case .packet(var raw, let data):
                if filtering && pcap_offline_filter(&filter, &raw, data) == 0 { continue }
                return (raw, data)
            case .end:
                finished = true
                return nil
            case .failed(let text):
                finished = true
                try readFailed(text)
                return nil
            }
        }
    }

    /// `pcap_next_ex` gave no packet (`status`): the end of the file, a truncation or corruption (false, with the
    /// summary's warning), or an error that throws.
    private func ended(_ status: Int32) throws(CaptureError) -> Bool {
        finished = true
        if status == PCAP_ERROR_BREAK {
            // End of data; a gzip stream that ends early exactly between records looks like this too.
            if let gzip, let reason = CaptureFile.gzipProblem(gzip) { try stopEarly(reason) }
            return false
        }
        try readFailed(CaptureFile.string(pcap_geterr(handle)))
        return false
    }

    /// Delivers the packet read ahead to `body` and counts it. Call only after `fill()` returned true.
    func consume(_ body: (PacketHeader, UnsafeRawBufferPointer) -> Void) {
        guard var header = pendingHeader else { return }
        header.sourceIndex = sourceIndex
        pendingHeader = nil
        let data = pendingData
        pendingData = nil
        count(header)
        body(header, UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : header.capturedLength))
    }

    /// Classifies libpcap's error text for a failed read.
    private func readFailed(_ text: String) throws(CaptureError) {
        if let gzip, let reason = CaptureFile.gzipProblem(gzip) {
            try stopEarly(reason)
            return
        }
        if text.contains("different from the type of the first interface") {
            throw CaptureError(
                displayName, "interfaces with different link types (libpcap can't read it: split it with editcap)")
        }
        if text.contains("snapshot length") && text.contains("different") {
            throw CaptureError(
                displayName,
                "interfaces with different snapshot lengths (libpcap can't read it: split it with editcap)")
        }
        if text.hasPrefix("error reading dump file") {
            let detail = text.split(separator: ":", maxSplits: 1).dropFirst().first.map {
                String($0.drop(while: { $0 == " " }))
            }
            throw CaptureError(displayName, "read error: " + (detail ?? text))
        }
        truncated = true
        if text.contains("truncated") {
            warning = "capture ends in the middle of a packet after \(packets) packet\(packets == 1 ? "" : "s")"
        } else {
            warning =
                "capture is corrupt after \(packets) packet\(packets == 1 ? "" : "s") (\(CaptureError.oneLine(text))); the rest is skipped"
        }
    }

    /// Records a gzip problem found while reading: cut short or corrupt data end the file with a
    /// warning; an I/O error throws.
    private func stopEarly(_ reason: String) throws(CaptureError) {
        guard let gzip else { return }
        var code: Int32 = 0
        let status = cgzip_status(gzip, nil, &code)
        if status == CGZIP_IO {
            throw CaptureError(displayName, reason)
        }
        truncated = true
        warning = reason + " after \(packets) packet\(packets == 1 ? "" : "s")"
    }

    // MARK: - Helpers

    /// Wraps `fd` (taken over) in a zlib stream and peeks at the decompressed start.
    private static func openGzip(_ fd: Int32, _ displayName: String) throws(CaptureError) -> (OpaquePointer, [UInt8]) {
        guard let stream = cgzip_open(fd) else {  // closes fd on failure
            throw CaptureError(displayName, describe(errno: errno))
        }
        var head = [UInt8](repeating: 0, count: peekSize)
        let got = head.withUnsafeMutableBufferPointer { cgzip_peek(stream, $0.baseAddress, $0.count) }
        if got < 0 {
            let reason = gzipProblem(stream) ?? describe(errno: errno)
            cgzip_close(stream)
            throw CaptureError(displayName, reason)
        }
        head.removeSubrange(Int(got)...)
        if head.isEmpty {
            let reason = gzipProblem(stream) ?? (cgzip_is_compressed(stream) != 0 ? "gzip-compressed, but empty inside" : "empty file")
            cgzip_close(stream)
            throw CaptureError(displayName, reason)
        }
        return (stream, head)
    }

    /// The zlib problem met so far, worded for a message, or nil.
    static func gzipProblem(_ stream: OpaquePointer) -> String? {
        var message: UnsafePointer<CChar>?
        var code: Int32 = 0
        let status = cgzip_status(stream, &message, &code)
        let detail = message.map { String(cString: $0) } ?? ""
        switch status {
        case CGZIP_TRUNCATED: return "gzip stream ends early"
        case CGZIP_CORRUPT: return "gzip data is corrupt (zlib: \(detail))"
        case CGZIP_IO: return "read error: " + (code != 0 ? describe(errno: code) : detail)
        default: return nil
        }
    }

    /// libpcap's name for a DLT value (`USER0` for 147), or nil.
    static func linkTypeName(_ dlt: Int32) -> String? {
        if let name = pcap_datalink_val_to_name(dlt) { return String(cString: name) }
        // libpcap's table lacks some; these are the ones users meet.
        switch dlt {
        case 147...162: return "USER\(dlt - 147)"
        default: return nil
        }
    }

    /// A reason for a failed open, from libpcap's text.
    static func describeOpenFailure(_ text: String) -> String {
        if text.hasPrefix("truncated dump file") || text.contains("truncated pcapng dump file") {
            return "file ends inside the capture file header (\(text))"
        }
        if text.hasPrefix("error reading dump file") {
            return "read error (\(text))"
        }
        return "libpcap can't read it (\(text))"
    }

    /// `no such file`, `permission denied`, … for an errno value.
    static func describe(errno code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES, EPERM: return "permission denied"
        case EISDIR: return "is a directory"
        case ENOTDIR: return "a component of the path is not a directory"
        case ELOOP: return "too many symbolic links"
        case ENAMETOOLONG: return "file name too long"
        default:
            guard let text = strerror(code) else { return "error \(code)" }
            let message = String(cString: text)
            guard let first = message.first else { return "error \(code)" }
            return first.lowercased() + message.dropFirst()
        }
    }

    static func string(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { pointer in
            guard let base = pointer.baseAddress else { return "" }
            return String(cString: base)
        }
    }

    static func string(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }
}
