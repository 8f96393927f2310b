/// An FTP command verb, recognised from the bytes on the wire without making a `String`.
///
/// The cases are the verbs of RFC 959 and its extensions (RFC 775, 1639, 2228, 2389, 2428, 2640, 3659, 7151, and the
/// drafts and vendor verbs that clients commonly send); `FTPCommandCatalog` is derived from this list. Anything else
/// is `.other`, which keeps up to `FTPCommand.maxVerbLength` bytes as sent (inline, no allocation): every
/// well-formed verb fits, so an unknown extension is still named exactly in the reports.
///
/// `SITE` subcommands (`SITE CHMOD`, ...) stay `SITE` with their argument, as RFC 959 section 4.1.3 intends: their
/// meaning is server-specific.
public enum FTPVerb: Hashable, Sendable, CustomStringConvertible {
    // RFC 959 section 4.1
    /// `USER` (RFC 959).
    case user
    /// `PASS` (RFC 959).
    case pass
    /// `ACCT` (RFC 959).
    case acct
    /// `CWD` (RFC 959).
    case cwd
    /// `CDUP` (RFC 959).
    case cdup
    /// `SMNT` (RFC 959).
    case smnt
    /// `REIN` (RFC 959).
    case rein
    /// `QUIT` (RFC 959).
    case quit
    /// `PORT` (RFC 959).
    case port
    /// `PASV` (RFC 959).
    case pasv
    /// `TYPE` (RFC 959).
    case type
    /// `STRU` (RFC 959).
    case stru
    /// `MODE` (RFC 959).
    case mode
    /// `RETR` (RFC 959).
    case retr
    /// `STOR` (RFC 959).
    case stor
    /// `STOU` (RFC 959).
    case stou
    /// `APPE` (RFC 959).
    case appe
    /// `ALLO` (RFC 959).
    case allo
    /// `REST` (RFC 959).
    case rest
    /// `RNFR` (RFC 959).
    case rnfr
    /// `RNTO` (RFC 959).
    case rnto
    /// `ABOR` (RFC 959).
    case abor
    /// `DELE` (RFC 959).
    case dele
    /// `RMD` (RFC 959).
    case rmd
    /// `MKD` (RFC 959).
    case mkd
    /// `PWD` (RFC 959).
    case pwd
    /// `LIST` (RFC 959).
    case list
    /// `NLST` (RFC 959).
    case nlst
    /// `SITE` (RFC 959).
    case site
    /// `SYST` (RFC 959).
    case syst
    /// `STAT` (RFC 959).
    case stat
    /// `HELP` (RFC 959).
    case help
    /// `NOOP` (RFC 959).
    case noop
    // RFC 775 (predates RFC 959's MKD/RMD/PWD/CDUP/CWD; old Windows and VMS clients still send these)
    /// `XMKD` (RFC 775).
    case xmkd
    /// `XRMD` (RFC 775).
    case xrmd
    /// `XPWD` (RFC 775).
    case xpwd
    /// `XCUP` (RFC 775).
    case xcup
    /// `XCWD` (RFC 775).
    case xcwd
    // RFC 1639 (long addresses)
    /// `LPRT` (RFC 1639).
    case lprt
    /// `LPSV` (RFC 1639).
    case lpsv
    // RFC 2228 (security extensions)
    /// `AUTH` (RFC 2228).
    case auth
    /// `ADAT` (RFC 2228).
    case adat
    /// `PROT` (RFC 2228).
    case prot
    /// `PBSZ` (RFC 2228).
    case pbsz
    /// `CCC` (RFC 2228).
    case ccc
    /// `MIC` (RFC 2228).
    case mic
    /// `CONF` (RFC 2228).
    case conf
    /// `ENC` (RFC 2228).
    case enc
    // RFC 2389 (feature negotiation)
    /// `FEAT` (RFC 2389).
    case feat
    /// `OPTS` (RFC 2389).
    case opts
    // RFC 2428 (IPv6 and NAT)
    /// `EPRT` (RFC 2428).
    case eprt
    /// `EPSV` (RFC 2428).
    case epsv
    // RFC 2640 (internationalization)
    /// `LANG` (RFC 2640).
    case lang
    // RFC 3659 (extensions)
    /// `MDTM` (RFC 3659).
    case mdtm
    /// `SIZE` (RFC 3659).
    case size
    /// `MLST` (RFC 3659).
    case mlst
    /// `MLSD` (RFC 3659).
    case mlsd
    // RFC 7151 (virtual hosts)
    /// `HOST` (RFC 7151).
    case host
    // draft-somers-ftp-mfxx
    /// `MFMT` (draft-somers-ftp-mfxx).
    case mfmt
    /// `MFCT` (draft-somers-ftp-mfxx).
    case mfct
    /// `MFF` (draft-somers-ftp-mfxx).
    case mff
    // draft-bryan-ftpext-hash
    /// `HASH` (draft-bryan-ftpext-hash).
    case hashFile
    // draft-peterson-streamlined-ftp-command-extensions
    /// `AVBL` (draft-peterson-streamlined-ftp-command-extensions).
    case avbl
    /// `CSID` (draft-peterson-streamlined-ftp-command-extensions).
    case csid
    /// `DSIZ` (draft-peterson-streamlined-ftp-command-extensions).
    case dsiz
    /// `RMDA` (draft-peterson-streamlined-ftp-command-extensions).
    case rmda
    /// `THMB` (draft-peterson-streamlined-ftp-command-extensions).
    case thmb
    // vendor extensions with no defining document: client identification and checksums
    /// `CLNT`.
    case clnt
    /// `XCRC`.
    case xcrc
    /// `XMD5`.
    case xmd5
    /// `XSHA1`.
    case xsha1
    /// `XSHA256`.
    case xsha256
    /// `XSHA512`.
    case xsha512
    /// `MD5`.
    case md5
    /// `MMD5`.
    case mmd5
    /// `SPSV`.
    case spsv
    /// A verb outside the list (or a malformed one), as sent, upper-cased and cut to `Spelling.capacity` bytes.
    case other(Spelling)

