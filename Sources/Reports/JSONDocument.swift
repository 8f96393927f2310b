import FTPAnalysis
import NetworkTypes

/// The `--format json` document of SPEC.md, written member by member into bytes (`JSONWriter`): a session of a
/// million commands costs its records and a 64 KiB buffer, never a tree or a string of the document.
public enum JSONDocument {
    /// The whole document, pretty-printed, ending with a newline.
    public static func render(_ input: ReportInput) -> String {
        var text = ""
        write(input) { text += $0 }
        return text
    }

    /// The whole document as `render` makes it, handed to `sink` in pieces of about 64 KiB.
    public static func write(_ input: ReportInput, to sink: (String) -> Void) {
        let pieceBytes = 1 << 16
        var out = JSONWriter(pretty: true, capacity: pieceBytes + 4096)
        func handOver() {
            sink(out.text)
            out.removeAll()
        }
        out.beginObject()
        out.key("version")
        out.string(input.version)
        out.key("inputs")
        out.value(.array(input.inputs.map(inputValue)))
        out.key("stats")
        out.value(statsValue(input.stats))
        // Said only when the user narrowed the output, so that a script can tell a narrowed document apart.
        if let narrowing = input.narrowing {
            out.key("narrowed_to")
            out.string(narrowing.description)
        }
        out.key("sessions")
        out.beginArray()
        for session in input.sessions {
            out.element()
            write(session: session, input.passwords, narrowing: input.narrowing, into: &out)
            if out.count >= pieceBytes { handOver() }
        }
        out.endArray()
        out.key("findings")
        out.beginArray()
        for finding in input.findings {
            out.element()
            write(finding: finding, input.passwords, into: &out)
            if out.count >= pieceBytes { handOver() }
        }
        out.endArray()
        out.endObject()
        out.endLine()
        handOver()
    }

