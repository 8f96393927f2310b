import FTPProtocol
import Testing

/// `FTPVerb` is recognised from bytes: every catalog verb round-trips through its name, case-insensitively from the
/// wire, and anything else keeps its spelling.
@Suite struct FTPVerbTests {
    /// `name` is made from `nameWord`, the literal the writers copy: parsing it back gives the verb.
    @Test("every known verb round-trips through its name and its lower-case spelling on the wire")
    func roundTrip() {
        #expect(FTPVerb.allKnown.count == 76)
        #expect(Set(FTPVerb.allKnown).count == FTPVerb.allKnown.count)
        for verb in FTPVerb.allKnown {
            #expect(verb.isKnown)
            #expect(FTPVerb(verb.name) == verb, "\(verb)")
            #expect(FTPCommand.parse(verb.name.lowercased() + " x").verb == verb, "\(verb)")
            #expect(FTPVerb.Spelling(Array(verb.name.utf8)).bytes == Array(verb.name.utf8))
        }
    }

    @Test(
        "unknown verbs keep their spelling",
        arguments: [("FROB", "FROB"), ("xyzzy", "XYZZY"), ("SITE2", "SITE2"), ("ABCDEFGH", "ABCDEFGH")])
    func other(sent: String, name: String) {
        let command = FTPCommand.parse(sent + " arg")
        #expect(!command.isKnown)
        #expect(command.isWellFormed)
        #expect(command.verb == .other(FTPVerb.Spelling(Array(name.utf8))))
        #expect(command.verb.name == name)
        #expect(command.verb.nameWord == nil)
        #expect(command.verbText == name)
        #expect(command.malformedVerb == nil)
    }

    @Test("a known verb's bytes followed by a NUL, or cut short, are not that verb")
    func nearMisses() {
        #expect(FTPVerb(spelled: Array("USER".utf8) + [0]) != .user)
        #expect(FTPVerb(spelled: Array("USE".utf8)) != .user)
        #expect(FTPVerb("XSHA256") == .xsha256)
        #expect(FTPVerb("XSHA2567") != .xsha256)
        #expect(FTPVerb("XSHA256XSHA256").isKnown == false)
        #expect(FTPVerb("retr") != .retr)  // exact spelling; `FTPCommand.parse` upper-cases first
    }

    @Test("a malformed verb keeps its whole text for the reports; the enum keeps at most eight bytes")
    func malformed() {
        let command = FTPCommand.parse("TYPEEEEEEEEEEEEEEEE I")
        #expect(!command.isWellFormed)
        #expect(command.verbText == "TYPEEEEEEEEEEEEEEEE")
        #expect(command.verb.name == "TYPEEEEE")
    }

    @Test("roles the analysis switches on")
    func roles() {
        #expect(FTPVerb.allKnown.filter(\.isDataTransfer) == [.retr, .stor, .stou, .appe, .list, .nlst, .mlsd])
        #expect(FTPVerb.allKnown.filter(\.isUpload) == [.stor, .stou, .appe])
        #expect(FTPVerb.allKnown.filter(\.isActiveAnnouncement) == [.port, .lprt, .eprt])
        #expect(FTPVerb.allKnown.filter(\.isPassiveRequest) == [.pasv, .lpsv, .epsv])
        #expect(FTPVerb.allKnown.filter(\.isLogin) == [.user, .pass, .acct])
        #expect(FTPCommandCatalog.directoryChangeVerbs == ["CWD", "XCWD", "CDUP", "XCUP"])
        #expect("\(FTPVerb.epsv)" == "EPSV")
    }
}
