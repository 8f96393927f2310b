import Crypto
import FTPAnalysis
import NetworkTypes

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One file written by extraction, as listed in the manifest.
public struct ExtractionRecord: Sendable, Hashable {
    /// The session id (`S1`).
    public var session: String
    /// The transfer's 1-based position in the session's `transfers`.
    public var transfer: Int
    /// The data command (nil when it is not in the capture).
    public var command: String?
    /// The transfer's path.
    public var path: String?
    /// What was written.
    public var file: ExtractedFile
    /// True when an earlier run into the same directory had already written this very file (same manifest row,
    /// same size and SHA-256): it was kept, not copied again, and its manifest row not repeated.
    public var alreadyPresent = false
}

/// Counts of what extraction wrote (the summary line on standard error), kept in constant memory.
public struct ExtractionTotals: Sendable, Hashable {
    /// Files written in this run.
    public var files = 0
    /// Bytes of the files written in this run.
    public var bytes: UInt64 = 0
    /// Files written in this run that are partial.
    public var partial = 0
    /// Files an earlier run into the same directory had already written (kept, not written again).
    public var alreadyPresent = 0

    mutating func count(_ file: ExtractedFile, alreadyPresent present: Bool) {
        if present {
            alreadyPresent += 1
            return
        }
        files += 1
        bytes += file.bytes
        if !file.complete { partial += 1 }
    }
}

/// Writes the payload of data connections to files in a directory (`--extract DIR`), with SHA-256, as it streams.
///
/// **What is written.** RETR, STOR, STOU and APPE payloads go to `DIR/`, LIST/NLST/MLSD listings to
/// `DIR/listings/` (and parsed, for the analysis to record as `Transfer.listing`). Downloads and listings are the server's bytes,
/// uploads the client's. Files are saved exactly as sent: a `TYPE A` transfer keeps the line endings of the wire
/// (the JSON document's `type` says which type was in force). A data connection whose command is not in the
/// capture is saved as `…-data` from the side that sent more.
///
/// **Names.** `S<session>-T<n>-<base name>`, where `n` is the transfer's 1-based position in the session's
/// `transfers` (the JSON document's order) and the base name is the last component of the path made safe by
/// `FileNameSanitizer`; listings are `listings/S<session>-T<n>-<LIST|NLST|MLSD>[-<directory>].txt`. An existing
/// name is never overwritten: `-1`, `-2`, … is added before the extension.
///
/// **Safety.** Every file is created with `openat(O_CREAT|O_EXCL|O_NOFOLLOW)` relative to a descriptor of DIR
/// opened with `O_DIRECTORY|O_NOFOLLOW`, under a single-component name, so nothing is written outside DIR and no
/// symbolic link in it is followed. Bytes stream into a temporary file (`.ftpscope-partial-…`, created the same
/// way) because the data connection may carry bytes before its command is known; when the transfer settles the
/// final name is reserved with `O_EXCL` and the temporary file renamed over that reservation (`renameat` replaces
/// the entry itself and never follows a link).
///
/// **Complete or partial.** A file is `complete` when the transfer completed, no byte of it is missing from the
/// capture, and it holds the file from its first byte. It is partial, with a note saying why, when:
/// - bytes are missing from the capture: **the file holds only the captured bytes, joined** (no zeros are
///   invented); the note gives the gaps' offsets in the sender's stream (the first eight) and their total;
/// - the transfer did not complete (`aborted`, `reset`, `incomplete`, `command_failed`, …) or ABOR was sent;
/// - fewer bytes came than the server announced (`150 … (N bytes)`, binary type only: ASCII conversion changes the
///   count);
/// - it started at a REST offset and the earlier part is not in the capture;
/// - the data command is not in the capture.
///
/// **Resumed transfers.** A RETR (or STOR) with a REST offset R is written *into the file of the latest earlier
/// transfer of the same path, same direction, to the same server address* (in the same or an earlier session, any
/// earlier transfer that settled first), at R, when that file holds every byte from its start to at least R with
/// no gap and the resumed stream has no gap either. The resumed transfer's record then names that file, its
/// `bytes` are the bytes it carried, and its `sha256` is that of the whole file as it now is (so a download cut off
/// and resumed yields one file whose hash is the server's file's). The earlier transfer's record keeps the hash of
/// what it had written when it settled. Otherwise the resumed stream is a file of its own, partial.
public final class FileExtractor: DataChannelSink {
    /// The subfolder for listings.
    public static let listingsFolder = "listings"

