import FTPAnalysis
import FTPProtocol

/// Parses directory listings (the payload of LIST, NLST and MLSD) into entries.
///
/// Formats:
/// - MLSD (RFC 3659 section 7): `fact=value;fact=value; name` — `type`, `size` (`sizd` for directories),
///   `modify` (UTC `YYYYMMDDHHMMSS[.sss]`); the `cdir`/`pdir` entries (the directory itself and its parent) are
///   left out, they name no content.
/// - Unix `ls -l` (what nearly every server sends for LIST): permissions, links, owner, group, size, date
///   (`Nov 21 20:30` or `Nov 21  2025`), name; symbolic links as `name -> target` (the name is kept), device
///   files with `major, minor` in place of the size (no size). The owner or group may be missing.
/// - DOS/IIS style: `11-21-26  08:30PM  <DIR>  name` or `… 4096 name`.
/// - NLST: one name per line, type `unknown`.
///
/// Lines it cannot read (a `total 12` header, another format) are skipped. The number of entries and the length
/// of a line are bounded: a listing is attacker-controlled and may be huge.
public struct ListingParser {
    /// What kind of listing the command produces.
    public enum Style: Sendable {
        /// LIST: `ls -l` or DOS lines.
        case list
        /// NLST: names only.
        case names
        /// MLSD: facts and a name.
        case machine
    }

    /// Entries kept at most; the rest are counted in `droppedEntries`.
    public var maximumEntries: Int
    /// Longest line read, in bytes; longer lines are skipped.
    public var maximumLineBytes: Int
    /// The style.
    public let style: Style
    /// The entries so far.
    public private(set) var entries: [ListingEntry] = []
    /// Entries beyond `maximumEntries`, and overlong lines.
    public private(set) var droppedEntries = 0
    private var line: [UInt8] = []
    private var lineTooLong = false

    /// Creates a parser for a listing of `style`.
    public init(style: Style, maximumEntries: Int = 10_000, maximumLineBytes: Int = 4096) {
        self.style = style
        self.maximumEntries = maximumEntries
        self.maximumLineBytes = maximumLineBytes
    }

    /// The style of a data command's listing, or nil when it is not a listing command.
    public static func style(of command: FTPVerb?) -> Style? {
        switch command {
        case .list?: return .list
        case .nlst?: return .names
        case .mlsd?: return .machine
        default: return nil
        }
    }

    /// Parses a whole listing at once.
    public static func parse(_ text: String, style: Style) -> [ListingEntry] {
        var parser = ListingParser(style: style)
        parser.feed(Array(text.utf8))
        parser.finish()
        return parser.entries
    }