    /// Up to eight bytes of a verb, stored inline: enough for every well-formed verb (`FTPCommand.maxVerbLength`).
    public struct Spelling: Hashable, Sendable {
        /// The longest spelling kept; longer verbs are cut (they are malformed, and `FTPCommand` keeps their text).
        public static let capacity = 8
        /// Byte `i` of the verb is bits `8 * i ..< 8 * i + 8` (little-endian packing; unused bytes are zero).
        public let packed: UInt64
        /// Number of bytes kept, `0...capacity`.
        public let count: UInt8

        /// Packs the first `capacity` bytes of `bytes`, upper-casing ASCII letters when `upperCasing` is true.
        ///
        /// Written for a concrete slice with an index loop, not for any collection: the per-line path must not
        /// allocate even in a debug build, where unspecialised generic iteration does.
        public init(_ bytes: ArraySlice<UInt8>, upperCasing: Bool = false) {
            var packed: UInt64 = 0
            var count: UInt8 = 0
            var index = bytes.startIndex
            while index < bytes.endIndex && Int(count) < Spelling.capacity {
                let byte = bytes[index]
                let stored = upperCasing && byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte
                packed |= UInt64(stored) << (8 * UInt64(count))
                count += 1
                index += 1
            }
            self.packed = packed
            self.count = count
        }

        /// A spelling already packed (`FTPCommand` packs while it checks the verb's form).
        init(packed: UInt64, count: UInt8) {
            self.packed = packed
            self.count = count
        }

        /// Packs the first `capacity` bytes of any byte sequence (text in tests, hand-built values).
        public init(_ bytes: some Sequence<UInt8>, upperCasing: Bool = false) {
            self.init(ArraySlice(bytes.prefix(Spelling.capacity)), upperCasing: upperCasing)
        }

        /// The kept bytes, in order.
        public var bytes: [UInt8] {
            (0..<Int(count)).map { UInt8(truncatingIfNeeded: packed >> (8 * UInt64($0))) }
        }
    }

    /// Recognises a verb spelled exactly as `bytes` (no case folding: the catalog's verbs are upper-case).
    public init(spelled bytes: some Sequence<UInt8>) {
        self.init(Spelling(bytes))
    }

    /// Recognises a verb from its packed spelling; `.other` when it is not in the list.
    public init(_ spelling: Spelling) {
        // All known verbs are 3 to 7 letters with no NUL, so the packed value alone identifies one once the count
        // agrees with the number of significant bytes ("USER" and "USER\0" pack alike).
        let significant = UInt8((64 - spelling.packed.leadingZeroBitCount + 7) / 8)
        guard spelling.count == significant, let known = FTPVerb.known(packed: spelling.packed) else {
            self = .other(spelling)
            return
        }
        self = known
    }

    /// Creates a verb from text (tests, hand-built values); exact spelling, as `init(spelled:)`.
    public init(_ text: String) {
        self.init(spelled: text.utf8)
    }

    /// True for every case but `.other`: the verb is in `FTPCommandCatalog`.
    public var isKnown: Bool {
        if case .other = self { return false }
        return true
    }

    /// The verb as it appears on the wire and in every output (`"RETR"`; an `.other` verb as sent).
    public var name: String {
        if case .other(let spelling) = self { return String(decoding: spelling.bytes, as: UTF8.self) }
        // Every other case has its literal.
        return nameWord.map(\.description) ?? ""
    }

