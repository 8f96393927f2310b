import FTPAnalysis
import Testing

@testable import FileExtraction

/// The name sanitizer, on names an attacker would choose.
@Suite struct FileNameSanitizerTests {
    @Test(arguments: [
        ("notes.txt", "notes.txt"),
        ("../../etc/passwd", "passwd"),
        ("/abs/path", "path"),
        ("/etc/", "etc"),
        ("dir/..", "dir"),
        ("..", "file"),
        ("/", "file"),
        ("", "file"),
        ("...", "file"),
        ("C:\\Windows\\System32\\evil.dll", "evil.dll"),
        ("a\\..\\..\\b.txt", "b.txt"),
        (".bashrc", "bashrc"),
        ("..hidden..", "hidden"),
        ("  spaced name.txt  ", "spaced name.txt"),
        ("trailing.", "trailing"),
        ("bell\u{07}and\u{00}nul", "bellandnul"),
        ("line\nbreak\r.txt", "linebreak.txt"),
        ("red\u{1B}[31mtext\u{1B}[0m.txt", "redtext.txt"),
        ("title\u{1B}]0;pwned\u{07}.txt", "title.txt"),
        ("c1\u{9B}control", "c1control"),
        ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
        ("zero\u{200B}width", "zerowidth"),
        ("sep\u{2028}arator", "separator"),
        ("a:b*c?d\"e<f>g|h", "a_b_c_d_e_f_g_h"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("NUL", "_NUL"),
        ("Aux.tar.gz", "_Aux.tar.gz"),
        ("COM1", "_COM1"),
        ("lpt9.log", "_lpt9.log"),
        ("COM10", "COM10"),
        ("CONSOLE", "CONSOLE"),
        ("über café.txt", "über café.txt"),
        ("日本語.txt", "日本語.txt"),
    ])
    func sanitize(raw: String, expected: String) {
        #expect(FileNameSanitizer.sanitize(raw) == expected)
    }

    @Test func longNamesAreBoundedAndKeepTheirExtension() {
        let long = String(repeating: "x", count: 10_000) + ".tar.gz"
        let name = FileNameSanitizer.sanitize(long)
        #expect(name.utf8.count == 120)
        #expect(name.hasSuffix("x.gz"))
        let multibyte = String(repeating: "é", count: 5000) + ".txt"
        let bounded = FileNameSanitizer.sanitize(multibyte)
        #expect(bounded.utf8.count <= 120)
        #expect(bounded.hasSuffix("é.txt"))
        #expect(bounded.unicodeScalars.allSatisfy { $0 == "é" || ".txt".unicodeScalars.contains($0) })
        // A long "extension" is not one: the name is cut.
        let noExtension = FileNameSanitizer.sanitize("a." + String(repeating: "b", count: 500))
        #expect(noExtension.utf8.count == 120)
    }

    @Test func resultIsAlwaysASingleSafeComponent() {
        let samples = [
            "../", "./.", "\\\\server\\share\\..", "a/b/../../..", "\u{1B}[2J", ". . .", "..\u{202E}..", "/..//../",
            String(repeating: "../", count: 1000),
        ]
        for raw in samples {
            let name = FileNameSanitizer.sanitize(raw)
            #expect(!name.isEmpty)
            #expect(!name.contains("/") && !name.contains("\\"))
            #expect(!name.hasPrefix("."))
            #expect(name != "." && name != "..")
        }
    }

    @Test func numberedSuffixGoesBeforeTheExtension() {
        #expect(FileExtractor.numbered("S1-T2-notes.txt", 0) == "S1-T2-notes.txt")
        #expect(FileExtractor.numbered("S1-T2-notes.txt", 2) == "S1-T2-notes-2.txt")
        #expect(FileExtractor.numbered("S1-T2-README", 1) == "S1-T2-README-1")
    }
}

@Suite struct ManifestCellTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("a,b", "\"a,b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("two\r\nlines", "\"two\r\nlines\""),
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "\"'\rx\""),
        ("=HYPERLINK(\"a\",\"b\")", "\"'=HYPERLINK(\"\"a\"\",\"\"b\"\")\""),
        ("", ""),
    ])
    func cell(value: String, expected: String) {
        #expect(Manifest.cell(value) == expected)
    }
}

