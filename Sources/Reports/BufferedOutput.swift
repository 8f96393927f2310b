#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An output file could not be opened or written.
public struct OutputError: Error, Sendable, CustomStringConvertible {
    /// The path as the user gave it (`-` for standard output).
    public var path: String
    /// Why, in the operating system's words.
    public var reason: String

    /// Creates an error.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// One line naming the file and the reason.
    public var message: String {
        let name = path == "-" ? "standard output" : Escaping.terminal(path)
        return "\(name): \(reason)"
    }

    public var description: String { message }
}

/// A file (or standard output) written through a buffer, so that a timeline of millions of rows costs a system
/// call per 64 KiB rather than per row.
///
/// Write errors are remembered, not thrown at each row: the first one stops further writing and is reported by
/// `close()` (the analysis keeps running and the other outputs still complete).
public final class BufferedOutput {
    /// The path as given (`-` for standard output).
    public let path: String
    /// Called just before buffered bytes go to the file descriptor (e.g. to clear a progress line on the same
    /// terminal first).
    public var beforeWrite: (() -> Void)?
    /// True when the output is a terminal.
    public let isTerminal: Bool

    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var buffer = OutputBytes(capacity: BufferedOutput.capacity)
    /// Bytes that go out from where they are, not from `buffer` (`write(_: JSONBytes)`, `write(lent:)`), each
    /// after the first `offset` bytes of `buffer`: `pieceCount` of them. Plain pointers: the JSON pieces are kept
    /// alive by `owners`, lent bytes by their lender until `returnLent()`. Raw memory, as are `vectors` (those of
    /// a gathered write): an array's uniqueness and bounds checks came to some 140 instructions a lent row.
    private let pieces = UnsafeMutablePointer<Piece>.allocate(capacity: BufferedOutput.maximumPieces)
    private var pieceCount = 0
    private var owners: [JSONBytes] = []
    private var pieceBytes = 0
    /// True while `pieces` holds lent bytes.
    private var holdsLent = false
    private let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: 2 * BufferedOutput.maximumPieces + 1)
    private var failure: OutputError?
    private var closed = false

    /// Bytes buffered before they are written.
    static let capacity = 64 * 1024
    /// Pieces gathered into one `writev` at most (two vectors each, under IOV_MAX: 1024 on Linux).
    static let maximumPieces = 500

    private struct Piece {
        var offset: Int
        var base: UnsafeRawPointer
        var count: Int
    }

    /// Opens `path` for writing (created or truncated, mode 0644), or standard output for `-`.
    public init(path: String) throws(OutputError) {
        self.path = path
        if path == "-" {
            descriptor = 1
            ownsDescriptor = false
        } else {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw OutputError(path: path, reason: BufferedOutput.errorText(errno)) }
            descriptor = fd
            ownsDescriptor = true
        }
        isTerminal = isatty(descriptor) == 1
    }

    deinit {
        if !closed {
            flush()
            if ownsDescriptor { _ = Glibc_close(descriptor) }
        }
        pieces.deallocate()
        vectors.deallocate()
    }

    /// Appends text (UTF-8).
    public func write(_ text: String) {
        guard failure == nil else { return }
        buffer.append(text)
        if buffer.count + pieceBytes >= BufferedOutput.capacity { flush() }
    }

    /// Appends bytes (already UTF-8).
    public func write(bytes: [UInt8]) {
        guard failure == nil else { return }
        bytes.withUnsafeBytes { buffer.append($0) }
        if buffer.count + pieceBytes >= BufferedOutput.capacity { flush() }
    }

    /// Appends borrowed bytes (already UTF-8), valid only during the call.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        buffer.append(bytes)
        if buffer.count + pieceBytes >= BufferedOutput.capacity { flush() }
    }

    /// Appends bytes handed over whole (a held session of the JSON document, tens of kilobytes): they go out from
    /// their own storage in the next flush's `writev`, in order with what is buffered around them, instead of
    /// being copied into the buffer first; the system calls stay one per 64 KiB or so.
    public func write(_ piece: JSONBytes) {
        guard failure == nil, piece.count > 0 else { return }
        owners.append(piece)
        add(UnsafeRawPointer(piece.base), count: piece.count)
    }

    /// Appends bytes lent until `returnLent()` (held timeline rows, about 200 bytes each): they go out from where
    /// they are in the next flush's `writev` instead of being copied into the buffer first. The rows were
    /// encoded seconds before and are out of the cache by then; the copy into the buffer was the largest part of
    /// the output thread's `memmove` on the control-heavy benchmark.
    public func write(lent bytes: UnsafeRawBufferPointer) {
        guard failure == nil, let base = bytes.baseAddress, bytes.count > 0 else { return }
        holdsLent = true
        add(base, count: bytes.count)
    }

    /// Writes out the lent bytes not yet written (so their lender may change them); nothing when none is.
    public func returnLent() {
        if holdsLent { flush() }
    }

    @inline(__always)
    private func add(_ base: UnsafeRawPointer, count: Int) {
        (pieces + pieceCount).initialize(to: Piece(offset: buffer.count, base: base, count: count))
        pieceCount += 1
        pieceBytes += count
        if buffer.count + pieceBytes >= BufferedOutput.capacity || pieceCount >= BufferedOutput.maximumPieces {
            flush()
        }
    }

    /// Writes out everything buffered.
    public func flush() {
        guard !buffer.isEmpty || pieceCount > 0 else { return }
        defer {
            buffer.removeAll()
            pieceCount = 0
            owners.removeAll(keepingCapacity: true)
            pieceBytes = 0
            holdsLent = false
        }
        guard failure == nil else { return }
        beforeWrite?()
        if pieceCount > 0 { return writeGathered() }
        buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc_write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = OutputError(path: path, reason: BufferedOutput.errorText(errno))
                    return
                }
                offset += written
            }
        }
    }

    /// The buffer cut at the pieces' offsets, the pieces between, in one `writev` (again for what a short write
    /// left).
    private func writeGathered() {
        buffer.withUnsafeBytes { buffered in
            var count = 0
            func add(_ start: UnsafeRawPointer, _ length: Int) {
                guard length > 0 else { return }
                vectors[count] = iovec(iov_base: UnsafeMutableRawPointer(mutating: start), iov_len: length)
                count += 1
            }
            // Not nil: the buffer's memory is allocated when it is made.
            let base = buffered.baseAddress!
            var start = 0
            for index in 0..<pieceCount {
                let piece = pieces[index]
                add(base + start, piece.offset - start)
                add(piece.base, piece.count)
                start = piece.offset
            }
            add(base + start, buffered.count - start)
            var first = 0
            while first < count {
                let written = Glibc_writev(descriptor, vectors + first, Int32(count - first))
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = OutputError(path: path, reason: BufferedOutput.errorText(errno))
                    return
                }
                var left = written
                while first < count && left >= vectors[first].iov_len {
                    left -= vectors[first].iov_len
                    first += 1
                }
                if left > 0 {
                    vectors[first].iov_base += left
                    vectors[first].iov_len -= left
                }
            }
        }
    }

    /// Flushes and closes; throws the first write error, if any.
    public func close() throws(OutputError) {
        guard !closed else { return }
        flush()
        closed = true
        if ownsDescriptor, Glibc_close(descriptor) != 0, failure == nil {
            failure = OutputError(path: path, reason: BufferedOutput.errorText(errno))
        }
        if let failure { throw failure }
    }

    /// The first write error, if one happened.
    public var error: OutputError? { failure }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// `BufferedOutput`'s buffer: raw memory and a count. A timeline row (about 200 bytes of CSV) appended to a
