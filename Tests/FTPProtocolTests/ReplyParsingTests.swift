import FTPProtocol
import TestSupport
import Testing

@Suite("ReplyParsing")
struct ReplyParsingTests {
    @Test(
        "257 pathnames (RFC 959 appendix II)",
        arguments: [
            ("\"/usr/dm\" created.", "/usr/dm" as String?),
            ("\"/usr/dm\" is current directory.", "/usr/dm"),
            ("\"/a \"\"b\"\"\" created", "/a \"b\""),
            ("\"\" is current directory", ""),
            ("MKD command successful: \"/pub/new dir\"", "/pub/new dir"),
            ("\"C:\\Users\\ftp\" is cwd", "C:\\Users\\ftp"),
            ("\"/caf\u{E9}\"", "/caf\u{E9}"),
            ("/home/user is current directory", "/home/user"),  // unquoted, from servers that ignore appendix II
            ("\"/never closed", nil),
            ("MKD command successful.", nil),
            ("", nil),
        ])
    func path257(text: String, expected: String?) {
        #expect(ReplyParsing.parse257Path(text) == expected)
    }

    @Test(
        "150 sizes",
        arguments: [
            ("Opening BINARY mode data connection for file (1234 bytes).", 1234 as UInt64?),
            ("Opening BINARY mode data connection for pub/x.iso (4700000000 bytes)", 4_700_000_000),
            ("Opening ASCII mode data connection for /bin/ls (1234 Bytes)", 1234),
            ("Opening data connection for f (99bytes)", 99),
            ("Opening data connection for \"(12 bytes)\" (34 bytes).", 34),
            ("Here comes the directory listing.", nil),
            ("Opening BINARY mode data connection for f (-5 bytes)", 5),  // the digits are taken; "-" is text
            ("Opening data connection (99999999999999999999999 bytes)", nil),
            ("Opening data connection for file 1234", nil),
        ])
    func size150(text: String, expected: UInt64?) {
        #expect(ReplyParsing.parse150Size(text) == expected)
    }

    @Test(
        "213 sizes",
        arguments: [
            ("1234", 1234 as UInt64?), (" 1234 ", 1234), ("213 1234", 1234), ("0", 0),
            ("18446744073709551615", UInt64.max), ("18446744073709551616", nil), ("12a", nil), ("", nil),
            ("File not found", nil), ("-1", nil),
        ])
    func size213(text: String, expected: UInt64?) {
        #expect(ReplyParsing.parse213Size(text) == expected)
    }

    @Test(
        "path resolution",
        arguments: [
            ("file.txt", "/pub" as String?, "/pub/file.txt"),
            ("file.txt", "/pub/", "/pub/file.txt"),
            ("file.txt", "/", "/file.txt"),
            ("/etc/passwd", "/pub", "/etc/passwd"),
            ("/etc//./passwd/", nil, "/etc/passwd"),
            ("..", "/pub/a", "/pub"),
            ("../..", "/pub/a", "/"),
            ("../../../..", "/pub", "/"),  // never above the root
            ("./x/./y/../z/", "/pub", "/pub/x/z"),
            ("sub dir/ file ", "/pub", "/pub/sub dir/ file "),  // spaces are part of names
            ("", "/pub/a/", "/pub/a"),
            ("relative/../x", nil, "relative/../x"),  // cwd unknown: as given
            ("x", "rel/dir", "rel/dir/x"),  // a relative cwd stays relative
            ("../../x", "rel", "../x"),
            ("..", "rel", "."),  // a relative path that cancels out is "."
            ("..", "/", "/"),
            ("a/../../..", "x", ".."),  // the cwd and the name undone, one ".." left over
            ("caf\u{E9}/./r\u{E9}sum\u{E9}", "/", "/caf\u{E9}/r\u{E9}sum\u{E9}"),
        ] as [(String, String?, String)])
    func resolve(argument: String, cwd: String?, expected: String) {
        #expect(ReplyParsing.resolvePath(argument, cwd: cwd) == expected)
        #expect(Self.lent(ReplyParsing.pathname(argument, cwd: cwd)) == expected)
    }

    /// The bytes `Pathname.withUTF8` lends (the JSON document writes them), as a string to compare with `path`.
    private static func lent(_ pathname: Pathname) -> String {
        var text: String?
        pathname.withUTF8 { text = String(decoding: $0, as: UTF8.self) }
        return text ?? "(nothing lent)"
    }

    /// Joins far longer than a temporary buffer on the stack, normal or not, lend what `path` says.
    @Test func longJoinsLendThePath() {
        let long = String(repeating: "n", count: 100_000)
        for (argument, cwd) in [(long, "/pub"), ("x", "/" + long), (long + "/../y/.", "/pub/" + long), ("..", long)] {
            let pathname = ReplyParsing.pathname(argument, cwd: cwd)
            #expect(Self.lent(pathname) == pathname.path)
        }
    }

    @Test("path resolution agrees with the rule stated over component lists, on random paths")
    func resolveRandom() {
        var generator = SplitMix64(seed: 0x5EED)
        let pieces = ["a", "bc", ".", "..", "", "\u{E9}", "...", ".a", " "]
        func randomPath() -> String {
            let count = Int(generator.next() % 6)
            let joined = (0..<count).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }
                .joined(separator: "/")
            return generator.next() % 2 == 0 ? "/" + joined : joined
        }
        for _ in 0..<5000 {
            let argument = randomPath()
            let cwd: String? = generator.next() % 5 == 0 ? nil : randomPath()
            let expected = Self.resolveByComponents(argument, cwd: cwd)
            #expect(
                ReplyParsing.resolvePath(argument, cwd: cwd) == expected,
                "argument \(argument.debugDescription), cwd \(cwd.debugDescription)")
            #expect(
                Self.lent(ReplyParsing.pathname(argument, cwd: cwd)) == expected,
                "lent: argument \(argument.debugDescription), cwd \(cwd.debugDescription)")
        }
    }

    /// The rule as lists of components: `.` and empty components go, `..` removes the name before it (never above
    /// the root; a relative path keeps the `..`s it cannot apply), a relative argument is taken from the cwd.
    private static func resolveByComponents(_ argument: String, cwd: String?) -> String {
        let path: String
        if argument.hasPrefix("/") {
            path = argument
        } else if let cwd {
            path = argument.isEmpty ? cwd : cwd + "/" + argument
        } else {
            return argument
        }
        let absolute = path.hasPrefix("/")
        var kept: [String] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: false).map(String.init) where !component.isEmpty && component != "." {
            if component != ".." {
                kept.append(component)
            } else if let last = kept.last, last != ".." {
                kept.removeLast()
            } else if !absolute {
                kept.append(component)
            }
        }
        let joined = kept.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }
}
