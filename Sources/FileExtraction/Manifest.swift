#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Reports

/// `DIR/manifest.csv`: one row per extracted transfer, written (and flushed) as each transfer settles, so a live
/// capture that is stopped leaves a manifest of what was written.
///
/// An existing manifest is appended to, never truncated: extraction never overwrites, and a second run into the
/// same directory adds its files (with suffixed names) and its rows. The header is written only to an empty file.
final class Manifest {
    /// The columns. The first nine are the issue's; further ones are added at the end only.
    static let header = [
        "session", "transfer", "command", "path", "mode", "bytes", "sha256", "status", "file", "type", "rest_offset",
        "extraction", "note",
    ]
    static let fileName = "manifest.csv"

    private var fd: Int32

    init(directory: DirectoryHandle) throws(ExtractionError) {
        let shown =
            directory.path.hasSuffix("/") ? directory.path + Self.fileName : directory.path + "/" + Self.fileName
        guard let fd = directory.openExistingRegular(Self.fileName, append: true, create: true) else {
            let code = errno
            let reason =
                code == EACCES || code == EROFS || code == EPERM
                ? "not writable (\(errnoText(code)))"
                : code == ELOOP ? "is a symbolic link" : code == EINVAL ? "not a regular file" : errnoText(code)
            throw ExtractionError("cannot extract to \(directory.path): \(shown): \(reason)")
        }
        self.fd = fd
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size == 0 {
            if let error = write(row: Self.header) {
                throw ExtractionError("cannot extract to \(directory.path): \(shown): \(error)")
            }
        }
    }

    deinit { close() }

    /// Appends one row; returns the error text if the write failed.
    @discardableResult
    func write(row: [String]) -> String? {
        guard fd >= 0 else { return "closed" }
        let line = row.map(Self.cell).joined(separator: ",") + "\r\n"
        return Array(line.utf8).withUnsafeBytes { writeAll(fd, $0) }
    }

    /// Closes the file.
    func close() {
        if fd >= 0 { closeDescriptor(fd) }
        fd = -1
    }

    /// One CSV cell (RFC 4180): quoted when it holds a comma, quote, CR or LF; and, because these names come
    /// from the wire and the manifest is opened in spreadsheets, a cell starting with `=`, `+`, `-`, `@`, tab or
    /// CR gets a leading `'` so it is not run as a formula (the SPEC's timeline rule).
    static func cell(_ value: String) -> String {
        CSVField.quoted(CSVField.neutralised(value))
    }
}
