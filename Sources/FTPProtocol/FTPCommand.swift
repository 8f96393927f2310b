/// A parsed client command: `VERB[<SP>argument]`.
public struct FTPCommand: Sendable, Equatable {
    /// The verb, upper-cased (RFC 959 section 5.3: commands are case-insensitive; only ASCII letters change).
    /// Unknown and malformed verbs are kept as sent (upper-cased), so a report can show what the client said.
    public var verb: String
    /// The text after the first space or tab, with leading spaces and tabs removed; `""` when there is none.
    ///
    /// Trailing and interior spaces are kept: RFC 959 pathnames may contain and end with spaces.
    public var argument: String
    /// True when the verb is in `FTPCommandCatalog`.
    public var isKnown: Bool
    /// True when the verb looks like an FTP command: 3 to `FTPCommand.maxVerbLength` ASCII letters, digits allowed
    /// after the first letter (`XMD5`, `XSHA256`). False for binary garbage, TLS records, SSH banners and
    /// anything else that is not a command at all.
    public var isWellFormed: Bool

    /// Longest verb counted as well-formed. RFC 959 verbs have 3 or 4 letters; extensions run longer
    /// (`XSHA256`, 7), and 8 leaves room without admitting words of prose.
    public static let maxVerbLength = 8

    /// Creates a command from its parts; `isKnown` and `isWellFormed` are derived from the verb.
    public init(verb: String, argument: String = "") {
        let upper = String(decoding: verb.utf8.map(FTPCommand.upperASCII), as: UTF8.self)
        self.verb = upper
        self.argument = argument
        isKnown = FTPCommandCatalog.isKnown(upper)
        isWellFormed = FTPCommand.isWellFormedVerb(upper.utf8)
    }

    /// Parses one line from the client. Never fails: anything that is not a command yields `isWellFormed == false`.
    ///
    /// Leading spaces and tabs before the verb are skipped (a few clients indent); the verb ends at the first
    /// space or tab (RFC 959 says `<SP>`, some clients send tabs).
    public static func parse(_ line: FTPLine) -> FTPCommand {
        let bytes = line.bytes
        var start = 0
        while start < bytes.count && isBlank(bytes[start]) { start += 1 }
        var verbEnd = start
        while verbEnd < bytes.count && !isBlank(bytes[verbEnd]) { verbEnd += 1 }
        var argumentStart = verbEnd
        while argumentStart < bytes.count && isBlank(bytes[argumentStart]) { argumentStart += 1 }

        // Upper-case the bytes before decoding, so an escaped invalid byte stays `\xNN`, not `\XNN`.
        let verbBytes = bytes[start..<verbEnd].map(upperASCII)
        let verb = FTPText.decode(verbBytes[...])
        let wellFormed = isWellFormedVerb(verbBytes)
        return FTPCommand(
            verb: verb, argument: FTPText.decode(bytes[argumentStart...]),
            isKnown: wellFormed && FTPCommandCatalog.isKnown(verb), isWellFormed: wellFormed)
    }

    private init(verb: String, argument: String, isKnown: Bool, isWellFormed: Bool) {
        self.verb = verb
        self.argument = argument
        self.isKnown = isKnown
        self.isWellFormed = isWellFormed
    }

    /// Parses a line given as text (convenient for tests).
    public static func parse(_ text: String) -> FTPCommand {
        parse(FTPLine(text))
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    private static func upperASCII(_ byte: UInt8) -> UInt8 {
        (0x61...0x7A).contains(byte) ? byte - 0x20 : byte
    }

    private static func isWellFormedVerb(_ verb: some Collection<UInt8>) -> Bool {
        guard (3...maxVerbLength).contains(verb.count), let first = verb.first, (0x41...0x5A).contains(first) else {
            return false
        }
        return verb.allSatisfy { (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) }
    }
}
