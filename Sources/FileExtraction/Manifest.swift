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
/// An existing manifest is appended to, never truncated: extraction never overwrites. Its rows are read back
/// first, so a second run into the same directory recognises a file it already wrote (a row equal in every column
/// but `file`, whose file is still there with that size and SHA-256) and neither copies it again nor repeats its
/// row; a different file under a used name gets a suffixed name and a row of its own. The header is written only
/// to an empty file.
final class Manifest {
    /// The columns. The first nine are the issue's; further ones are added at the end only.
    static let header = [
        "session", "transfer", "command", "path", "mode", "bytes", "sha256", "status", "file", "type", "rest_offset",
        "extraction", "note",
    ]
    static let fileName = "manifest.csv"

    /// The column holding the file's name.
    static let fileColumn = 8

    private var fd: Int32
    /// Rows of earlier runs, keyed by every cell but `file` (as written: neutralised), giving that row's file.
    private var earlierFiles: [String: String] = [:]
    /// True when the existing manifest was too large to read back (`ManifestRows.maximumReadBytes`).
    private(set) var earlierRowsUnread = false

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
        } else if let content = ManifestRows.read(fd, size: Int(info.st_size)) {
            for row in ManifestRows.parse(content).dropFirst() where row.count == Self.header.count {
                earlierFiles[Self.key(row)] = row[Self.fileColumn]
            }
        } else {
            earlierRowsUnread = true
        }
    }

    /// The file an earlier run listed for a row equal to `row` in every column but `file`, if any.
    func earlierFile(for row: [String]) -> String? {
        earlierFiles.isEmpty ? nil : earlierFiles[Self.key(row.map(CSVField.neutralised))]
    }

    /// Every cell but the file name, in the form the manifest stores them.
    private static func key(_ cells: [String]) -> String {
        var key = ""
        for (column, cell) in cells.enumerated() where column != fileColumn {
            key += cell
            key += "\u{1F}"
        }
        return key
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