    /// A catalog verb's name as a literal, nil for a verb outside the catalog. The writers copy it as it is: a
    /// `StaticString` needs no check for quoting or escaping (no verb name needs either, nor starts a
    /// spreadsheet formula), where a `String` is checked byte by byte.
    public var nameWord: StaticString? {
        switch self {
        case .user: "USER"
        case .pass: "PASS"
        case .acct: "ACCT"
        case .cwd: "CWD"
        case .cdup: "CDUP"
        case .smnt: "SMNT"
        case .rein: "REIN"
        case .quit: "QUIT"
        case .port: "PORT"
        case .pasv: "PASV"
        case .type: "TYPE"
        case .stru: "STRU"
        case .mode: "MODE"
        case .retr: "RETR"
        case .stor: "STOR"
        case .stou: "STOU"
        case .appe: "APPE"
        case .allo: "ALLO"
        case .rest: "REST"
        case .rnfr: "RNFR"
        case .rnto: "RNTO"
        case .abor: "ABOR"
        case .dele: "DELE"
        case .rmd: "RMD"
        case .mkd: "MKD"
        case .pwd: "PWD"
        case .list: "LIST"
        case .nlst: "NLST"
        case .site: "SITE"
        case .syst: "SYST"
        case .stat: "STAT"
        case .help: "HELP"
        case .noop: "NOOP"
        case .xmkd: "XMKD"
        case .xrmd: "XRMD"
        case .xpwd: "XPWD"
        case .xcup: "XCUP"
        case .xcwd: "XCWD"
        case .lprt: "LPRT"
        case .lpsv: "LPSV"
        case .auth: "AUTH"
        case .adat: "ADAT"
        case .prot: "PROT"
        case .pbsz: "PBSZ"
        case .ccc: "CCC"
        case .mic: "MIC"
        case .conf: "CONF"
        case .enc: "ENC"
        case .feat: "FEAT"
        case .opts: "OPTS"
        case .eprt: "EPRT"
        case .epsv: "EPSV"
        case .lang: "LANG"
        case .mdtm: "MDTM"
        case .size: "SIZE"
        case .mlst: "MLST"
        case .mlsd: "MLSD"
        case .host: "HOST"
        case .mfmt: "MFMT"
        case .mfct: "MFCT"
        case .mff: "MFF"
        case .hashFile: "HASH"
        case .avbl: "AVBL"
        case .csid: "CSID"
        case .dsiz: "DSIZ"
        case .rmda: "RMDA"
        case .thmb: "THMB"
        case .clnt: "CLNT"
        case .xcrc: "XCRC"
        case .xmd5: "XMD5"
        case .xsha1: "XSHA1"
        case .xsha256: "XSHA256"
        case .xsha512: "XSHA512"
        case .md5: "MD5"
        case .mmd5: "MMD5"
        case .spsv: "SPSV"
        case .other: nil
        }
    }

    /// Same as `name`, so interpolating a verb into text writes it as sent.
    public var description: String { name }

    /// The document defining the verb (`"RFC 959"`, `"RFC 2428"`, a draft name), or nil when unknown or undocumented.
    public var document: String? {
        switch self {
        case .user, .pass, .acct, .cwd, .cdup, .smnt, .rein, .quit, .port, .pasv, .type, .stru, .mode, .retr, .stor, .stou, .appe, .allo, .rest, .rnfr, .rnto, .abor, .dele, .rmd, .mkd, .pwd, .list, .nlst, .site, .syst, .stat, .help, .noop:
            "RFC 959"
        case .xmkd, .xrmd, .xpwd, .xcup, .xcwd:
            "RFC 775"
        case .lprt, .lpsv:
            "RFC 1639"
        case .auth, .adat, .prot, .pbsz, .ccc, .mic, .conf, .enc:
            "RFC 2228"
        case .feat, .opts:
            "RFC 2389"
        case .eprt, .epsv:
            "RFC 2428"
        case .lang:
            "RFC 2640"
        case .mdtm, .size, .mlst, .mlsd:
            "RFC 3659"
        case .host:
            "RFC 7151"
        case .mfmt, .mfct, .mff:
            "draft-somers-ftp-mfxx"
        case .hashFile:
            "draft-bryan-ftpext-hash"
        case .avbl, .csid, .dsiz, .rmda, .thmb:
            "draft-peterson-streamlined-ftp-command-extensions"
        case .clnt, .xcrc, .xmd5, .xsha1, .xsha256, .xsha512, .md5, .mmd5, .spsv:
            nil
        case .other: nil
        }
    }

