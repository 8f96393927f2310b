/// The FTP commands ftpscope recognises, and where each is defined: a string-keyed view of `FTPVerb`, whose cases
/// are the list (kept for callers that hold a verb as text, such as tests and the catalog documentation).
///
/// `SITE` subcommands (`SITE CHMOD`, `SITE UTIME`, ...) stay as the verb `SITE` with their argument, as RFC 959
/// intends: their meaning is server-specific.
public enum FTPCommandCatalog {
    /// True when `verb` (upper-case) is a command of the catalog.
    public static func isKnown(_ verb: String) -> Bool {
        FTPVerb(verb).isKnown
    }

    /// The document defining `verb` (`"RFC 959"`, `"RFC 2428"`, a draft name), or nil when unknown or undocumented.
    public static func rfc(of verb: String) -> String? {
        FTPVerb(verb).document
    }

    /// Commands that open a data connection to move a listing or a file (RFC 959 section 4.1.3, RFC 3659 MLSD).
    public static let dataTransferVerbs: Set<String> = Set(FTPVerb.allKnown.filter(\.isDataTransfer).map(\.name))

    /// Commands whose whole argument is a pathname, to resolve against the working directory (`FTPVerb.takesPath`).
    public static func takesPath(_ verb: String) -> Bool {
        FTPVerb(verb).takesPath
    }

    /// Commands that change the working directory (the tracker learns the result from the reply or a later PWD).
    public static let directoryChangeVerbs: Set<String> = Set(FTPVerb.allKnown.filter(\.changesDirectory).map(\.name))
}

/// What a verb does, as far as the analysis cares: the roles the analyzer and the reports switch on.
extension FTPVerb {
    /// Opens a data connection to move a listing or a file (RFC 959 section 4.1.3, RFC 3659 MLSD).
    public var isDataTransfer: Bool {
        switch self {
        case .list, .nlst, .mlsd, .retr, .stor, .stou, .appe: true
        default: false
        }
    }

    /// Moves a directory listing rather than a file (LIST, NLST, MLSD).
    public var isListing: Bool {
        switch self {
        case .list, .nlst, .mlsd: true
        default: false
        }
    }

    /// Sends a file from the client to the server (STOR, STOU, APPE).
    public var isUpload: Bool {
        switch self {
        case .stor, .stou, .appe: true
        default: false
        }
    }

    /// Announces a client address for the server to connect to (RFC 959 PORT, RFC 2428 EPRT, RFC 1639 LPRT).
    public var isActiveAnnouncement: Bool {
        switch self {
        case .port, .eprt, .lprt: true
        default: false
        }
    }

    /// Asks the server to listen and announce where (RFC 959 PASV, RFC 2428 EPSV, RFC 1639 LPSV).
    public var isPassiveRequest: Bool {
        switch self {
        case .pasv, .epsv, .lpsv: true
        default: false
        }
    }

    /// Part of a login (RFC 959 section 4.1.1: USER, PASS, ACCT).
    public var isLogin: Bool {
        switch self {
        case .user, .pass, .acct: true
        default: false
        }
    }

    /// The whole argument is a pathname, to resolve against the working directory.
    ///
    /// `LIST`/`NLST` are included although clients often put `ls` options (`-la`) there; `MFMT`/`MFCT`/`MFF`
    /// and `XCRC` are not, because their pathname follows other fields. `STOU`'s optional argument is a name hint.
    public var takesPath: Bool {
        switch self {
        case .cwd, .xcwd, .smnt, .retr, .stor, .stou, .appe, .rnfr, .rnto, .dele, .rmd, .xrmd, .mkd, .xmkd, .list,
            .nlst, .mlsd, .mlst, .size, .mdtm, .stat, .hashFile, .avbl, .rmda, .dsiz:
            true
        default: false
        }
    }

    /// Changes the working directory (the tracker learns the result from the reply or a later PWD).
    public var changesDirectory: Bool {
        switch self {
        case .cwd, .xcwd, .cdup, .xcup: true
        default: false
        }
    }
}
