import Crypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A hole in a data stream: bytes the sender sent that are missing from the capture.
public struct StreamGap: Sendable, Hashable {
    /// Where the missing bytes begin, counted in the sender's stream (captured and missing bytes before it).
    public var offset: UInt64
    /// How many bytes are missing.
    public var length: UInt64
}

/// One direction of a data connection being written to a temporary file in the extraction directory, hashed
/// as it goes. The file is created on the first byte; bytes are buffered so that a stream of small segments
/// costs few system calls, and never held whole.
final class StreamFile {
    /// Bytes collected before a `write`: big enough to turn a segment-sized trickle into few system calls, small
    /// enough that many concurrent transfers cost little memory.
    static let bufferSize = 64 * 1024
    /// Gaps remembered individually for the note; further ones are only counted.
    static let maximumGapsKept = 8

    private let directory: DirectoryHandle
    /// The temporary file's name in the directory, once created.
    private(set) var temporaryName: String?
    /// Its descriptor, until closed.
    private(set) var fd: Int32 = -1
    private var buffer: [UInt8] = []
    private var hasher = SHA256()
    /// Captured bytes received (written or buffered).
    private(set) var bytes: UInt64 = 0
    /// Missing bytes reported.
    private(set) var missingBytes: UInt64 = 0
    /// The first gaps.
    private(set) var gaps: [StreamGap] = []
    /// How many gaps in all.
    private(set) var gapCount = 0
    /// The first write error; after it nothing more is written.
    private(set) var writeError: String?
    /// Counter shared by every stream of one extractor, for unique temporary names.
    private let nameSource: () -> String

    init(directory: DirectoryHandle, nameSource: @escaping () -> String) {
        self.directory = directory
        self.nameSource = nameSource
    }

    deinit { discard() }

    /// Appends captured bytes.
    func append(_ data: UnsafeRawBufferPointer) {
        guard !data.isEmpty, writeError == nil else { return }
        if fd < 0 && !create() { return }
        bytes += UInt64(data.count)
        hasher.update(bufferPointer: data)
        if buffer.count + data.count > Self.bufferSize { flush() }
        if data.count >= Self.bufferSize {
            // A large chunk goes straight to the file instead of through the buffer.
            if let error = writeAll(fd, data) { writeError = error }
        } else {
            buffer.append(contentsOf: data)
        }
    }

    /// Creates the (empty) file now: a completed transfer of nothing is still a file.
    func createEmpty() {
        if fd < 0 && writeError == nil { _ = create() }
    }

    /// Notes missing bytes. Nothing is written for them: the file holds only what was captured.
    func gap(_ length: UInt64) {
        if gaps.count < Self.maximumGapsKept { gaps.append(StreamGap(offset: bytes + missingBytes, length: length)) }
        gapCount += 1
        missingBytes += length
    }

    /// Writes out the buffer.
    func flush() {
        guard !buffer.isEmpty, fd >= 0 else { return }
        if writeError == nil {
            if let error = buffer.withUnsafeBytes({ writeAll(fd, $0) }) { writeError = error }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The SHA-256 of every captured byte, lower-case hex.
    func digest() -> String { hexDigest(hasher) }

    /// Flushes and gives up ownership of the temporary file (it has been renamed or copied by the caller).
    func close() {
        flush()
        if fd >= 0 { closeDescriptor(fd) }
        fd = -1
        temporaryName = nil
    }

    /// Closes and deletes the temporary file (the stream is not wanted).
    func discard() {
        if fd >= 0 { closeDescriptor(fd) }
        fd = -1
        if let temporaryName { directory.remove(temporaryName) }
        temporaryName = nil
        buffer = []
    }

    private func create() -> Bool {
        // The name is ours alone (the extractor's prefix and a counter), but O_EXCL still guards against anything
        // planted under it: try further names instead of opening what is there.
        for _ in 0..<100 {
            let name = nameSource()
            if let descriptor = directory.createExclusive(name) {
                fd = descriptor
                temporaryName = name
                buffer.reserveCapacity(Self.bufferSize)
                return true
            }
            if errno != EEXIST { break }
        }
        writeError = "cannot create a temporary file in \(directory.path): \(errnoText(errno))"
        return false
    }
}

/// Lower-case hex of a finished SHA-256.
func hexDigest(_ hasher: SHA256) -> String {
    hasher.finalize().map { byte in
        let hex = String(byte, radix: 16)
        return byte < 16 ? "0" + hex : hex
    }.joined()
}
