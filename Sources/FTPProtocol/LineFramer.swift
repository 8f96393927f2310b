/// Splits one direction of a control connection into lines.
///
/// Stateful across chunks: a CR at the end of one chunk and a LF at the start of the next are one line end, and a
/// TELNET IAC sequence split across chunks is still recognised. Line ends:
/// - LF ends a line, whether or not a CR precedes it. RFC 959 section 4.1 requires CRLF, but many clients and a
///   few servers send bare LF, and rejecting them would lose whole sessions.
/// - A CR not followed by LF is kept as data: RFC 854 gives it no line-ending meaning on its own, and treating it
///   as one would split pathnames that contain it.
///
/// The control connection is a TELNET NVT (RFC 959 section 4, RFC 854), so IAC (0xFF) sequences are removed:
/// `IAC IAC` is one 0xFF data byte; `IAC WILL/WONT/DO/DONT <option>` (three bytes) are removed; `IAC <any other>`
/// (two bytes: IP, DM, AYT, SB, SE, ...) is removed. Clients send `IAC IP IAC DM` before ABOR (RFC 959 section
/// 4.1.3), which is why this matters. Subnegotiation payloads are not interpreted (FTP servers never negotiate).
///
/// Memory: one line buffer of `FTPLimits.maxLineLength` bytes, reserved on the first data byte (not at creation: a
/// flood of connections that never send a byte must not cost 4 KiB each) and reused, and lent to each line (no
/// allocation per line). Given a buffer shared by the framers of one thread (`append(_:shared:_:)`), a framer
/// frames in that one while no line is pending and reserves its own only for a line split across segments.
public struct LineFramer: Sendable {
    /// Where the framer is inside a TELNET command sequence.
    private enum TelnetState: Sendable {
        /// Plain data.
        case data
        /// After IAC, waiting for the command byte.
        case afterIAC
        /// After IAC WILL/WONT/DO/DONT, waiting for the option byte to drop.
        case option
    }

    private static let cr: UInt8 = 0x0D
    private static let lf: UInt8 = 0x0A
    private static let iac: UInt8 = 0xFF
    /// WILL (251), WONT (252), DO (253), DONT (254): the commands that carry an option byte (RFC 854).
    private static let optionCommands: ClosedRange<UInt8> = 251...254

    /// `FTPLimits.maxLineLength`, all of the limits the framer reads (the whole limits were 8 bytes more in each
    /// session's channel state, which every segment touches).
    private let maxLineLength: Int
    private var buffer: [UInt8]
    /// Data bytes of the current line, including those dropped beyond `maxLineLength`.
    private var lineLength = 0
    /// A CR was seen and not yet placed: it is a line end if a LF follows, data otherwise.
    private var pendingCR = false
    private var telnet = TelnetState.data

    /// Creates a framer; the line buffer is reserved when the first byte is stored.
    public init(limits: FTPLimits = FTPLimits()) {
        maxLineLength = limits.maxLineLength
        buffer = []
    }

    /// Bytes held for the unfinished line (kept bytes, plus a CR that may turn out to be a line end).
    public var pendingByteCount: Int { buffer.count + (pendingCR ? 1 : 0) }

    /// Feeds bytes; `onLine` is called for every line they complete, in order.
    public mutating func append(_ bytes: UnsafeRawBufferPointer, _ onLine: (FTPLine) -> Void) {
        var index = 0
        while index < bytes.count {
            // Between line ends and IAC sequences the bytes are plain data: copied as one run, not byte by byte
            // (the per-byte append, with its uniqueness check, was the largest cost of reading control lines).
            if telnet == .data && !pendingCR {
                let end = endOfRun(bytes, from: index)
                if end > index {
                    storeRun(UnsafeRawBufferPointer(rebasing: bytes[index..<end]))
                    index = end
                    if index == bytes.count { return }
                }
            }
            let byte = bytes[index]
            index += 1
            switch telnet {
            case .data:
                if byte == Self.iac {
                    telnet = .afterIAC
                } else {
                    dataByte(byte, onLine)
                }
            case .afterIAC:
                if byte == Self.iac {
                    telnet = .data
                    dataByte(byte, onLine)
                } else if Self.optionCommands.contains(byte) {
                    telnet = .option
                } else {
                    telnet = .data
                }
            case .option:
                telnet = .data
            }
        }
    }

    /// `append(_:_:)`, framing in `shared` (one line buffer for every framer on the analysis thread) whenever no
    /// line is pending, which is nearly always: a segment of a control connection is one or more whole lines.
    ///
    /// Why: the framer's own buffer is a heap block per direction of each session, and with hundreds of sessions
    /// open at once it was a cache miss per segment (the largest part of storing a line's bytes); the shared one is
    /// touched by every line, so it stays in cache. A line left unfinished by the segment keeps the buffer it is
    /// in, and the framer's own (empty) one takes its place as the shared buffer: nothing is copied either way, and
    /// a framer reserves a buffer only when a line of its is split across segments.
    public mutating func append(
        _ bytes: UnsafeRawBufferPointer, shared: SharedLineBuffer?, _ onLine: (FTPLine) -> Void
    ) {
        // Nothing pending (`lineLength` is 0, so the own buffer is empty): checked without touching that buffer.
        guard let shared, lineLength == 0 else { return append(bytes, onLine) }
        swap(&buffer, &shared.pointer.pointee)
        append(bytes, onLine)
        if lineLength == 0 { swap(&buffer, &shared.pointer.pointee) }
    }

