/// The FTP commands ftpscope recognises, and where each is defined.
///
/// `SITE` subcommands (`SITE CHMOD`, `SITE UTIME`, ...) stay as the verb `SITE` with their argument, as RFC 959
/// intends: their meaning is server-specific.
public enum FTPCommandCatalog {
    /// Verb -> defining document (`nil` for widespread extensions that no published document defines).
    private static let catalog: [String: String?] = {
        var table: [String: String?] = [:]
        func add(_ document: String?, _ verbs: String) {
            for verb in verbs.split(separator: " ") { table[String(verb)] = document }
        }
        add(
            "RFC 959",
            "USER PASS ACCT CWD CDUP SMNT REIN QUIT PORT PASV TYPE STRU MODE RETR STOR STOU APPE ALLO REST RNFR RNTO "
                + "ABOR DELE RMD MKD PWD LIST NLST SITE SYST STAT HELP NOOP")
        // RFC 775 predates RFC 959's MKD/RMD/PWD/CDUP/CWD; old Windows and VMS clients still send these.
        add("RFC 775", "XMKD XRMD XPWD XCUP XCWD")
        add("RFC 1639", "LPRT LPSV")
        add("RFC 2228", "AUTH ADAT PROT PBSZ CCC MIC CONF ENC")
        add("RFC 2389", "FEAT OPTS")
        add("RFC 2428", "EPRT EPSV")
        add("RFC 2640", "LANG")
        add("RFC 3659", "MDTM SIZE MLST MLSD")
        add("RFC 7151", "HOST")
        add("draft-somers-ftp-mfxx", "MFMT MFCT MFF")
        add("draft-bryan-ftpext-hash", "HASH")
        add("draft-peterson-streamlined-ftp-command-extensions", "AVBL CSID DSIZ RMDA THMB")
        // Vendor extensions with no defining document: client identification and checksums.
        add(nil, "CLNT XCRC XMD5 XSHA1 XSHA256 XSHA512 MD5 MMD5 SPSV")
        return table
    }()

    /// True when `verb` (upper-case) is a command of the catalog.
    public static func isKnown(_ verb: String) -> Bool {
        catalog[verb] != nil
    }

    /// The document defining `verb` (`"RFC 959"`, `"RFC 2428"`, a draft name), or nil when unknown or undocumented.
    public static func rfc(of verb: String) -> String? {
        catalog[verb] ?? nil
    }

    /// Commands that open a data connection to move a listing or a file (RFC 959 section 4.1.3, RFC 3659 MLSD).
    public static let dataTransferVerbs: Set<String> = ["LIST", "NLST", "MLSD", "RETR", "STOR", "STOU", "APPE"]

    /// Commands whose whole argument is a pathname, to resolve against the working directory.
    ///
    /// `LIST`/`NLST` are included although clients often put `ls` options (`-la`) there; `MFMT`/`MFCT`/`MFF`
    /// and `XCRC` are not, because their pathname follows other fields. `STOU`'s optional argument is a name hint.
    public static func takesPath(_ verb: String) -> Bool {
        pathVerbs.contains(verb)
    }

    private static let pathVerbs: Set<String> = [
        "CWD", "XCWD", "SMNT", "RETR", "STOR", "STOU", "APPE", "RNFR", "RNTO", "DELE", "RMD", "XRMD", "MKD", "XMKD",
        "LIST", "NLST", "MLSD", "MLST", "SIZE", "MDTM", "STAT", "HASH", "AVBL", "RMDA", "DSIZ",
    ]

    /// Commands that change the working directory (the tracker learns the result from the reply or a later PWD).
    public static let directoryChangeVerbs: Set<String> = ["CWD", "XCWD", "CDUP", "XCUP"]
}
