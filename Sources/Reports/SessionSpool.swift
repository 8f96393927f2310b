#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Session blocks held until the end of the analysis, in an unlinked temporary file, so that the summary can begin
/// with its headline and findings (known only at the end) while memory stays flat however many sessions a capture
/// holds. When no temporary file can be made, the blocks are held in memory instead.
final class SessionSpool {
    private var file: UnsafeMutablePointer<FILE>?
    private var memory: [UInt8] = []
    /// True once anything was written.
    private(set) var isEmpty = true

    init() {
        // tmpfile(3): created in the temporary directory and unlinked already; it goes away when closed.
        file = tmpfile()
    }

    deinit {
        if let file { fclose(file) }
    }

    /// Appends bytes (borrowed: copied before the call returns).
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        isEmpty = false
        var written = 0
        if let file, memory.isEmpty { written = fwrite(base, 1, bytes.count, file) }
        // A full disk: keep what did not fit (and all that follows, to keep the order) in memory rather than
        // lose it.
        if written < bytes.count { memory.append(contentsOf: bytes[written...]) }
    }

    /// Hands everything held to `write` (borrowed bytes), in order and in chunks, then forgets it.
    func drain(_ write: (UnsafeRawBufferPointer) -> Void) {
        if let file {
            fflush(file)
            rewind(file)
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
                if count <= 0 { break }
                chunk.withUnsafeBytes { write(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            }
            fclose(file)
            self.file = tmpfile()
        }
        if !memory.isEmpty { memory.withUnsafeBytes { write($0) } }
        memory.removeAll()
        isEmpty = true
    }
}