    /// Feeds the next bytes of the listing; lines may be split anywhere.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes {
            if byte == 0x0A {
                endLine()
            } else if line.count < maximumLineBytes {
                line.append(byte)
            } else {
                lineTooLong = true
            }
        }
    }

    /// Parses a last line without a line feed.
    public mutating func finish() {
        if !line.isEmpty || lineTooLong { endLine() }
    }

    private mutating func endLine() {
        defer {
            line.removeAll(keepingCapacity: true)
            lineTooLong = false
        }
        if lineTooLong {
            droppedEntries += 1
            return
        }
        if line.last == 0x0D { line.removeLast() }
        guard !line.isEmpty else { return }
        let text = String(decoding: line, as: UTF8.self)
        let entry: ListingEntry?
        switch style {
        case .names: entry = ListingEntry(name: text, type: "unknown", size: nil, modified: nil)
        case .machine: entry = Self.parseMLSD(text)
        case .list: entry = Self.parseUnix(text) ?? Self.parseDOS(text)
        }
        guard let entry else { return }
        if entries.count < maximumEntries {
            entries.append(entry)
        } else {
            droppedEntries += 1
        }
    }

    // MARK: - MLSD

    /// `type=file;size=20000;modify=20261121203000; data.bin` (RFC 3659 section 7.2: facts, one space, name).
    public static func parseMLSD(_ line: String) -> ListingEntry? {
        guard let space = line.firstIndex(of: " ") else { return nil }
        let factsText = line[..<space]
        let name = String(line[line.index(after: space)...])
        guard !name.isEmpty, factsText.contains("=") || factsText.isEmpty else { return nil }
        var facts: [String: Substring] = [:]
        for fact in factsText.split(separator: ";") {
            guard let equals = fact.firstIndex(of: "=") else { continue }
            facts[fact[..<equals].lowercased()] = fact[fact.index(after: equals)...]
        }
        var type = facts["type"].map { $0.lowercased() } ?? "unknown"
        if type == "cdir" || type == "pdir" { return nil }
        if type.hasPrefix("os.unix=slink") || type.hasPrefix("os.unix=symlink") { type = "link" }
        let size = (facts["size"] ?? facts["sizd"]).flatMap { UInt64($0) }
        let modified = facts["modify"].map(String.init)
        return ListingEntry(name: name, type: type, size: size, modified: modified)
    }

    // MARK: - Unix ls -l

    private static let months: Set<Substring> = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]

    /// `-rw-r--r--    1 ftp      ftp          4096 Nov 21 20:30 notes.txt`.
    public static func parseUnix(_ line: String) -> ListingEntry? {
        guard let typeLetter = line.first, "-dlcbps".contains(typeLetter) else { return nil }
        // Fields are separated by runs of spaces; the name is everything after the date, kept exactly.
        var fields: [Range<String.Index>] = []
        var index = line.startIndex
        while index < line.endIndex, fields.count < 12 {
            while index < line.endIndex, line[index] == " " { index = line.index(after: index) }
            guard index < line.endIndex else { break }
            let start = index
            while index < line.endIndex, line[index] != " " { index = line.index(after: index) }
            fields.append(start..<index)
        }
        guard fields.count >= 6, line[fields[0]].count >= 10 else { return nil }
        // The date is "Mon DD HH:MM" or "Mon DD YYYY", after the size; find the month from the left, past the
        // permissions and link count (owner or group may be missing, a group may look like anything).
        var monthField: Int?
        for candidate in 2..<(fields.count - 2) where months.contains(line[fields[candidate]].lowercased()[...]) {
            let day = line[fields[candidate + 1]]
            let timeOrYear = line[fields[candidate + 2]]
            guard let dayNumber = Int(day), (1...31).contains(dayNumber) else { continue }
            guard timeOrYear.contains(":") || (timeOrYear.count == 4 && Int(timeOrYear) != nil) else { continue }
            monthField = candidate
            break
        }
        guard let month = monthField else { return nil }
        let dateEnd = fields[month + 2].upperBound
        guard dateEnd < line.endIndex else { return nil }
        // One space separates the date from the name; further spaces belong to the name.
        var name = String(line[line.index(after: dateEnd)...])
        guard !name.isEmpty else { return nil }
        var size: UInt64?
        let sizeText = line[fields[month - 1]]
        let beforeSize = line[fields[month - 2]]
        if (typeLetter == "c" || typeLetter == "b") && beforeSize.hasSuffix(",") {
            size = nil  // "major, minor" of a device file
        } else {
            size = UInt64(sizeText)
        }
        let type: String
        switch typeLetter {
        case "-": type = "file"
        case "d": type = "dir"
        case "l": type = "link"
        case "c": type = "char_device"
        case "b": type = "block_device"
        case "p": type = "fifo"
        default: type = "socket"
        }
        if typeLetter == "l", let arrow = name.firstRange(of: " -> ") {
            name = String(name[..<arrow.lowerBound])
        }
        guard name != "." && name != ".." else { return nil }
        let modified = line[fields[month].lowerBound..<fields[month + 2].upperBound]
            .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        return ListingEntry(name: name, type: type, size: size, modified: modified)
    }

    // MARK: - DOS

    /// `11-21-26  08:30PM       <DIR>          pub` or `11-21-26  08:30PM   4096 notes.txt` (IIS).
    public static func parseDOS(_ line: String) -> ListingEntry? {
        let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        guard parts.count == 4 else { return nil }
        let date = parts[0]
        let time = parts[1]
        guard date.count >= 8, date.filter({ $0 == "-" || $0 == "/" }).count == 2,
            date.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "/" }),
            time.contains(":"),
            time.uppercased().hasSuffix("AM") || time.uppercased().hasSuffix("PM") || time.count == 5
        else { return nil }
        // The name follows the size column after however many spaces; keep it from its first character.
        let name = String(parts[3].drop { $0 == " " })
        guard !name.isEmpty else { return nil }
        if parts[2] == "<DIR>" {
            return ListingEntry(name: name, type: "dir", size: nil, modified: "\(date) \(time)")
        }
        guard let size = UInt64(parts[2]) else { return nil }
        return ListingEntry(name: name, type: "file", size: size, modified: "\(date) \(time)")
    }
}