    /// The directory, as given.
    public let directoryPath: String
    /// Files written, in the order their transfers settled.
    public private(set) var records: [ExtractionRecord] = []
    /// What was written, counted even when `records` is not kept: files written (or recognised), their bytes,
    /// the partial ones, and those an earlier run into DIR had already written.
    public private(set) var totals = ExtractionTotals()
    /// Problems met while writing (a full disk, a name that could not be reserved), one line each.
    public private(set) var warnings: [String] = []
    /// Listing entries kept per listing.
    public var maximumListingEntries = 10_000
    /// Whether `records` is kept (a long live capture can turn it off: the manifest has every row anyway).
    public var keepsRecords = true
    /// Files remembered as candidates for a later REST resumption; beyond this an arbitrary one is forgotten, so
    /// a long live capture does not grow without bound.
    public var maximumResumableFiles = 10_000

    private let root: DirectoryHandle
    private let listings: DirectoryHandle
    private let manifest: Manifest
    private var pending: [ObjectIdentifier: PendingStreams] = [:]
    private var resumable: [ResumeKey: ResumableFile] = [:]
    private var temporaryCounter = 0
    private let temporaryPrefix: String
    private var finished = false

    /// Opens (creating when missing) the directory, its `listings/` subfolder and its manifest.
    /// Throws with a one-line message when DIR is not a directory, is a symbolic link, or is not writable.
    public init(directory: String) throws(ExtractionError) {
        guard !directory.isEmpty else { throw ExtractionError("cannot extract: empty directory name") }
        directoryPath = directory
        root = try DirectoryHandle.make(path: directory, create: true)
        manifest = try Manifest(directory: root)
        listings = try root.subdirectory(Self.listingsFolder)
        temporaryPrefix = ".ftpscope-partial-\(getpid())-"
    }

    deinit { finish() }

    /// Removes what is left of transfers that never settled and closes the manifest. Call after the analysis has
    /// finished (every transfer is settled by then); further calls do nothing.
    public func finish() {
        guard !finished else { return }
        finished = true
        for streams in pending.values {
            streams.server?.discard()
            streams.client?.discard()
        }
        pending.removeAll()
        manifest.close()
    }

    // MARK: - DataChannelSink

    public func dataChannel(
        _ transfer: Transfer, of session: FTPSession, received data: UnsafeRawBufferPointer, fromServer: Bool,
        at time: Timestamp
    ) {
        guard let stream = stream(for: transfer, fromServer: fromServer) else { return }
        stream.append(data)
    }

    public func dataChannel(
        _ transfer: Transfer, of session: FTPSession, gapOf length: UInt64, fromServer: Bool, at time: Timestamp
    ) {
        guard let stream = stream(for: transfer, fromServer: fromServer) else { return }
        stream.gap(length)
    }

    public func dataChannelSettled(_ transfer: Transfer, of session: FTPSession) -> DataChannelResult {
        let streams = pending.removeValue(forKey: ObjectIdentifier(transfer))
        guard !finished else { return DataChannelResult() }
        return settle(transfer, session: session, streams: streams)
    }

    /// The stream that receives bytes from this side, or nil when the command is known and the bytes go the
    /// other way (the commands and acknowledgements of the other side are not file content).
    private func stream(for transfer: Transfer, fromServer: Bool) -> StreamFile? {
        guard !finished else { return nil }
        if transfer.command != nil && fromServer == transfer.isUpload { return nil }
        let key = ObjectIdentifier(transfer)
        let streams = pending[key] ?? PendingStreams()
        pending[key] = streams
        if fromServer {
            if streams.server == nil { streams.server = newStream() }
            return streams.server
        }
        if streams.client == nil { streams.client = newStream() }
        return streams.client
    }

