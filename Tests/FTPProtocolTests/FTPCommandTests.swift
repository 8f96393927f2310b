import FTPProtocol
import Testing

@Suite("FTPCommand")
struct FTPCommandTests {
    @Test(
        "parsing",
        arguments: [
            // line, verb, argument, known, well-formed
            ("USER anonymous", "USER", "anonymous", true, true),
            ("user anonymous", "USER", "anonymous", true, true),  // RFC 959: case-insensitive
            ("Pass Secret", "PASS", "Secret", true, true),  // the argument keeps its case
            ("PASV", "PASV", "", true, true),
            ("QUIT ", "QUIT", "", true, true),
            ("CWD    /pub/dir with  spaces ", "CWD", "/pub/dir with  spaces ", true, true),
            ("STOR\tfile.txt", "STOR", "file.txt", true, true),
            ("  NOOP", "NOOP", "", true, true),
            ("SITE CHMOD 755 x", "SITE", "CHMOD 755 x", true, true),
            ("EPSV ALL", "EPSV", "ALL", true, true),
            ("XCRC file 0 100", "XCRC", "file 0 100", true, true),
            ("opts utf8 on", "OPTS", "utf8 on", true, true),
            ("XSHA256 f", "XSHA256", "f", true, true),
            ("FROB x", "FROB", "x", false, true),  // unknown but shaped like a command
            ("SSH-2.0-OpenSSH_8.9", "SSH-2.0-OPENSSH_8.9", "", false, false),
            ("GET / HTTP/1.1", "GET", "/ HTTP/1.1", false, true),
            ("TYPEEEEEEEEEEEEEEEE I", "TYPEEEEEEEEEEEEEEEE", "I", false, false),
            ("[27 bytes missing in capture file]", "[27", "bytes missing in capture file]", false, false),
            ("", "", "", false, false),
            ("AB", "AB", "", false, false),
            ("4USR x", "4USR", "x", false, false),
        ])
    func parse(line: String, verb: String, argument: String, known: Bool, wellFormed: Bool) {
        let command = FTPCommand.parse(line)
        #expect(command.verbText == verb)
        #expect(command.argument == argument)
        #expect(command.isKnown == known)
        #expect(command.isWellFormed == wellFormed)
    }

    @Test("binary garbage is not well-formed and never traps")
    func binaryGarbage() {
        let command = FTPCommand.parse(FTPLine(bytes: [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0xFF, 0xC3]))
        #expect(!command.isWellFormed)
        #expect(!command.isKnown)
        #expect(command.verbText == "\u{16}\u{3}\u{1}\u{2}\u{0}\u{1}\\xFF\\xC3")
        let invalidInArgument = FTPCommand.parse(FTPLine(bytes: Array("RETR a".utf8) + [0xE9]))
        #expect(invalidInArgument.argument == "a\\xE9")
    }

    @Test("the memberwise initialiser upper-cases and classifies")
    func initialiser() {
        let command = FTPCommand(verb: "retr", argument: "x")
        #expect(command == FTPCommand.parse("RETR x"))
    }

    @Test(
        "catalog documents",
        arguments: [
            ("RETR", "RFC 959"), ("XPWD", "RFC 775"), ("LPSV", "RFC 1639"), ("PBSZ", "RFC 2228"),
            ("FEAT", "RFC 2389"), ("EPSV", "RFC 2428"), ("LANG", "RFC 2640"), ("MLSD", "RFC 3659"),
            ("HOST", "RFC 7151"), ("MFMT", "draft-somers-ftp-mfxx"),
        ])
    func catalogDocuments(verb: String, document: String) {
        #expect(FTPCommandCatalog.isKnown(verb))
        #expect(FTPCommandCatalog.rfc(of: verb) == document)
    }

    @Test("catalog: undocumented extensions are known without a document; unknown verbs are not known")
    func catalogExtensions() {
        for verb in ["CLNT", "XCRC", "AVBL", "CSID", "HASH", "MFCT", "MFF", "DSIZ"] {
            #expect(FTPCommandCatalog.isKnown(verb), "\(verb)")
        }
        #expect(FTPCommandCatalog.rfc(of: "CLNT") == nil)
        #expect(!FTPCommandCatalog.isKnown("FROB"))
        #expect(!FTPCommandCatalog.isKnown("retr"))  // the catalog expects upper-case verbs
        #expect(FTPCommandCatalog.rfc(of: "FROB") == nil)
        let rfc959 = "USER PASS ACCT CWD CDUP SMNT REIN QUIT PORT PASV TYPE STRU MODE RETR STOR STOU APPE ALLO REST "
            + "RNFR RNTO ABOR DELE RMD MKD PWD LIST NLST SITE SYST STAT HELP NOOP"
        for verb in rfc959.split(separator: " ") {
            #expect(FTPCommandCatalog.rfc(of: String(verb)) == "RFC 959", "\(verb)")
        }
        for verb in ["AUTH", "ADAT", "PROT", "PBSZ", "CCC", "MIC", "CONF", "ENC"] {
            #expect(FTPCommandCatalog.rfc(of: verb) == "RFC 2228", "\(verb)")
        }
    }

    @Test("data transfer verbs and path-taking verbs")
    func verbSets() {
        #expect(FTPCommandCatalog.dataTransferVerbs == ["LIST", "NLST", "MLSD", "RETR", "STOR", "STOU", "APPE"])
        for verb in ["CWD", "RETR", "STOR", "DELE", "MKD", "RMD", "RNFR", "RNTO", "SIZE", "MDTM", "MLST", "XCWD"] {
            #expect(FTPCommandCatalog.takesPath(verb), "\(verb)")
        }
        for verb in ["USER", "PASS", "PORT", "TYPE", "CDUP", "PWD", "MFMT", "FROB"] {
            #expect(!FTPCommandCatalog.takesPath(verb), "\(verb)")
        }
    }
}
