import FTPProtocol

/// Which reply codes can answer which command (RFC 959 section 5.4, "Command-Reply Sequences", with the
/// extensions' own tables). Used only to re-pair commands and replies after a capture gap.
enum ReplyPlausibility {
    /// True when `code` can be the reply to `verb`. Errors (4xx, 5xx) can answer anything, and so can any code
    /// for a command whose replies are not listed.
    static func canAnswer(_ code: Int, _ verb: FTPVerb) -> Bool {
        if code >= 400 { return true }
        if code >= 100 && code < 200 { return hasPreliminary(verb) }
        switch verb {
        case .user: return code == 230 || code == 331 || code == 332
        case .pass: return code == 202 || code == 230 || code == 332
        case .acct: return code == 202 || code == 230
        case .cwd, .xcwd, .cdup, .xcup: return code == 200 || code == 250
        case .quit: return code == 221
        case .rein: return code == 220
        case .port, .eprt, .lprt, .type, .mode, .stru, .noop, .pbsz, .prot: return code == 200
        case .pasv: return code == 227
        case .epsv: return code == 200 || code == 229
        case .lpsv: return code == 228
        case .retr, .stor, .stou, .appe, .list, .nlst, .mlsd: return code == 226 || code == 250
        case .rest, .rnfr: return code == 350
        case .rnto, .dele, .rmd, .xrmd: return code == 250
        case .mkd, .xmkd, .pwd, .xpwd: return code == 257
        case .syst: return code == 215
        case .size, .mdtm: return code == 213
        case .feat: return code == 211
        case .auth: return code == 234 || code == 334
        case .abor: return code == 225 || code == 226
        default: return true
        }
    }

    /// Commands that may get a 1xx before their final reply (RFC 959 section 5.4).
    static func hasPreliminary(_ verb: FTPVerb) -> Bool {
        switch verb {
        case .retr, .stor, .stou, .appe, .list, .nlst, .mlsd, .rein, .abor, .stat: true
        default: false
        }
    }
}
