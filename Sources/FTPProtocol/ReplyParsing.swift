/// Small readers for facts carried in reply text, and pathname resolution for the working-directory tracker.
public enum ReplyParsing {
    /// The pathname of a 257 reply (RFC 959 appendix II): `"/a ""b"""` is `/a "b"`.
    ///
    /// The name is the text between the first `"` and the next `"` not doubled; doubled quotes are one quote.
    /// Servers that ignore appendix II and send an unquoted absolute name (`257 /home/user is cwd`) get their
    /// first word, if it starts with `/`. Nil when there is no name or the quote is never closed.
    public static func parse257Path(_ text: String) -> String? {
        var scalars = text.unicodeScalars[...]
        guard let open = scalars.firstIndex(of: "\"") else {
            let word = text.split(separator: " ", maxSplits: 1).first ?? ""
            return word.hasPrefix("/") ? String(word) : nil
        }
        scalars = scalars[scalars.index(after: open)...]
        var path = String.UnicodeScalarView()
        while let scalar = scalars.first {
            scalars = scalars.dropFirst()
            if scalar == "\"" {
                guard scalars.first == "\"" else { return String(path) }
                scalars = scalars.dropFirst()
            }
            path.append(scalar)
        }
        return nil
    }

    /// The size a 150 reply announces: `Opening BINARY mode data connection for f (1234 bytes).` is 1234.
    ///
    /// RFC 959 gives 150 no size; servers append one in many spellings, so this takes the last number directly
    /// followed (after optional spaces) by the word `bytes`, case-insensitive. The last, because the file name
    /// before it may itself contain such text. Nil when there is none or it overflows `UInt64`.
    public static func parse150Size(_ text: String) -> UInt64? {
        let bytes = Array(text.utf8)
        var found: UInt64?
        var index = 0
        while index < bytes.count {
            guard isDigit(bytes[index]), index == 0 || !isDigit(bytes[index - 1]) else {
                index += 1
                continue
            }
            var end = index
            while end < bytes.count && isDigit(bytes[end]) { end += 1 }
            var word = end
            while word < bytes.count && bytes[word] == 0x20 { word += 1 }
            if word + 5 <= bytes.count, bytes[word..<(word + 5)].map({ $0 | 0x20 }).elementsEqual("bytes".utf8),
                let value = number(bytes[index..<end])
            {
                found = value
            }
            index = end
        }
        return found
    }

    /// The size in a 213 reply to SIZE (RFC 3659 section 4): the text is the number alone.
    ///
    /// A leading `213 ` is skipped if the caller passed the whole line. MDTM also answers 213 (with a
    /// timestamp of digits), so the caller must know the reply answers SIZE.
    public static func parse213Size(_ text: String) -> UInt64? {
        var bytes = Array(text.utf8)[...]
        while let first = bytes.first, first == 0x20 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 { bytes = bytes.dropLast() }
        if bytes.count > 4, bytes.prefix(4).elementsEqual("213 ".utf8) {
            bytes = bytes.dropFirst(4)
            while let first = bytes.first, first == 0x20 { bytes = bytes.dropFirst() }
        }
        return number(bytes)
    }

    /// Resolves a command's pathname argument against the working directory.
    ///
    /// Absolute arguments are normalised alone; relative ones are appended to `cwd`. Normalising removes `.`,
    /// empty components and trailing slashes, and applies `..` (never above `/`). With `cwd == nil` (not known
    /// yet: no PWD or 257 seen) a relative argument is returned as given, since any guess would be wrong. An
    /// empty argument resolves to `cwd`. Only `/` separates components: FTP pathnames are server-defined
    /// (RFC 959 section 3.1.2), and `/` is what nearly every server uses.
    public static func resolvePath(_ argument: String, cwd: String?) -> String {
        if argument.hasPrefix("/") { return normalize(argument) }
        guard let cwd else { return argument }
        if argument.isEmpty { return normalize(cwd) }
        return normalize(cwd.hasSuffix("/") ? cwd + argument : cwd + "/" + argument)
    }

    /// Collapses `.`/`..`/empty components; a relative path stays relative and keeps `..` it cannot apply.
    private static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var components: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".":
                continue
            case "..":
                if let last = components.last, last != ".." {
                    components.removeLast()
                } else if !absolute {
                    components.append(component)
                }
            default:
                components.append(component)
            }
        }
        let joined = components.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// Decimal digits only, 1 to 20 of them, within `UInt64`.
    private static func number(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 20, digits.allSatisfy(isDigit) else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(digit - 0x30))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}
