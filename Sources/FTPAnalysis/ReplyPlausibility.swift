/// Which reply codes can answer which command (RFC 959 section 5.4, "Command-Reply Sequences", with the
/// extensions' own tables). Used only to re-pair commands and replies after a capture gap.
enum ReplyPlausibility {
    /// True when `code` can be the reply to `verb`. Errors (4xx, 5xx) can answer anything, and so can any code
    /// for a command whose replies are not listed.
    static func canAnswer(_ code: Int, _ verb: String) -> Bool {
        if code >= 400 { return true }
        if code >= 100 && code < 200 { return preliminary.contains(verb) }
        guard let codes = finals[verb] else { return true }
        return codes.contains(code)
    }

    static let preliminary: Set<String> = ["RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD", "REIN", "ABOR", "STAT"]

    static let finals: [String: Set<Int>] = [
        "USER": [230, 331, 332], "PASS": [202, 230, 332], "ACCT": [202, 230], "CWD": [200, 250], "XCWD": [200, 250],
        "CDUP": [200, 250], "XCUP": [200, 250], "QUIT": [221], "REIN": [220], "PORT": [200], "EPRT": [200],
        "LPRT": [200], "PASV": [227], "EPSV": [200, 229], "LPSV": [228], "TYPE": [200], "MODE": [200], "STRU": [200],
        "RETR": [226, 250], "STOR": [226, 250], "STOU": [226, 250], "APPE": [226, 250], "LIST": [226, 250],
        "NLST": [226, 250], "MLSD": [226, 250], "REST": [350], "RNFR": [350], "RNTO": [250], "DELE": [250],
        "RMD": [250], "XRMD": [250], "MKD": [257], "XMKD": [257], "PWD": [257], "XPWD": [257], "SYST": [215],
        "NOOP": [200], "SIZE": [213], "MDTM": [213], "FEAT": [211], "AUTH": [234, 334], "PBSZ": [200],
        "PROT": [200], "ABOR": [225, 226],
    ]
}
