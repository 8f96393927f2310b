#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Positioned reads and writes of the temporary files behind the findings spool (`RecordSpool`) and the held
/// timeline rows (`SpilledRun`): both retry an interrupted call and carry on after a short one.
enum PositionedIO {
    /// Writes all of `bytes` at `offset`; false when the system refuses them (a full disk).
    static func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var done = 0
        while done < bytes.count {
            let result = pwrite(descriptor, base + done, bytes.count - done, off_t(offset + done))
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { return false }
            done += result
        }
        return true
    }

    /// Reads up to `count` bytes at `offset` into `destination`, stopping early only at the end of the file or on
    /// an error; the bytes read, and the error's `errno` if there was one.
    static func read(
        _ descriptor: Int32, into destination: UnsafeMutableRawPointer, count: Int, at offset: Int
    ) -> (count: Int, error: Int32?) {
        var done = 0
        while done < count {
            let result = pread(descriptor, destination + done, count - done, off_t(offset + done))
            if result < 0 && errno == EINTR { continue }
            if result < 0 { return (done, errno) }
            if result == 0 { break }
            done += result
        }
        return (done, nil)
    }
}
