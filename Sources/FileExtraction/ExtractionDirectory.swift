#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why extraction cannot start or a file cannot be written; one line, naming the path and the reason.
public struct ExtractionError: Error, CustomStringConvertible, Sendable {
    /// The message, e.g. `cannot extract to out: not a directory`.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

/// The text of an `errno` value.
func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// A directory opened once, by descriptor, into which every file is created with `openat`.
///
/// Working relative to a descriptor (never by path) is what makes extraction safe against the contents of the
/// directory: a name is a single component without `/` and every open uses `O_NOFOLLOW`, so a symbolic link planted
/// in the directory (by a previous run, another user or the attacker whose files we extract) is never followed,
/// and renaming the directory's parents while we run cannot redirect writes elsewhere.
final class DirectoryHandle {
    /// The descriptor (`O_DIRECTORY|O_NOFOLLOW`).
    let fd: Int32
    /// The path it was opened by, for messages.
    let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Opens `path`, creating it (and its parents) when missing. Fails when it is not a directory, is a symbolic
    /// link, or cannot be opened.
    static func make(path: String, create: Bool) throws(ExtractionError) -> DirectoryHandle {
        if create { try makeDirectories(path) }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ExtractionError("cannot extract to \(path): \(directoryOpenReason(path, errno))") }
        return DirectoryHandle(fd: fd, path: path)
    }

    /// Opens (creating when missing) the subdirectory `name` of this one, never through a symbolic link.
    func subdirectory(_ name: String) throws(ExtractionError) -> DirectoryHandle {
        let shown = path.hasSuffix("/") ? path + name : path + "/" + name
        if mkdirat(fd, name, 0o755) != 0 && errno != EEXIST {
            throw ExtractionError("cannot extract to \(shown): \(errnoText(errno))")
        }
        let sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard sub >= 0 else {
            let code = errno
            throw ExtractionError(
                "cannot extract to \(shown): \(code == ELOOP ? "is a symbolic link" : errnoText(code))")
        }
        return DirectoryHandle(fd: sub, path: shown)
    }

    /// Creates a new, empty regular file called `name` for reading and writing; nil when the name exists (or any
    /// error, with `errno` set). `O_EXCL` makes creation fail on anything already there, a symbolic link
    /// included (dangling or not), so an existing file is never overwritten or followed.
    func createExclusive(_ name: String) -> Int32? {
        // 0o644: extracted files may be hostile programs; they are never made executable.
        let fd = openat(self.fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        return fd >= 0 ? fd : nil
    }

    /// Opens an existing regular file for reading and writing, refusing symbolic links and anything that is not a
    /// regular file (a FIFO would block, a device would be written to).
    func openExistingRegular(_ name: String, append: Bool = false, create: Bool = false) -> Int32? {
        var flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK
        if append { flags |= O_APPEND }
        if create { flags |= O_CREAT }
        let fd = openat(self.fd, name, flags, 0o644)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            errno = EINVAL
            return nil
        }
        // O_NONBLOCK only guarded the open; regular files ignore it, but clear it to be plain.
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK & ~O_CREAT)
        return fd
    }

    /// Removes the entry `name` (a file we created).
    func remove(_ name: String) {
        _ = unlinkat(fd, name, 0)
    }

    /// `mkdir -p`: creates every missing component of `path`.
    private static func makeDirectories(_ path: String) throws(ExtractionError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw ExtractionError("cannot extract to \(path): cannot create \(prefix): \(errnoText(errno))")
            }
            prefix += "/"
        }
    }

    /// Why `open` failed, in the user's terms.
    private static func directoryOpenReason(_ path: String, _ code: Int32) -> String {
        var info = stat()
        if lstat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFLNK { return "is a symbolic link (give the directory it points to)" }
            if (info.st_mode & S_IFMT) != S_IFDIR { return "not a directory" }
        }
        return errnoText(code)
    }
}

/// Writes all of `buffer` at the file's current position (or at `offset`), retrying short writes and EINTR.
/// Returns nil on success, else the `errno` text.
func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: UInt64? = nil) -> String? {
    var done = 0
    while done < buffer.count {
        let pointer = buffer.baseAddress! + done
        let count = buffer.count - done
        let written: Int
        if let offset {
            written = pwrite(fd, pointer, count, off_t(offset + UInt64(done)))
        } else {
            written = write(fd, pointer, count)
        }
        if written < 0 {
            if errno == EINTR { continue }
            return errnoText(errno)
        }
        done += written
    }
    return nil
}

/// Reads up to `buffer.count` bytes at `offset`; returns the count (0 at the end), or nil on error.
func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) -> Int? {
    while true {
        let count = pread(fd, buffer.baseAddress!, buffer.count, off_t(offset))
        if count >= 0 { return count }
        if errno != EINTR { return nil }
    }
}

/// `close(2)`, under a name that methods called `close` do not shadow.
func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}