/// `[UInt8]` went through the array's uniqueness and capacity checks and its generic append, about 80
/// instructions a row besides the copy.
struct OutputBytes: ~Copyable {
    /// Bytes held.
    private(set) var count = 0
    private var capacity: Int
    private var base: UnsafeMutableRawPointer

    /// An empty buffer with room for `capacity` bytes; it grows when a write needs more, and keeps what it has.
    init(capacity: Int) {
        self.capacity = Swift.max(capacity, 64)
        base = .allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    var isEmpty: Bool { count == 0 }

    /// Forgets the bytes, keeping the room.
    mutating func removeAll() { count = 0 }

    /// Borrowed bytes.
    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        if bytes.count > capacity - count { grow(toHold: count + bytes.count) }
        (base + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    /// A string's UTF-8, read where it lies when it can be.
    mutating func append(_ text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ append(UnsafeRawBufferPointer($0)) }) != nil { return }
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// The bytes held, for the duration of `body`.
    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    private mutating func grow(toHold needed: Int) {
        var grown = capacity * 2
        while grown < needed { grown *= 2 }
        let moved = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
        moved.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = moved
        capacity = grown
    }
}

// The methods of the class shadow the C functions of the same names.
private func Glibc_write(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}

private func Glibc_writev(_ fd: Int32, _ vectors: UnsafePointer<iovec>, _ count: Int32) -> Int {
    writev(fd, vectors, count)
}

private func Glibc_close(_ fd: Int32) -> Int32 {
    close(fd)
}