    private func newStream() -> StreamFile {
        StreamFile(directory: root) { [unowned self] in
            temporaryCounter += 1
            return temporaryPrefix + String(temporaryCounter)
        }
    }

    // MARK: - Settling

    /// Writes the transfer's payload and parses its listing; returns what it made (nothing on failure).
    private func settle(_ transfer: Transfer, session: FTPSession, streams: PendingStreams?) -> DataChannelResult {
        let fromServer: Bool
        if transfer.command != nil {
            fromServer = !transfer.isUpload
        } else {
            fromServer = (streams?.server?.bytes ?? 0) >= (streams?.client?.bytes ?? 0)
        }
        let chosen = fromServer ? streams?.server : streams?.client
        (fromServer ? streams?.client : streams?.server)?.discard()
        // A session that was never confirmed as FTP is not reported, so neither are its files.
        guard !session.id.isEmpty, let position = session.transfers.firstIndex(where: { $0 === transfer }) else {
            chosen?.discard()
            return DataChannelResult()
        }
        let index = position + 1
        let stream: StreamFile
        if let chosen, chosen.temporaryName != nil || chosen.writeError != nil {
            stream = chosen
        } else {
            // Nothing captured. An empty file is still the true content of a completed transfer (an empty file, an
            // empty listing); anything else produced no file.
            chosen?.discard()
            guard transfer.command != nil, transfer.status == .completed, transfer.observedConnection != nil,
                transfer.missingBytes == 0
            else { return DataChannelResult() }
            stream = newStream()
            stream.createEmpty()
        }
        let label = "\(session.id) T\(index) \(transfer.command?.name ?? "data")"
        stream.flush()
        if let error = stream.writeError {
            stream.discard()
            warnings.append("\(label): not extracted: \(error)")
            return DataChannelResult()
        }
        var listingEntries: [ListingEntry]?
        if let style = ListingParser.style(of: transfer.command) {
            listingEntries = readListing(stream, style: style)
        }
        let written: ExtractedFile?
        var alreadyPresent = false
        var resumed = false
        if let merged = resumeIntoEarlierFile(transfer, session: session, stream: stream, label: label) {
            written = merged
            resumed = true
        } else if let placed = placeNewFile(transfer, session: session, index: index, stream: stream, label: label) {
            written = placed.file
            alreadyPresent = placed.alreadyPresent
        } else {
            written = nil
        }
        guard let written else { return DataChannelResult() }
        let row = Self.manifestRow(session: session, index: index, transfer: transfer, file: written)
        // A resumed transfer rewrites the same bytes into the same earlier file on a second run: its row is there.
        // (A new file was looked up already, by `placeNewFile`.)
        if resumed { alreadyPresent = manifest.earlierFile(for: row) == written.fileName }
        let result = DataChannelResult(file: written, listing: listingEntries)
        totals.count(written, alreadyPresent: alreadyPresent)
        if keepsRecords {
            records.append(
                ExtractionRecord(
                    session: session.id, transfer: index, command: transfer.command?.name, path: transfer.path, file: written,
                    alreadyPresent: alreadyPresent))
        }
        // A file recognised from an earlier run already has its row: repeating it would list the file twice.
        guard !alreadyPresent else { return result }
        if let error = manifest.write(row: row) { warnings.append("\(label): manifest not written: \(error)") }
        return result
    }

    /// The manifest row of one written file (`Manifest.header`'s columns).
    private static func manifestRow(session: FTPSession, index: Int, transfer: Transfer, file: ExtractedFile)
        -> [String]
    {
        [
            session.id, String(index), transfer.command?.name ?? "", transfer.path ?? "", transfer.mode?.rawValue ?? "",
            String(file.bytes), file.sha256, transfer.status.rawValue, file.fileName,
            transfer.transferType ?? "", transfer.restOffset.map { String($0) } ?? "",
            file.complete ? "complete" : "partial", file.note ?? "",
        ]
    }