    static func inputValue(_ input: InputDescription) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("path", .string(input.path)), ("format", .string(input.format)), ("link_type", .string(input.linkType)),
            ("packets", .uint(input.packets)), ("bytes", .uint(input.bytes)),
            ("first_time", input.firstTime.map { .string($0.iso8601) } ?? .null),
            ("last_time", input.lastTime.map { .string($0.iso8601) } ?? .null), ("truncated", .bool(input.truncated)),
        ]
        if let warning = input.warning { members.append(("warning", .string(warning))) }
        return .object(members)
    }

    static func statsValue(_ stats: [(String, UInt64)]) -> JSONValue { .object(stats.map { ($0.0, .uint($0.1)) }) }

    /// One session as the document writes it, alone (`indent` 0) and compact or pretty: for tests and tools.
    public static func sessionText(
        _ session: FTPSession, _ passwords: PasswordPolicy, narrowing: Narrowing? = nil, pretty: Bool = true
    ) -> String {
        var out = JSONWriter(pretty: pretty)
        write(session: session, passwords, narrowing: narrowing, into: &out)
        return out.text
    }

    /// One transfer as the document writes it, alone.
    public static func transferText(_ transfer: Transfer, pretty: Bool = false) -> String {
        var out = JSONWriter(pretty: pretty)
        write(transfer: transfer, into: &out)
        return out.text
    }

    /// Bytes a session's JSON may reach in the writer before a `JSONSessionDrain` given to `write(session:…)` takes
    /// them (checked after each command and each transfer).
    public static let drainThreshold = 1 << 20

    /// One session; under a status filter (`narrowing`) only its transfers with a kept outcome. With `draining`, the
    /// bytes written so far are handed to it whenever they pass `drainThreshold`, so that a session of a million
    /// commands (200 MB of JSON) goes out in pieces instead of waiting whole in memory beside its records.
    public static func write(
        session: FTPSession, _ passwords: PasswordPolicy, narrowing: Narrowing? = nil, into out: inout JSONWriter,
        draining: JSONSessionDrain? = nil
    ) {
        out.beginObject()
        out.key("id")
        out.string(session.id)
        out.key("client")
        out.endpoint(session.client)
        out.key("server")
        out.endpoint(session.server)
        out.key("community_id")
        out.communityID(session.client, session.server)
        out.key("start")
        out.time(session.start)
        out.key("end")
        out.time(session.end)
        out.key("banner")
        out.optional(session.banner)
        out.key("user")
        out.optional(session.user)
        out.key("login")
        out.string(session.login.rawValue)
        out.key("login_attempts")
        out.beginArray()
        for attempt in session.loginAttempts {
            out.element()
            out.beginObject()
            out.key("user")
            out.string(attempt.user)
            out.key("password")
            out.optional(attempt.password.map { passwords.display(password: $0, user: attempt.user) })
            out.key("password_length")
            if let password = attempt.password { out.int(password.count) } else { out.null() }
            out.key("outcome")
            out.string(attempt.outcome.rawValue)
            out.key("reply_code")
            if let code = attempt.replyCode { out.int(code) } else { out.null() }
            out.key("time")
            out.time(attempt.time)
            out.endObject()
        }
        out.endArray()
        out.key("tls")
        out.bool(session.tls)
        out.key("commands")
        out.beginArray()
        // Each record read in place (`CommandLog` keeps them where they were appended) rather than copied out
        // (strings and all).
        let commands = session.commands
        for index in commands.indices {
            out.element()
            write(commandAt: commands.pointer(at: index), passwords, into: &out)
            if let draining, out.count >= drainThreshold { draining.drain(&out) }
        }
        out.endArray()
        out.key("end_state")
        out.string(session.endState.rawValue)
        out.key("transfers")
        out.beginArray()
        for transfer in narrowing?.transfers(of: session) ?? session.transfers {
            out.element()
            write(transfer: transfer, into: &out)
            if let draining, out.count >= drainThreshold { draining.drain(&out) }
        }
        out.endArray()
        out.key("working_directory")
        out.optional(session.workingDirectory)
        out.key("connection_state")
        out.string(session.connectionState.rawValue)
        out.key("started_midstream")
        out.bool(session.startedMidstream)
        out.key("detected_by_content")
        out.bool(session.detectedByContent)
        out.key("missing_bytes")
        out.uint(session.missingBytes)
        out.key("unsolicited_replies")
        write(replies: session.unsolicitedReplies, into: &out)
        out.endObject()
    }

    /// Replies read where they lie in the array (each copied out retained and released its text).
    static func write(replies: [ReplyRecord], into out: inout JSONWriter) {
        out.beginArray()
        replies.withUnsafeBufferPointer { records in
            for index in records.indices { write(replyAt: records.baseAddress! + index, into: &out) }
        }
        out.endArray()
    }

    /// One element of a `replies` array.
    private static func write(replyAt reply: UnsafePointer<ReplyRecord>, into out: inout JSONWriter) {
        out.element()
        out.beginObject()
        out.key("code")
        out.int(reply.pointee.code)
        out.key("text")
        string(at: reply, \.text, into: &out)
        out.key("time")
        out.time(reply.pointee.time)
        out.endObject()
    }

    static func write(command: CommandRecord, _ passwords: PasswordPolicy, into out: inout JSONWriter) {
        withUnsafePointer(to: command) { write(commandAt: $0, passwords, into: &out) }
    }

    /// The string stored at `path` in the record at `record`, written as `JSONWriter.string` writes it, its bytes
    /// read through a pointer to the field: `out.string(record.pointee.field)` loaded a copy of the string to hand
    /// it over (a retain and a release), the memory behind a pointer being free to change meanwhile as far as the
    /// compiler knows. A path that is not a stored property (no offset) is read the ordinary way.
    @inline(__always)
    static func string<Record>(at record: UnsafePointer<Record>, _ path: KeyPath<Record, String>, into out: inout JSONWriter) {
        guard let offset = MemoryLayout<Record>.offset(of: path) else {
            out.string(record.pointee[keyPath: path])
            return
        }
        // Lent in place (`withUTF8` on the field itself): `withContiguousStorageIfAvailable` on its UTF-8 view loaded
        // a copy of the string, a retain and a release of every text longer than 15 bytes (the argument of nearly
        // every command), whose storage the analysis thread's text cache shares. `withUTF8` changes a string only
        // when it is not contiguous UTF-8, which no string made here is; it never writes to a native one.
        UnsafeMutablePointer(mutating: (UnsafeRawPointer(record) + offset).assumingMemoryBound(to: String.self))
            .pointee.withUTF8 { out.string(utf8: $0) }
    }

    /// The reply of the command at `command`, where it lies in the record, or nil when it has none. An optional
    /// whose payload has spare bits (a `String` has) is a single-payload enum: its payload sits at offset 0 and
    /// `.none` is one of the payload's invalid bit patterns, so a present reply is read through the field's own
    /// address. `reply` is a stored property of a struct of this package, so it has an offset.
    @inline(__always)
    static func reply(at command: UnsafePointer<CommandRecord>) -> UnsafePointer<ReplyRecord>? {
        let field = (UnsafeRawPointer(command) + MemoryLayout<CommandRecord>.offset(of: \.reply)!)
            .assumingMemoryBound(to: ReplyRecord?.self)
        // Matched, not bound or compared with nil: neither copies the record.
        guard case .some = field.pointee else { return nil }
        return UnsafeRawPointer(field).assumingMemoryBound(to: ReplyRecord.self)
    }

    /// One command read where it lies: passing the record by value copied it (strings and arrays retained and
    /// released) for every command of the document.
    static func write(
        commandAt command: UnsafePointer<CommandRecord>, _ passwords: PasswordPolicy, into out: inout JSONWriter
    ) {
        out.beginObject()
        out.key("time")
        out.time(command.pointee.time)
        out.key("command")
        if let malformed = CommandRecord.malformedVerb(at: command) {
            out.string(malformed)
        } else {
            out.verb(command.pointee.verb)
        }
        out.key("argument")
        // As `PasswordPolicy.displayArgument(of:)`, without handing it a copy of the record.
        // A pattern rather than `==`: the derived equality of a verb (it has a payload case) is a call.
        if case .pass = command.pointee.verb {
            out.string(passwords.display(password: command.pointee.argument, user: command.pointee.user))
        } else {
            string(at: command, \.argument, into: &out)
        }
        // The reply read where it lies: binding it (`if let reply`) copied the record, retaining and releasing its
        // text, for every command (each `reply?.field` did as well).
        var replyTruncated = false
        if let reply = reply(at: command) {
            replyTruncated = reply.pointee.truncated
            out.key("reply_code")
            out.int(reply.pointee.code)
            out.key("reply_text")
            string(at: reply, \.text, into: &out)
            out.key("reply_time_ms")
            out.milliseconds(from: command.pointee.time, to: reply.pointee.time)
        } else {
            out.key("reply_code")
            out.null()
            out.key("reply_text")
            out.null()
            out.key("reply_time_ms")
            out.null()
        }
        if CommandRecord.hasPreliminary(at: command) {
            // Read where they lie: the `preliminary` getter makes an array of them.
            out.key("preliminary")
            out.beginArray()
            CommandRecord.forEachPreliminary(at: command) { reply in
                withUnsafePointer(to: reply) { write(replyAt: $0, into: &out) }
            }
            out.endArray()
        }
        if command.pointee.truncated {
            out.key("truncated")
            out.bool(true)
        }
        if replyTruncated {
            out.key("reply_truncated")
            out.bool(true)
        }
        out.endObject()
    }
}

/// Takes the bytes of a session's JSON written so far (`JSONDocument.write(session:…draining:)`), leaving the writer
/// empty to go on with the rest of the session.
public protocol JSONSessionDrain: AnyObject {
    func drain(_ out: inout JSONWriter)
}
