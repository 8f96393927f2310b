import FTPAnalysis
import NetworkTypes

/// The `--format json` document of SPEC.md.
public enum JSONDocument {
    /// The whole document, pretty-printed, ending with a newline.
    public static func render(_ input: ReportInput) -> String {
        document(input).serialized(pretty: true) + "\n"
    }

    /// The whole document as `render` makes it, handed to `sink` in pieces: sessions, commands, transfers and
    /// findings are made one at a time, so a session of a million commands costs its records, not a tree and a
    /// string of the document besides.
    public static func write(_ input: ReportInput, to sink: (String) -> Void) {
        document(input).write(pretty: true, to: sink)
        sink("\n")
    }

    /// The document as a value.
    public static func document(_ input: ReportInput) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("version", .string(input.version)),
            ("inputs", .array(input.inputs.map(inputValue))),
            ("stats", .object(input.stats.map { ($0.0, .uint($0.1)) })),
        ]
        // Said only when the user narrowed the output, so that a script can tell a narrowed document apart.
        if let narrowing = input.narrowing { members.append(("narrowed_to", .string(narrowing.description))) }
        members += [
            ("sessions", deferred(input.sessions) { session($0, input.passwords, narrowing: input.narrowing) }),
            ("findings", deferred(input.findings) { finding($0, input.passwords) }),
        ]
        return .object(members)
    }

    /// An array of `elements` made into JSON one at a time, as it is written.
    static func deferred<Elements: RandomAccessCollection>(
        _ elements: Elements, _ make: @escaping (Elements.Element) -> JSONValue
    ) -> JSONValue where Elements.Index == Int {
        .deferredArray(JSONDeferredArray(count: elements.count) { make(elements[elements.startIndex + $0]) })
    }

    static func time(_ time: Timestamp?) -> JSONValue { time.map { .string($0.iso8601) } ?? .null }

    static func inputValue(_ input: InputDescription) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("path", .string(input.path)), ("format", .string(input.format)), ("link_type", .string(input.linkType)),
            ("packets", .uint(input.packets)), ("bytes", .uint(input.bytes)), ("first_time", time(input.firstTime)),
            ("last_time", time(input.lastTime)), ("truncated", .bool(input.truncated)),
        ]
        if let warning = input.warning { members.append(("warning", .string(warning))) }
        return .object(members)
    }

    /// One session (also used by streaming outputs).
    /// One session; under a status filter (`narrowing`) only its transfers with a kept outcome.
    public static func session(_ session: FTPSession, _ passwords: PasswordPolicy, narrowing: Narrowing? = nil) -> JSONValue {
        .object([
            ("id", .string(session.id)),
            ("client", .string(session.client.description)),
            ("server", .string(session.server.description)),
            ("community_id", .string(session.communityID)),
            ("start", time(session.start)),
            ("end", time(session.end)),
            ("banner", .optional(session.banner)),
            ("user", .optional(session.user)),
            ("login", .string(session.login.rawValue)),
            (
                "login_attempts",
                .array(
                    session.loginAttempts.map { attempt in
                        .object([
                            ("user", .string(attempt.user)),
                            ("password", attempt.password.map { .string(passwords.display(password: $0, user: attempt.user)) } ?? .null),
                            ("password_length", attempt.password.map { .int(Int64($0.count)) } ?? .null),
                            ("outcome", .string(attempt.outcome.rawValue)),
                            ("reply_code", attempt.replyCode.map { .int(Int64($0)) } ?? .null),
                            ("time", time(attempt.time)),
                        ])
                    })
            ),
            ("tls", .bool(session.tls)),
            ("commands", deferred(session.commands) { command($0, passwords) }),
            ("end_state", .string(session.endState.rawValue)),
            ("transfers", deferred(narrowing?.transfers(of: session) ?? session.transfers, transfer)),
            ("working_directory", .optional(session.workingDirectory)),
            ("connection_state", .string(session.connectionState.rawValue)),
            ("started_midstream", .bool(session.startedMidstream)),
            ("detected_by_content", .bool(session.detectedByContent)),
            ("missing_bytes", .uint(session.missingBytes)),
            ("unsolicited_replies", .array(session.unsolicitedReplies.map(reply))),
        ])
    }

    static func reply(_ reply: ReplyRecord) -> JSONValue {
        .object([("code", .int(Int64(reply.code))), ("text", .string(reply.text)), ("time", time(reply.time))])
    }

    static func command(_ command: CommandRecord, _ passwords: PasswordPolicy) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("time", time(command.time)),
            ("command", .string(command.verbText)),
            ("argument", .string(passwords.displayArgument(of: command))),
            ("reply_code", command.reply.map { .int(Int64($0.code)) } ?? .null),
            ("reply_text", .optional(command.reply?.text)),
            ("reply_time_ms", command.replyTimeMilliseconds.map { .double($0) } ?? .null),
        ]
        if !command.preliminary.isEmpty { members.append(("preliminary", .array(command.preliminary.map(reply)))) }
        if command.truncated { members.append(("truncated", .bool(true))) }
        if command.reply?.truncated == true { members.append(("reply_truncated", .bool(true))) }
        return .object(members)
    }

    /// One transfer (SPEC.md `transfers`).
    public static func transfer(_ transfer: Transfer) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("command", .optional(transfer.command?.name)),
            ("argument", .optional(transfer.argument)),
            ("path", .optional(transfer.path)),
            ("mode", .optional(transfer.mode?.rawValue)),
            ("announced", .optional(transfer.announced?.description)),
            ("observed", .optional(transfer.observed?.description)),
            ("status", .string(transfer.status.rawValue)),
        ]
        if let cause = transfer.cause { members.append(("cause", .string(cause.rawValue))) }
        if let communityID = transfer.communityID { members.append(("community_id", .string(communityID))) }
        members += [
            ("syn_attempts", .int(Int64(transfer.synAttempts))),
            ("reply_code", transfer.reply.map { .int(Int64($0.code)) } ?? .null),
            ("reply_text", .optional(transfer.reply?.text)),
            ("bytes", .uint(transfer.bytes)),
            ("start", time(transfer.start)),
            ("end", time(transfer.end)),
        ]
        if let verb = transfer.announcementVerb { members.append(("announcement", .string(verb.name))) }
        if transfer.inferred { members.append(("inferred", .bool(true))) }
        if transfer.missingBytes > 0 { members.append(("missing_bytes", .uint(transfer.missingBytes))) }
        if let connection = transfer.observedConnection {
            members.append(("data_originator", .string(connection.originator.description)))
            members.append(("connection_state", .string(connection.state.rawValue)))
            members.append(("match", .string(connection.match.rawValue)))
            if let icmp = connection.icmpReason { members.append(("icmp", .string(icmp))) }
        }
        if let size = transfer.expectedSize { members.append(("expected_size", .uint(size))) }
        if let offset = transfer.restOffset { members.append(("rest_offset", .uint(offset))) }
        if let type = transfer.transferType { members.append(("type", .string(type))) }
        if let diagnosis = transfer.diagnosis { members.append(("diagnosis", .string(diagnosis))) }
        members += TransferMetricsFields.json(transfer)
        if let file = transfer.extractedFile {
            members.append(("sha256", .string(file.sha256)))
            members.append(("bytes_extracted", .uint(file.bytes)))
            members.append(("extracted_file", .string(file.fileName)))
            members.append(("extraction", .string(file.complete ? "complete" : "partial")))
            if let note = file.note { members.append(("extraction_note", .string(note))) }
        }
        if let listing = transfer.listing { members.append(("listing", .array(listing.map(listingEntry)))) }
        return .object(members)
    }

    /// One entry of a parsed directory listing.
    public static func listingEntry(_ entry: ListingEntry) -> JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(entry.name)), ("type", .string(entry.type))]
        if let size = entry.size { members.append(("size", .uint(size))) }
        if let modified = entry.modified { members.append(("modified", .string(modified))) }
        return .object(members)
    }

    /// One finding.
    public static func finding(_ finding: Finding, _ passwords: PasswordPolicy) -> JSONValue {
        .object([
            ("kind", .string(finding.kind.rawValue)),
            ("severity", .string(finding.severity.rawValue)),
            ("session", .optional(finding.session)),
            ("time", time(finding.time)),
            ("summary", .string(finding.summary)),
            ("detail", .string(finding.detail)),
            ("evidence", evidence(.object(finding.evidence))),
        ])
    }

    static func evidence(_ value: EvidenceValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(text)
        case .int(let number): return .int(number)
        case .bool(let flag): return .bool(flag)
        case .list(let values): return .array(values.map(evidence))
        case .object(let pairs): return .object(pairs.map { ($0.0, evidence($0.1)) })
        }
    }
}