@Suite struct ListingParserTests {
    @Test(arguments: [
        (
            "-rw-r--r--    1 ftp      ftp          4096 Nov 21 20:30 notes.txt",
            ListingEntry(name: "notes.txt", type: "file", size: 4096, modified: "Nov 21 20:30")
        ),
        (
            "-rw-r--r-- 1 ftp ftp 4096 Nov 21 20:30 notes.txt",
            ListingEntry(name: "notes.txt", type: "file", size: 4096, modified: "Nov 21 20:30")
        ),
        (
            "drwxr-xr-x    2 0        0            4096 Jan  3  2025 old stuff",
            ListingEntry(name: "old stuff", type: "dir", size: 4096, modified: "Jan 3 2025")
        ),
        (
            "lrwxrwxrwx    1 ftp      ftp            11 Nov 21 20:30 current -> release-1.2",
            ListingEntry(name: "current", type: "link", size: 11, modified: "Nov 21 20:30")
        ),
        (
            "crw-rw-rw-    1 root     root       1,   3 Nov 21 20:30 null",
            ListingEntry(name: "null", type: "char_device", size: nil, modified: "Nov 21 20:30")
        ),
        (
            "brw-rw----    1 root     disk       8,   0 Nov 21 20:30 sda",
            ListingEntry(name: "sda", type: "block_device", size: nil, modified: "Nov 21 20:30")
        ),
        (
            "-rw-r--r--   1 owner    12345 Dec 31 23:59 no-group.bin",
            ListingEntry(name: "no-group.bin", type: "file", size: 12345, modified: "Dec 31 23:59")
        ),
        (
            "-rw-r--r--   1 user group 77 Nov 21 20:30 name with  two spaces",
            ListingEntry(name: "name with  two spaces", type: "file", size: 77, modified: "Nov 21 20:30")
        ),
        (
            "prw-r--r--   1 user group 0 Nov 21 20:30 pipe",
            ListingEntry(name: "pipe", type: "fifo", size: 0, modified: "Nov 21 20:30")
        ),
        (
            "11-21-26  08:30PM       <DIR>          pub",
            ListingEntry(name: "pub", type: "dir", size: nil, modified: "11-21-26 08:30PM")
        ),
        (
            "11-21-26  08:30PM                 4096 notes.txt",
            ListingEntry(name: "notes.txt", type: "file", size: 4096, modified: "11-21-26 08:30PM")
        ),
    ])
    func list(line: String, expected: ListingEntry) {
        #expect(ListingParser.parse(line + "\r\n", style: .list) == [expected])
    }

    @Test(arguments: [
        "total 12", "", "garbage line", "-rw-r--r-- 1 a b 12 Foo 21 20:30 x", "drwxr-xr-x 2 a b 4096 Nov 21 20:30 .",
    ])
    func unreadableListLinesAreSkipped(line: String) {
        #expect(ListingParser.parse(line + "\r\n", style: .list).isEmpty)
    }

    @Test(arguments: [
        (
            "type=file;size=20000;modify=20261121203000; data.bin",
            ListingEntry(name: "data.bin", type: "file", size: 20000, modified: "20261121203000")
        ),
        (
            "Type=dir;Modify=20261121203000;Perm=flcdmpe; pub",
            ListingEntry(name: "pub", type: "dir", size: nil, modified: "20261121203000")
        ),
        (
            "type=OS.unix=slink:/target;size=7; link",
            ListingEntry(name: "link", type: "link", size: 7, modified: nil)
        ),
        (
            "size=5;type=file; name with spaces; and semicolons",
            ListingEntry(name: "name with spaces; and semicolons", type: "file", size: 5, modified: nil)
        ),
    ])
    func mlsd(line: String, expected: ListingEntry) {
        #expect(ListingParser.parse(line + "\r\n", style: .machine) == [expected])
    }

    @Test func mlsdSkipsTheDirectoryItself() {
        let text = "type=cdir;modify=20261121203000; /pub\r\ntype=pdir; /\r\ntype=file;size=1; a\r\n"
        #expect(ListingParser.parse(text, style: .machine).map(\.name) == ["a"])
    }

    @Test func nlstIsNamesOnly() {
        #expect(
            ListingParser.parse("a.txt\r\nb c\nlast", style: .names)
                == ["a.txt", "b c", "last"].map { ListingEntry(name: $0, type: "unknown", size: nil, modified: nil) })
    }

    /// Fed whole, byte by byte and in odd splits, the result is the same.
    @Test func splitsDoNotMatter() {
        let text = Array(
            "-rw-r--r-- 1 ftp ftp 4096 Nov 21 20:30 notes.txt\r\n-rw-r--r-- 1 ftp ftp 20000 Nov 21 20:30 data.bin\r\n"
                .utf8)
        let whole = ListingParser.parse(String(decoding: text, as: UTF8.self), style: .list)
        for size in [1, 2, 3, 7, 50] {
            var parser = ListingParser(style: .list)
            var start = 0
            while start < text.count {
                parser.feed(text[start..<min(start + size, text.count)])
                start += size
            }
            parser.finish()
            #expect(parser.entries == whole)
        }
        #expect(whole.count == 2)
    }

    @Test func entriesAndLinesAreBounded() {
        var parser = ListingParser(style: .names, maximumEntries: 3, maximumLineBytes: 10)
        parser.feed(Array("a\nb\n0123456789ABC\nc\nd\ne\n".utf8))
        parser.finish()
        #expect(parser.entries.map(\.name) == ["a", "b", "c"])
        #expect(parser.droppedEntries == 3)
    }
}