    /// Renames the stream's temporary file to its final name (or, when an earlier run into this directory already
    /// wrote the same file, keeps that one and drops the stream); registers it for a later resumption.
    private func placeNewFile(
        _ transfer: Transfer, session: FTPSession, index: Int, stream: StreamFile, label: String
    ) -> (file: ExtractedFile, alreadyPresent: Bool)? {
        let isListing = ListingParser.style(of: transfer.command) != nil
        let target = isListing ? listings : root
        let wanted = Self.fileName(session: session.id, index: index, transfer: transfer)
        guard let temporary = stream.temporaryName else { return nil }
        let digest = stream.digest()
        let restOffset = transfer.restOffset ?? 0
        var reasons = partialReasons(transfer, stream: stream)
        if restOffset > 0 {
            reasons.append(
                "starts at REST offset \(restOffset): the first \(restOffset) bytes are not in this capture")
        }
        var file = ExtractedFile(
            fileName: "", bytes: stream.bytes, sha256: digest, complete: reasons.isEmpty,
            note: reasons.isEmpty ? nil : reasons.joined(separator: "; "))
        let row = Self.manifestRow(session: session, index: index, transfer: transfer, file: file)
        let alreadyPresent = manifest.earlierFile(for: row).flatMap {
            Self.sameFile($0, in: root, listings: listings, bytes: stream.bytes, sha256: digest)
        }
        let finalName: String
        if let alreadyPresent {
            stream.discard()
            finalName = alreadyPresent
        } else {
            switch Self.reserveAndRename(temporary, from: root, to: target, wanted: wanted) {
            case .success(let name):
                finalName = name
            case .failure(let error):
                stream.discard()
                warnings.append("\(label): not extracted: \(error.message)")
                return nil
            }
        }
        file.fileName = isListing ? Self.listingsFolder + "/" + finalName : finalName
        if !isListing, let key = ResumeKey(transfer, session: session) {
            if resumable[key] == nil && resumable.count >= maximumResumableFiles {
                resumable.remove(at: resumable.startIndex)
            }
            resumable[key] = ResumableFile(
                name: finalName, start: restOffset, length: stream.bytes, gapFree: stream.missingBytes == 0)
        }
        stream.close()
        return (file, alreadyPresent != nil)
    }