    /// Every known verb, in catalog order (RFC 959 first).
    public static let allKnown: [FTPVerb] = [
        .user, .pass, .acct, .cwd, .cdup, .smnt, .rein, .quit, .port, .pasv, .type, .stru, .mode, .retr, .stor,
        .stou, .appe, .allo, .rest, .rnfr, .rnto, .abor, .dele, .rmd, .mkd, .pwd, .list, .nlst, .site, .syst, .stat,
        .help, .noop, .xmkd, .xrmd, .xpwd, .xcup, .xcwd, .lprt, .lpsv, .auth, .adat, .prot, .pbsz, .ccc, .mic,
        .conf, .enc, .feat, .opts, .eprt, .epsv, .lang, .mdtm, .size, .mlst, .mlsd, .host, .mfmt, .mfct, .mff,
        .hashFile, .avbl, .csid, .dsiz, .rmda, .thmb, .clnt, .xcrc, .xmd5, .xsha1, .xsha256, .xsha512, .md5, .mmd5,
        .spsv,
    ]

    private static func known(packed: UInt64) -> FTPVerb? {
        switch packed {
        case 0x52455355: .user  // USER
        case 0x53534150: .pass  // PASS
        case 0x54434341: .acct  // ACCT
        case 0x445743: .cwd  // CWD
        case 0x50554443: .cdup  // CDUP
        case 0x544E4D53: .smnt  // SMNT
        case 0x4E494552: .rein  // REIN
        case 0x54495551: .quit  // QUIT
        case 0x54524F50: .port  // PORT
        case 0x56534150: .pasv  // PASV
        case 0x45505954: .type  // TYPE
        case 0x55525453: .stru  // STRU
        case 0x45444F4D: .mode  // MODE
        case 0x52544552: .retr  // RETR
        case 0x524F5453: .stor  // STOR
        case 0x554F5453: .stou  // STOU
        case 0x45505041: .appe  // APPE
        case 0x4F4C4C41: .allo  // ALLO
        case 0x54534552: .rest  // REST
        case 0x52464E52: .rnfr  // RNFR
        case 0x4F544E52: .rnto  // RNTO
        case 0x524F4241: .abor  // ABOR
        case 0x454C4544: .dele  // DELE
        case 0x444D52: .rmd  // RMD
        case 0x444B4D: .mkd  // MKD
        case 0x445750: .pwd  // PWD
        case 0x5453494C: .list  // LIST
        case 0x54534C4E: .nlst  // NLST
        case 0x45544953: .site  // SITE
        case 0x54535953: .syst  // SYST
        case 0x54415453: .stat  // STAT
        case 0x504C4548: .help  // HELP
        case 0x504F4F4E: .noop  // NOOP
        case 0x444B4D58: .xmkd  // XMKD
        case 0x444D5258: .xrmd  // XRMD
        case 0x44575058: .xpwd  // XPWD
        case 0x50554358: .xcup  // XCUP
        case 0x44574358: .xcwd  // XCWD
        case 0x5452504C: .lprt  // LPRT
        case 0x5653504C: .lpsv  // LPSV
        case 0x48545541: .auth  // AUTH
        case 0x54414441: .adat  // ADAT
        case 0x544F5250: .prot  // PROT
        case 0x5A534250: .pbsz  // PBSZ
        case 0x434343: .ccc  // CCC
        case 0x43494D: .mic  // MIC
        case 0x464E4F43: .conf  // CONF
        case 0x434E45: .enc  // ENC
        case 0x54414546: .feat  // FEAT
        case 0x5354504F: .opts  // OPTS
        case 0x54525045: .eprt  // EPRT
        case 0x56535045: .epsv  // EPSV
        case 0x474E414C: .lang  // LANG
        case 0x4D54444D: .mdtm  // MDTM
        case 0x455A4953: .size  // SIZE
        case 0x54534C4D: .mlst  // MLST
        case 0x44534C4D: .mlsd  // MLSD
        case 0x54534F48: .host  // HOST
        case 0x544D464D: .mfmt  // MFMT
        case 0x5443464D: .mfct  // MFCT
        case 0x46464D: .mff  // MFF
        case 0x48534148: .hashFile  // HASH
        case 0x4C425641: .avbl  // AVBL
        case 0x44495343: .csid  // CSID
        case 0x5A495344: .dsiz  // DSIZ
        case 0x41444D52: .rmda  // RMDA
        case 0x424D4854: .thmb  // THMB
        case 0x544E4C43: .clnt  // CLNT
        case 0x43524358: .xcrc  // XCRC
        case 0x35444D58: .xmd5  // XMD5
        case 0x3141485358: .xsha1  // XSHA1
        case 0x36353241485358: .xsha256  // XSHA256
        case 0x32313541485358: .xsha512  // XSHA512
        case 0x35444D: .md5  // MD5
        case 0x35444D4D: .mmd5  // MMD5
        case 0x56535053: .spsv  // SPSV
        default: nil
        }
    }
}
