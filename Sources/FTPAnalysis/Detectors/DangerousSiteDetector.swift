/// A dangerous SITE command the server accepted, when its reply arrives.
struct DangerousSiteDetector: FindingDetector {
    /// SITE subcommands that run programs or copy files on the server: SITE EXEC (wu-ftpd, RFC 959's SITE
    /// left implementation-defined) and ProFTPD mod_copy's CPFR/CPTO (CVE-2015-3306).
    static let dangerousSubcommands: Set<String> = ["EXEC", "CPFR", "CPTO"]

    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
        guard case .commandAnswered(let command, let session) = event, command.verb == .site else { return }
        let sub = command.argument.split(separator: " ").first.map { $0.uppercased() } ?? ""
        guard Self.dangerousSubcommands.contains(sub), let reply = command.reply, reply.code >= 200 && reply.code < 300
        else { return }
        found.append(
            Finding(
                kind: .riskyCommand, severity: .high, session: session.id, time: command.time,
                facts: .dangerousSite(subcommand: sub, replyCode: reply.code),
                evidence: [("argument", .string(command.argument)), ("reply_code", .int(Int64(reply.code)))]))
    }
}
