/// Turns a file name that came from the wire into one that is safe to create inside the extraction directory.
///
/// The peer chooses these names, so the result must be harmless on any file system and in any terminal or file
/// manager that shows it:
/// - only the last path component is kept (`/` and `\` both separate), skipping `.` and `..`;
/// - control characters (C0, DEL, C1), ANSI escape sequences, Unicode format characters (bidirectional overrides
///   that make `txt.exe` look like `exe.txt`, zero-width characters) and line/paragraph separators are removed;
/// - the characters Windows forbids, `/ \ : * ? " < > |`, become `_`;
/// - leading dots and spaces (hidden files, `..`) and trailing dots and spaces (which Windows drops) are removed;
/// - Windows device names (`CON`, `NUL`, `COM1`, `LPT1`, … with or without an extension) get a leading `_`;
/// - the length is bounded in UTF-8 bytes, keeping a short extension;
/// - an empty result becomes the fallback.
public enum FileNameSanitizer {
    /// Longest base name kept, in UTF-8 bytes (the final name adds a `S<n>-T<n>-` prefix and maybe a `-<n>`
    /// suffix, and must stay under the usual 255-byte limit of a file name).
    public static let defaultMaximumBytes = 120

    /// Longest extension (with its dot) kept when a long name is shortened.
    static let maximumExtensionBytes = 16

    /// The safe base name of `raw`, or `fallback` when nothing usable is left.
    public static func sanitize(_ raw: String, fallback: String = "file", maximumBytes: Int = defaultMaximumBytes)
        -> String
    {
        var scalars = cleanScalars(lastComponent(of: raw))
        trimEdges(&scalars)
        var name = String(String.UnicodeScalarView(scalars))
        if name.isEmpty { return fallback }
        if isReservedDeviceName(name) { name = "_" + name }
        return bounded(name, maximumBytes: max(maximumBytes, 8))
    }

    /// The last path component that is not `.` or `..` (empty when there is none).
    static func lastComponent(of path: String) -> Substring {
        let components = path.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        return components.last { $0 != "." && $0 != ".." } ?? ""
    }

    /// Removes what must not reach a file name and replaces the characters some file systems forbid.
    static func cleanScalars(_ text: Substring) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        var iterator = text.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            if scalar == "\u{1B}" {
                // An ANSI escape: drop the whole sequence, not only ESC, so no `[31m` debris is left. CSI sequences
                // end with a byte in 0x40...0x7E; other escapes are ESC plus one character.
                guard let next = iterator.next() else { break }
                if next == "[" {
                    while let byte = iterator.next(), !(0x40...0x7E).contains(byte.value) {}
                } else if next == "]" {
                    // OSC (window title, hyperlinks): up to BEL or ST.
                    while let byte = iterator.next(), byte != "\u{07}", byte != "\u{1B}" {}
                }
                continue
            }
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse:
                continue
            default:
                break
            }
            if "/\\:*?\"<>|".unicodeScalars.contains(scalar) {
                result.append("_")
            } else {
                result.append(scalar)
            }
        }
        return result
    }

    /// Leading dots and spaces hide a file or make it `..`; trailing ones are dropped by Windows.
    static func trimEdges(_ scalars: inout [Unicode.Scalar]) {
        let edge: (Unicode.Scalar) -> Bool = { $0 == "." || $0.properties.isWhitespace }
        while let first = scalars.first, edge(first) { scalars.removeFirst() }
        while let last = scalars.last, edge(last) { scalars.removeLast() }
    }

    /// Windows device names, which open a device instead of a file whatever the extension (`NUL.txt` too).
    static func isReservedDeviceName(_ name: String) -> Bool {
        let stem = name.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let upper = stem.trimmingTrailingSpaces.uppercased()
        if ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"].contains(upper) { return true }
        if upper.count == 4, upper.hasPrefix("COM") || upper.hasPrefix("LPT"), let last = upper.last {
            return "0123456789¹²³".contains(last)
        }
        return false
    }

    /// Shortens `name` to `maximumBytes` of UTF-8, keeping its extension when it has a short one. Cuts between
    /// Unicode scalars, so the result is valid UTF-8.
    static func bounded(_ name: String, maximumBytes: Int) -> String {
        guard name.utf8.count > maximumBytes else { return name }
        var stem = Substring(name)
        var ext = ""
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            let candidate = name[dot...]
            if candidate.utf8.count <= maximumExtensionBytes && candidate.utf8.count > 1 {
                ext = String(candidate)
                stem = name[..<dot]
            }
        }
        let budget = maximumBytes - ext.utf8.count
        var kept = String.UnicodeScalarView()
        var used = 0
        for scalar in stem.unicodeScalars {
            let size = UTF8.width(scalar)
            if used + size > budget { break }
            kept.append(scalar)
            used += size
        }
        var result = String(kept)
        // The cut may leave a trailing dot or space, which Windows drops.
        while let last = result.unicodeScalars.last, last == "." || last.properties.isWhitespace {
            result.unicodeScalars.removeLast()
        }
        return result + ext
    }
}

extension Substring {
    fileprivate var trimmingTrailingSpaces: Substring {
        var text = self
        while let last = text.last, last == " " { text.removeLast() }
        return text
    }
}
