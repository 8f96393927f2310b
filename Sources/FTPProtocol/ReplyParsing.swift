/// Small readers for facts carried in reply text, and pathname resolution for the working-directory tracker.
public enum ReplyParsing {
    /// The pathname of a 257 reply (RFC 959 appendix II): `"/a ""b"""` is `/a "b"`.
    ///
    /// The name is the text between the first `"` and the next `"` not doubled; doubled quotes are one quote.
    /// Servers that ignore appendix II and send an unquoted absolute name (`257 /home/user is cwd`) get their
    /// first word, if it starts with `/`. Nil when there is no name or the quote is never closed.
    public static func parse257Path(_ text: String) -> String? {
        // Byte by byte: `"` and space are ASCII, and no byte of a multi-byte UTF-8 sequence equals either, so
        // positions found in the bytes are scalar boundaries and the pieces stay valid text.
        var text = text
        return text.withUTF8 { bytes -> String? in
            guard let open = bytes.firstIndex(of: 0x22) else {
                var start = 0
                while start < bytes.count && bytes[start] == 0x20 { start += 1 }
                guard start < bytes.count, bytes[start] == UInt8(ascii: "/") else { return nil }
                var end = start
                while end < bytes.count && bytes[end] != 0x20 { end += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
            var index = open + 1
            var hasDoubled = false
            while index < bytes.count {
                if bytes[index] == 0x22 {
                    guard index + 1 < bytes.count, bytes[index + 1] == 0x22 else {
                        let inner = UnsafeBufferPointer(rebasing: bytes[(open + 1)..<index])
                        return hasDoubled ? undoubled(inner) : String(decoding: inner, as: UTF8.self)
                    }
                    hasDoubled = true
                    index += 2
                    continue
                }
                index += 1
            }
            return nil
        }
    }

    /// The name inside a 257 reply's quotes with each doubled `"` made one.
    private static func undoubled(_ inner: UnsafeBufferPointer<UInt8>) -> String {
        var path: [UInt8] = []
        path.reserveCapacity(inner.count)
        var index = 0
        while index < inner.count {
            path.append(inner[index])
            index += inner[index] == 0x22 ? 2 : 1
        }
        return String(decoding: path, as: UTF8.self)
    }

    /// The size a 150 reply announces: `Opening BINARY mode data connection for f (1234 bytes).` is 1234.
    ///
    /// RFC 959 gives 150 no size; servers append one in many spellings, so this takes the last number directly
    /// followed (after optional spaces) by the word `bytes`, case-insensitive. The last, because the file name
    /// before it may itself contain such text. Nil when there is none or it overflows `UInt64`.
    public static func parse150Size(_ text: String) -> UInt64? {
        // On the UTF-8 bytes in place: a copy into an array cost an allocation for every 150 reply.
        //
        // Read from the end: each `bytes` word, last first, with the spaces and the digit run before it; the first
        // that gives a number is the last number so followed. (Read from the start, every digit run of the text
        // was measured and followed, a few hundred instructions per 150 reply; the size is near the end.)
        var text = text
        return text.withUTF8 { bytes -> UInt64? in
            var word = bytes.count - 5
            while word >= 0 {
                if isBytesWord(bytes, at: word) {
                    var end = word
                    while end > 0 && bytes[end - 1] == 0x20 { end -= 1 }
                    var start = end
                    while start > 0 && isDigit(bytes[start - 1]) { start -= 1 }
                    if start < end, let value = number(UnsafeBufferPointer(rebasing: bytes[start..<end])) {
                        return value
                    }
                }
                word -= 1
            }
            return nil
        }
    }

    /// True when `bytes` hold the word `bytes` at `start`, in any case.
    private static func isBytesWord(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        let word: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0x62, 0x79, 0x74, 0x65, 0x73)  // "bytes"
        return bytes[start] | 0x20 == word.0 && bytes[start + 1] | 0x20 == word.1 && bytes[start + 2] | 0x20 == word.2
            && bytes[start + 3] | 0x20 == word.3 && bytes[start + 4] | 0x20 == word.4
    }

    /// The size in a 213 reply to SIZE (RFC 3659 section 4): the text is the number alone.
    ///
    /// A leading `213 ` is skipped if the caller passed the whole line. MDTM also answers 213 (with a
    /// timestamp of digits), so the caller must know the reply answers SIZE.
    public static func parse213Size(_ text: String) -> UInt64? {
        var text = text
        return text.withUTF8 { whole -> UInt64? in
            var start = 0
            var end = whole.count
            while start < end && whole[start] == 0x20 { start += 1 }
            while end > start && whole[end - 1] == 0x20 { end -= 1 }
            if end - start > 4, whole[start] == 0x32, whole[start + 1] == 0x31, whole[start + 2] == 0x33,
                whole[start + 3] == 0x20
            {
                start += 4
                while start < end && whole[start] == 0x20 { start += 1 }
            }
            return number(UnsafeBufferPointer(rebasing: whole[start..<end]))
        }
    }

    /// Resolves a command's pathname argument against the working directory.
    ///
    /// Absolute arguments are normalised alone; relative ones are appended to `cwd`. Normalising removes `.`,
    /// empty components and trailing slashes, and applies `..` (never above `/`). With `cwd == nil` (not known
    /// yet: no PWD or 257 seen) a relative argument is returned as given, since any guess would be wrong. An
    /// empty argument resolves to `cwd`. Only `/` separates components: FTP pathnames are server-defined
    /// (RFC 959 section 3.1.2), and `/` is what nearly every server uses.
    public static func resolvePath(_ argument: String, cwd: String?) -> String {
        pathname(argument, cwd: cwd).path
    }

    /// `resolvePath(argument, cwd: cwd)` with the join of a relative argument to the working directory left for
    /// when the path is read (`Pathname.path`): that join is a new string (one per data command and SIZE), made
    /// on the analysis thread for outputs that read it on theirs.
    public static func pathname(_ argument: String, cwd: String?) -> Pathname {
        if argument.utf8.first == UInt8(ascii: "/") { return .resolved(normalize(argument)) }
        guard let cwd else { return .resolved(argument) }
        if argument.isEmpty { return .resolved(normalize(cwd)) }
        return .relative(argument, cwd: cwd)
    }

    /// `cwd` and `argument` with one `/` between them, made in one allocation (two `+` made two strings).
    ///
    /// The bytes are read in place where the strings are contiguous (native strings always are): `withUTF8`
    /// mutates, so it needed a copy of each string (a retain and a release per path resolved).
    fileprivate static func joined(_ cwd: String, _ argument: String) -> String {
        let inPlace = cwd.utf8.withContiguousStorageIfAvailable { head in
            argument.utf8.withContiguousStorageIfAvailable { tail in joined(head, tail) }
        }
        if let inPlace, let made = inPlace { return made }
        var cwd = cwd
        var argument = argument
        return cwd.withUTF8 { head in argument.withUTF8 { tail in joined(head, tail) } }
    }

    /// The join assembled in a temporary buffer (on the stack) and made a string by `String(decoding:as:)`, whose
    /// ASCII check reads eight bytes at a time. Written in place through `String(unsafeUninitializedCapacity:)`,
    /// the result was validated byte by byte afterwards (about 340 instructions a path resolved, one per CWD and
    /// data command); appended piece by piece into a reserved string, each append cost more than that.
    private static func joined(_ head: UnsafeBufferPointer<UInt8>, _ tail: UnsafeBufferPointer<UInt8>) -> String {
        withJoin(head, tail) { String(decoding: $0, as: UTF8.self) }
    }

    /// `head`, a `/` unless it ends with one, and `tail`, in a temporary buffer lent to `body`.
    private static func withJoin<Result>(
        _ head: UnsafeBufferPointer<UInt8>, _ tail: UnsafeBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result {
        let slash = head.last == UInt8(ascii: "/") ? 0 : 1
        let count = head.count + slash + tail.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { out in
            let raw = UnsafeMutableRawBufferPointer(out)
            raw.copyMemory(from: UnsafeRawBufferPointer(head))
            if slash == 1 { raw[head.count] = UInt8(ascii: "/") }
            UnsafeMutableRawBufferPointer(rebasing: raw[(head.count + slash)...])
                .copyMemory(from: UnsafeRawBufferPointer(tail))
            return body(UnsafeBufferPointer(out))
        }
    }

    /// A string's UTF-8 lent to `body`, read in place where it is contiguous (a native string always is;
    /// `withUTF8` needs a mutable copy, a retain and a release).
    fileprivate static func withUTF8(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if text.utf8.withContiguousStorageIfAvailable(body) != nil { return }
        var text = text
        text.withUTF8(body)
    }

    /// `normalize(joined(cwd, argument))`'s bytes lent to `body`: the join (`withJoin`) lent as it is when it is
    /// normal (nearly always), else its normal form.
    fileprivate static func withNormalJoin(
        _ head: UnsafeBufferPointer<UInt8>, _ tail: UnsafeBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        withJoin(head, tail) { joined in
            if isNormal(joined) { return body(joined) }
            normalized(joined).withUnsafeBufferPointer(body)
        }
    }

    /// Collapses `.`/`..`/empty components; a relative path stays relative and keeps `..` it cannot apply.
    ///
    /// Works on the UTF-8 bytes (`/` and `.` are ASCII and never part of a multi-byte sequence). A path that is
    /// already normal, as nearly every path a client sends is, comes back as it is, without a copy.
    static func normalize(_ path: String) -> String {
        // In place where contiguous (see `joined`), else through a copy.
        let inPlace = path.utf8.withContiguousStorageIfAvailable { bytes in
            isNormal(bytes) ? nil : String(decoding: normalized(bytes), as: UTF8.self)
        }
        if let inPlace { return inPlace ?? path }
        var path = path
        return path.withUTF8 { bytes in
            isNormal(bytes) ? nil : String(decoding: normalized(bytes), as: UTF8.self)
        } ?? path
    }

    /// What a component is to the normaliser.
    private enum Component {
        case current, parent, name
    }

    private static func kind(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Component {
        guard end - start <= 2, bytes[start] == UInt8(ascii: ".") else { return .name }
        if end - start == 1 { return .current }
        return bytes[start + 1] == UInt8(ascii: ".") ? .parent : .name
    }

    /// True when normalising would return the same bytes: not empty, no empty, `.` or `..` component, no
    /// trailing `/` (except the root itself).
    private static func isNormal(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty else { return false }
        if bytes.count == 1 && bytes[0] == UInt8(ascii: "/") { return true }
        var start = bytes[0] == UInt8(ascii: "/") ? 1 : 0
        while true {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "/") { end += 1 }
            if end == start || kind(bytes, start, end) != .name { return false }
            if end == bytes.count { return true }
            start = end + 1
        }
    }

    /// The normal form built component by component; `..` removes the last name kept (back to its `/`).
    private static func normalized(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let absolute = bytes.first == UInt8(ascii: "/")
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 1)
        var names = 0  // names kept (a relative path's leading `..`s are not names: they cannot be undone)
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "/") { end += 1 }
            defer { start = end + 1 }
            if end == start { continue }
            switch kind(bytes, start, end) {
            case .current:
                continue
            case .parent where names > 0:
                while let last = output.popLast(), last != UInt8(ascii: "/") {}
                names -= 1
                continue
            case .parent where absolute:
                continue  // never above the root
            case .parent, .name:
                if absolute || !output.isEmpty { output.append(UInt8(ascii: "/")) }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<end]))
                if kind(bytes, start, end) == .name { names += 1 }
            }
        }
        if output.isEmpty { output.append(absolute ? UInt8(ascii: "/") : UInt8(ascii: ".")) }
        return output
    }

    /// Decimal digits only, 1 to 20 of them, within `UInt64`.
    private static func number(_ digits: UnsafeBufferPointer<UInt8>) -> UInt64? {
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

/// A pathname resolved against the working directory (`ReplyParsing.resolvePath`), or its two parts, joined and
/// normalised when `path` is read: the parts are strings the session already holds (a retain each), the join a
/// new string.
public enum Pathname: Sendable, Equatable {
    /// Resolved already (absolute, or nothing to join).
    case resolved(String)
    /// A relative argument and the working directory it is resolved against.
    case relative(String, cwd: String)

    /// The resolved pathname.
    public var path: String {
        switch self {
        case .resolved(let path): return path
        case .relative(let argument, let cwd): return ReplyParsing.normalize(ReplyParsing.joined(cwd, argument))
        }
    }

    /// `path`'s UTF-8 bytes lent to `body`: a relative one joined in a temporary buffer (on the stack for any
    /// usual length) and normalised only when the join is not normal already, as `path` does, but without making
    /// a string of it. The JSON document writes the path of every transfer: through `path`, an allocation and
    /// about 490 instructions a transfer on the control-heavy benchmark.
    public func withUTF8(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        switch self {
        case .resolved(let path):
            ReplyParsing.withUTF8(of: path, body)
        case .relative(let argument, let cwd):
            ReplyParsing.withUTF8(of: cwd) { head in
                ReplyParsing.withUTF8(of: argument) { tail in ReplyParsing.withNormalJoin(head, tail, body) }
            }
        }
    }

    /// True when both resolve to the same pathname (however they are held); the same parts are the same path
    /// without joining them.
    public static func == (lhs: Pathname, rhs: Pathname) -> Bool {
        switch (lhs, rhs) {
        case (.resolved(let a), .resolved(let b)): return a == b
        case (.relative(let a, let aCwd), .relative(let b, let bCwd)) where a == b && aCwd == bCwd: return true
        default: return lhs.path == rhs.path
        }
    }
}