    /// Feeds bytes from an array (convenient for tests).
    public mutating func append(_ bytes: [UInt8], _ onLine: (FTPLine) -> Void) {
        bytes.withUnsafeBytes { append($0, onLine) }
    }

    /// End of stream: emits the pending partial line, if any, flagged `unterminated`, and resets the framer.
    ///
    /// A trailing CR is dropped rather than kept as data: at the very end of a stream it is almost always the
    /// first half of a CRLF whose LF was never sent or captured. An unfinished IAC sequence is dropped. (What a
    /// capture gap does to a line is the control channel's gap policy, `ClientControlChannel`.)
    public mutating func finish(_ onLine: (FTPLine) -> Void) {
        if lineLength > 0 || pendingCR {
            pendingCR = false
            emit(unterminated: true, onLine)
        }
        buffer.removeAll(keepingCapacity: true)
        lineLength = 0
        pendingCR = false
        telnet = .data
    }

    @inline(__always)
    private mutating func dataByte(_ byte: UInt8, _ onLine: (FTPLine) -> Void) {
        if byte == Self.lf {
            pendingCR = false
            emit(unterminated: false, onLine)
            return
        }
        if pendingCR {
            pendingCR = false
            store(Self.cr)
        }
        if byte == Self.cr {
            pendingCR = true
        } else {
            store(byte)
        }
    }

    /// Where the run of plain data bytes starting at `start` ends: at the first CR, LF or IAC, or the end.
    ///
    /// Eight bytes at a time (a word has a byte equal to `b` when `word ^ b…b` has a zero byte, found with the
    /// borrow of a subtraction), then byte by byte for the tail: the scan for line ends was half of framing.
    @inline(__always)
    private func endOfRun(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var end = start
        #if _endian(little)
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            while end + 8 <= bytes.count {
                let word = bytes.loadUnaligned(fromByteOffset: end, as: UInt64.self)
                let cr = word ^ (ones &* UInt64(Self.cr))
                let lf = word ^ (ones &* UInt64(Self.lf))
                let iac = ~word
                // A flag at the lowest zero byte of each is exact (a false flag can only sit above a true one).
                let flags =
                    ((cr &- ones) & ~cr | (lf &- ones) & ~lf | (iac &- ones) & ~iac) & highs
                if flags != 0 { return end + flags.trailingZeroBitCount >> 3 }
                end += 8
            }
        #endif
        while end < bytes.count {
            let byte = bytes[end]
            if byte == Self.cr || byte == Self.lf || byte == Self.iac { break }
            end += 1
        }
        return end
    }

    /// `store` for a run of data bytes: what fits under the line cap is kept, all of it is counted.
    private mutating func storeRun(_ run: UnsafeRawBufferPointer) {
        if buffer.capacity == 0 { buffer.reserveCapacity(min(256, maxLineLength)) }
        let room = max(0, maxLineLength - buffer.count)
        if room > 0 {
            // As typed bytes: the generic append of a raw buffer cost more than the copy itself.
            let kept = min(room, run.count)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: run[..<kept]).assumingMemoryBound(to: UInt8.self))
        }
        lineLength += run.count
    }

    @inline(__always)
    private mutating func store(_ byte: UInt8) {
        // A first reservation that fits nearly every FTP line; a longer one grows the buffer (kept afterwards),
        // up to `maxLineLength`. Reserving the limit itself cost 8 KiB per session for lines of 20 bytes.
        if buffer.capacity == 0 { buffer.reserveCapacity(min(256, maxLineLength)) }
        if buffer.count < maxLineLength { buffer.append(byte) }
        lineLength += 1
    }

    private mutating func emit(unterminated: Bool, _ onLine: (FTPLine) -> Void) {
        // The line is lent the framer's own buffer, and the buffer is taken back once `onLine` returns: when the
        // receiver kept no copy of the line (the common case: it parses it and keeps values), the storage is
        // unshared again and is reused without an allocation. A receiver that keeps the line keeps that storage,
        // and the framer reserves a new buffer on the next byte, which is what a copy here would have cost.
        var line = FTPLine(
            bytes: [], truncated: lineLength > buffer.count, originalLength: lineLength, unterminated: unterminated)
        swap(&line.bytes, &buffer)
        lineLength = 0
        onLine(line)
        swap(&line.bytes, &buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A line buffer that every framer on one thread frames in while no line of its is pending
/// (`LineFramer.append(_:shared:_:)`), lent by pointer so that passing it costs no reference counting per segment.
/// Made and freed by its owner (the analysis, one per analysis thread); not thread-safe.
public struct SharedLineBuffer {
    let pointer: UnsafeMutablePointer<[UInt8]>

    /// An empty buffer (it reserves storage on first use); free it with `deallocate()`.
    public static func allocate() -> SharedLineBuffer {
        let pointer = UnsafeMutablePointer<[UInt8]>.allocate(capacity: 1)
        pointer.initialize(to: [])
        return SharedLineBuffer(pointer: pointer)
    }

    /// Frees the buffer; no framer may use it afterwards.
    public func deallocate() {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}