    /// The bare name of `listed` (a manifest `file` cell) when that file is still in DIR (or its listings folder)
    /// as a regular file with this size and SHA-256; nil otherwise, so a changed or removed file is written anew.
    private static func sameFile(
        _ listed: String, in root: DirectoryHandle, listings: DirectoryHandle, bytes: UInt64, sha256: String
    ) -> String? {
        let prefix = listingsFolder + "/"
        let (folder, name) =
            listed.hasPrefix(prefix) ? (listings, String(listed.dropFirst(prefix.count))) : (root, listed)
        guard !name.isEmpty, !name.contains("/"), let fd = folder.openExistingRegular(name) else { return nil }
        defer { closeDescriptor(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, UInt64(info.st_size) == bytes, hashFile(fd) == sha256 else { return nil }
        return name
    }

    /// Writes a resumed transfer into the file of its earlier part, when there is one (see the type's rules).
    private func resumeIntoEarlierFile(
        _ transfer: Transfer, session: FTPSession, stream: StreamFile, label: String
    ) -> ExtractedFile? {
        guard let offset = transfer.restOffset, offset > 0, stream.missingBytes == 0,
            let key = ResumeKey(transfer, session: session), var earlier = resumable[key], earlier.gapFree,
            earlier.start <= offset, offset <= earlier.start + earlier.length
        else { return nil }
        guard let target = root.openExistingRegular(earlier.name) else {
            warnings.append("\(label): cannot reopen \(earlier.name) to resume into it: \(errnoText(errno))")
            return nil
        }
        defer { closeDescriptor(target) }
        if let error = Self.copy(from: stream.fd, to: target, at: offset - earlier.start, count: stream.bytes) {
            warnings.append("\(label): cannot write into \(earlier.name): \(error)")
            return nil
        }
        guard let digest = Self.hashFile(target) else {
            warnings.append("\(label): cannot read back \(earlier.name): \(errnoText(errno))")
            return nil
        }
        earlier.length = max(earlier.length, offset - earlier.start + stream.bytes)
        resumable[key] = earlier
        stream.discard()
        var reasons = partialReasons(transfer, stream: stream)
        if earlier.start > 0 {
            reasons.append("the file starts at offset \(earlier.start): the bytes before are not in this capture")
        }
        var note = "resumed at offset \(offset) into \(earlier.name); sha256 is that of the whole file"
        if !reasons.isEmpty { note += "; " + reasons.joined(separator: "; ") }
        return ExtractedFile(
            fileName: earlier.name, bytes: stream.bytes, sha256: digest, complete: reasons.isEmpty, note: note)
    }

    /// Why the stream does not hold the whole transfer (empty when it does), apart from a REST offset.
    private func partialReasons(_ transfer: Transfer, stream: StreamFile) -> [String] {
        var reasons: [String] = []
        if stream.missingBytes > 0 {
            var text =
                "\(stream.missingBytes) bytes missing from the capture in \(stream.gapCount) gap\(stream.gapCount == 1 ? "" : "s")"
            let shown = stream.gaps.map { "\($0.length) at \($0.offset)" }.joined(separator: ", ")
            text += " (\(shown)\(stream.gapCount > stream.gaps.count ? ", …" : ""))"
            text += "; the file holds the captured bytes only, joined"
            reasons.append(text)
        }
        if transfer.command == nil {
            reasons.append("the data command is not in the capture")
        } else if transfer.status != .completed {
            var text = "transfer \(transfer.status.rawValue)"
            if let reply = transfer.reply { text += " (\(reply.code))" }
            // A reset can come after the last byte (a client that left while the server finished sending): say
            // so, since the status alone makes the file look cut short. It stays partial: the status is the fact.
            if stream.missingBytes == 0, transfer.transferType?.uppercased().hasPrefix("I") == true,
                let expected = transfer.expectedSize, (transfer.restOffset ?? 0) + stream.bytes == expected
            {
                text += ", though every one of the \(expected) bytes the server announced is in the file"
            }
            reasons.append(text)
        } else if transfer.abortRequested {
            reasons.append("ABOR was sent during the transfer")
        }
        if transfer.command == .retr, transfer.transferType?.uppercased().hasPrefix("I") == true,
            let expected = transfer.expectedSize
        {
            let end = (transfer.restOffset ?? 0) + stream.bytes + stream.missingBytes
            if end < expected { reasons.append("the server announced \(expected) bytes, the transfer ends at \(end)") }
        }
        return reasons
    }

    /// Parses a listing from the temporary file (it is small, and this keeps bytes that arrived before the command
    /// was known in the listing).
    private func readListing(_ stream: StreamFile, style: ListingParser.Style) -> [ListingEntry] {
        var parser = ListingParser(style: style, maximumEntries: maximumListingEntries)
        guard stream.fd >= 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var offset: UInt64 = 0
        while parser.entries.count < maximumListingEntries {
            let count = buffer.withUnsafeMutableBytes { readSome(stream.fd, into: $0, at: offset) } ?? 0
            if count == 0 { break }
            parser.feed(buffer[0..<count])
            offset += UInt64(count)
        }
        parser.finish()
        return parser.entries
    }

    // MARK: - Names and files

    /// The wanted name of a transfer's file (before any `-N` suffix): see the type's documentation.
    public static func fileName(session: String, index: Int, transfer: Transfer) -> String {
        let prefix = FileNameSanitizer.sanitize(session, fallback: "S0") + "-T\(index)"
        if let command = transfer.command, ListingParser.style(of: command) != nil {
            let directory = FileNameSanitizer.sanitize(transfer.path ?? "", fallback: "")
            return prefix + "-" + command.name + (directory.isEmpty ? "" : "-" + directory) + ".txt"
        }
        guard let command = transfer.command else { return prefix + "-data" }
        let source = transfer.path ?? transfer.argument ?? ""
        return prefix + "-" + FileNameSanitizer.sanitize(source, fallback: command == .stou ? "stou" : "file")
    }

    /// `name` with `-n` before its extension.
    static func numbered(_ name: String, _ number: Int) -> String {
        guard number > 0 else { return name }
        if let dot = name.lastIndex(of: "."), dot != name.startIndex, name[dot...].utf8.count <= 17 {
            return name[..<dot] + "-\(number)" + name[dot...]
        }
        return name + "-\(number)"
    }

    /// Reserves the first free name among `wanted`, `wanted-1`, … in `target` with `O_EXCL`, then renames the
    /// temporary file over the reservation. The reservation is what makes "never overwrite" hold even if another
    /// process creates names meanwhile; `renameat` replaces our own empty entry, never following a link.
    static func reserveAndRename(
        _ temporary: String, from source: DirectoryHandle, to target: DirectoryHandle, wanted: String
    ) -> Result<String, ExtractionError> {
        for number in 0..<10_000 {
            let candidate = numbered(wanted, number)
            guard let fd = target.createExclusive(candidate) else {
                if errno == EEXIST { continue }
                return .failure(ExtractionError("cannot create \(candidate): \(errnoText(errno))"))
            }
            closeDescriptor(fd)
            if renameat(source.fd, temporary, target.fd, candidate) != 0 {
                let reason = errnoText(errno)
                target.remove(candidate)
                return .failure(ExtractionError("cannot rename to \(candidate): \(reason)"))
            }
            return .success(candidate)
        }
        return .failure(ExtractionError("no free name for \(wanted)"))
    }

    /// Copies `count` bytes from the start of `source` to `target` at `offset`.
    static func copy(from source: Int32, to target: Int32, at offset: UInt64, count: UInt64) -> String? {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var done: UInt64 = 0
        while done < count {
            let chunk = buffer.withUnsafeMutableBytes { readSome(source, into: $0, at: done) }
            guard let chunk else { return errnoText(errno) }
            if chunk == 0 { return "the temporary file is shorter than expected" }
            let length = Int(min(UInt64(chunk), count - done))
            if let error = buffer.withUnsafeBytes({
                writeAll(target, UnsafeRawBufferPointer(rebasing: $0[0..<length]), at: offset + done)
            }) {
                return error
            }
            done += UInt64(length)
        }
        return nil
    }

    /// SHA-256 of a whole file, read back in chunks.
    static func hashFile(_ fd: Int32) -> String? {
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var offset: UInt64 = 0
        while true {
            guard let count = buffer.withUnsafeMutableBytes({ readSome(fd, into: $0, at: offset) }) else { return nil }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            offset += UInt64(count)
        }
        return hexDigest(hasher)
    }
}

/// The two directions of one transfer's data connection while its command may still be unknown.
private final class PendingStreams {
    var server: StreamFile?
    var client: StreamFile?
}

/// What identifies "the same file" for a resumption: server host, path, direction.
private struct ResumeKey: Hashable {
    var server: IPAddress
    var path: String
    var upload: Bool

    init?(_ transfer: Transfer, session: FTPSession) {
        guard transfer.command == .retr || transfer.command == .stor, let path = transfer.path, !path.isEmpty
        else { return nil }
        server = session.server.address
        self.path = path
        upload = transfer.isUpload
    }
}

/// A file that a later REST transfer may continue.
private struct ResumableFile {
    /// Its name in DIR.
    var name: String
    /// The transfer offset of its first byte (the REST offset of the transfer that created it).
    var start: UInt64
    /// Bytes in it.
    var length: UInt64
    /// True when no byte in it is missing from the capture (offsets in the file are offsets in the transfer).
    var gapFree: Bool
}
