/// A parsed client command: `VERB[<SP>argument]`.
public struct FTPCommand: Sendable, Equatable {
    /// The verb, recognised from the upper-cased bytes (RFC 959 section 5.3: commands are case-insensitive; only
    /// ASCII letters change). Unknown verbs are `.other` with their spelling, so a report can show what was said.
    public var verb: FTPVerb
    /// The verb as sent (upper-cased, decoded like `FTPLine.text`) when it is not well-formed; nil otherwise.
    ///
    /// Only a malformed verb can be longer than `FTPVerb.Spelling.capacity` or hold bytes that are not letters, so
    /// only those pay for a `String`; `verbText` is what reports print.
    public var malformedVerb: String?
    /// The text after the first space or tab, with leading spaces and tabs removed; `""` when there is none.
    ///
    /// Trailing and interior spaces are kept: RFC 959 pathnames may contain and end with spaces.
    public var argument: String
    /// True when the verb looks like an FTP command: 3 to `FTPCommand.maxVerbLength` ASCII letters, digits allowed
    /// after the first letter (`XMD5`, `XSHA256`). False for binary garbage, TLS records, SSH banners and
    /// anything else that is not a command at all.
    public var isWellFormed: Bool

    /// True when the verb is in `FTPCommandCatalog` (a known verb is always well-formed).
    public var isKnown: Bool { verb.isKnown }

    /// The verb as reports write it: the catalog spelling, or what was sent for an unknown or malformed verb.
    public var verbText: String { malformedVerb ?? verb.name }

    /// Longest verb counted as well-formed. RFC 959 verbs have 3 or 4 letters; extensions run longer
    /// (`XSHA256`, 7), and 8 leaves room without admitting words of prose.
    public static let maxVerbLength = 8

    /// Parses one line from the client. Never fails: anything that is not a command yields `isWellFormed == false`.
    ///
    /// Leading spaces and tabs before the verb are skipped (a few clients indent); the verb ends at the first
    /// space or tab (RFC 959 says `<SP>`, some clients send tabs).
    public static func parse(_ line: FTPLine) -> FTPCommand {
        parse(line, texts: .disabled)
    }

    /// `parse(_:)` with the texts of recent lines to reuse for the argument (`ControlTextCache`), as the control
    /// channel does.
    @inline(__always)
    static func parse(_ line: FTPLine, texts: ControlTextCache) -> FTPCommand {
        let bytes = line.bytes
        var start = 0
        while start < bytes.count && isBlank(bytes[start]) { start += 1 }
        var verbEnd = start
        while verbEnd < bytes.count && !isBlank(bytes[verbEnd]) { verbEnd += 1 }
        var argumentStart = verbEnd
        while argumentStart < bytes.count && isBlank(bytes[argumentStart]) { argumentStart += 1 }
        return parse(verb: bytes[start..<verbEnd], argument: texts.text(bytes[argumentStart...]))
    }

    /// Recognises the verb. The command is made by the implicit memberwise initializer (the initializers are in an
    /// extension so that it exists): it builds the value in one piece, where an explicit initializer stored the
    /// fields into a temporary that was then copied out and destroyed (two retains and two releases of the
    /// argument per command line).
    @inline(__always)
    private static func parse(verb bytes: ArraySlice<UInt8>, argument: String) -> FTPCommand {
        let (spelling, wellFormed) = spellingAndForm(bytes)
        // Upper-case the bytes before decoding, so an escaped invalid byte stays `\xNN`, not `\XNN`.
        return FTPCommand(
            verb: wellFormed ? FTPVerb(spelling) : .other(spelling),
            malformedVerb: wellFormed ? nil : FTPText.decode(bytes.map(upperASCII)[...]), argument: argument,
            isWellFormed: wellFormed)
    }

    /// Parses a line given as text (convenient for tests).
    public static func parse(_ text: String) -> FTPCommand {
        parse(FTPLine(text))
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    private static func upperASCII(_ byte: UInt8) -> UInt8 {
        (0x61...0x7A).contains(byte) ? byte - 0x20 : byte
    }

    /// The verb's spelling (`FTPVerb.Spelling(bytes, upperCasing: true)`) and whether it is well-formed (3 to
    /// `maxVerbLength` bytes, letters of either case, digits after the first), in one pass over its bytes: two
    /// passes were about 130 instructions a command line.
    @inline(__always)
    private static func spellingAndForm(_ bytes: ArraySlice<UInt8>) -> (FTPVerb.Spelling, Bool) {
        var wellFormed = bytes.count >= 3 && bytes.count <= maxVerbLength
        var packed: UInt64 = 0
        var kept = 0
        var index = bytes.startIndex
        let end = bytes.startIndex + min(bytes.count, FTPVerb.Spelling.capacity)
        // Only the first `Spelling.capacity` bytes are looked at: that is `maxVerbLength`, so a longer verb is
        // malformed by its length already.
        while index < end {
            let byte = bytes[index]
            let upper = upperASCII(byte)
            // A letter of either case is an upper-case letter now; a digit may follow the first byte.
            if !((upper >= 0x41 && upper <= 0x5A) || (kept > 0 && byte >= 0x30 && byte <= 0x39)) { wellFormed = false }
            packed |= UInt64(upper) << (8 * UInt64(kept))
            kept += 1
            index += 1
        }
        return (FTPVerb.Spelling(packed: packed, count: UInt8(kept)), wellFormed)
    }

}

extension FTPCommand {
    /// Creates a command from its parts; the verb is upper-cased and recognised as `parse` does.
    public init(verb: String, argument: String = "") {
        self = FTPCommand.parse(verb: Array(verb.utf8)[...], argument: argument)
    }
}
