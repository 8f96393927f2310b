import FTPAnalysis
import FTPProtocol
import NetworkTypes

/// Transfers and findings in the `--format json` document (SPEC.md `transfers`, `findings`).
extension JSONDocument {
    /// One transfer: the fixed members, then those present only when they apply.
    public static func write(transfer: Transfer, into out: inout JSONWriter) {
        // The connections read where they lie: a record is large (strings, progress counters), and each
        // `connections[index].field` (and each `TransferFacts` getter, which reads through it) copied all of it.
        transfer.withConnections { connections in
            let observed = transfer.observedIndex.map { connections.baseAddress! + $0 }
            write(transfer: transfer, connections: connections, observed: observed, into: &out)
        }
    }

    /// `write(transfer:into:)` with the connections and the observed one (`TransferFacts.observedIndex`) in place.
    ///
    /// `start`, `end`, `community_id`, `syn_attempts`, `bytes` and `missing_bytes` are `TransferFacts`'
    /// definitions read from the record in place (`TransferJSONAgreementTests` holds them equal on every sample
    /// and corpus trace).
    private static func write(
        transfer: Transfer, connections: UnsafeBufferPointer<DataConnectionRecord>,
        observed: UnsafePointer<DataConnectionRecord>?, into out: inout JSONWriter
    ) {
        out.beginObject()
        out.key("command")
        if let command = transfer.command { out.verb(command) } else { out.null() }
        out.key("argument")
        out.optional(transfer.argument)
        out.key("path")
        // Its bytes, without the string `path` makes of a relative one (an allocation a transfer).
        transfer.withPathUTF8 { bytes in if let bytes { out.string(utf8: bytes) } else { out.null() } }
        out.key("mode")
        if let mode = transfer.mode { out.word(mode.word) } else { out.null() }
        out.key("announced")
        if let announced = transfer.announced { out.endpoint(announced) } else { out.null() }
        out.key("observed")
        if let observed { out.endpoint(observed.pointee.responder) } else { out.null() }
        // The verdict's two fields read where they lie: a copy of the verdict retained its evidence's strings.
        out.key("status")
        out.word(transfer.verdict.status.word)
        if let cause = transfer.verdict.cause {
            out.key("cause")
            out.word(cause.word)
        }
        if let observed {
            out.key("community_id")
            out.communityID(observed.pointee.originator, observed.pointee.responder)
        }
        out.key("syn_attempts")
        var synAttempts = 0
        for index in connections.indices { synAttempts += connections[index].synAttempts }
        out.int(synAttempts)
        let reply = transfer.reply
        out.key("reply_code")
        if let reply { out.int(reply.code) } else { out.null() }
        out.key("reply_text")
        if let reply { out.string(reply.text) } else { out.null() }
        let (capturedBytes, missingBytes) = dataBytes(command: transfer.command, mode: transfer.mode, observed)
        out.key("bytes")
        out.uint(capturedBytes + missingBytes)
        out.key("start")
        out.time(observed?.pointee.firstTime ?? transfer.commandTime ?? transfer.announcedAt)
        out.key("end")
        if let last = observed?.pointee.lastTime {
            if let replyTime = reply?.time, replyTime > last { out.time(replyTime) } else { out.time(last) }
        } else {
            out.time(reply?.time)
        }
        if let verb = transfer.announcementVerb {
            out.key("announcement")
            out.verb(verb)
        }
        if transfer.inferred {
            out.key("inferred")
            out.bool(true)
        }
        if missingBytes > 0 {
            out.key("missing_bytes")
            out.uint(missingBytes)
        }
        if let observed {
            out.key("data_originator")
            out.endpoint(observed.pointee.originator)
            out.key("connection_state")
            out.word(observed.pointee.state.word)
            out.key("match")
            out.word(observed.pointee.match.word)
            if let icmp = observed.pointee.icmpReason {
                out.key("icmp")
                out.string(icmp)
            }
        }
        if let size = transfer.expectedSize {
            out.key("expected_size")
            out.uint(size)
        }
        if let offset = transfer.restOffset {
            out.key("rest_offset")
            out.uint(offset)
        }
        if let type = transfer.transferType {
            out.key("type")
            out.string(type)
        }
        // Read where the wording memo keeps it (no `String` per failed transfer).
        _ = transfer.withDiagnosis { sentence in
            out.key("diagnosis")
            out.string(utf8: sentence)
        }
        TransferMetricsFields.write(transfer, into: &out)
        if let file = transfer.extractedFile {
            out.key("sha256")
            out.string(file.sha256)
            out.key("bytes_extracted")
            out.uint(file.bytes)
            out.key("extracted_file")
            out.string(file.fileName)
            out.key("extraction")
            out.string(file.complete ? "complete" : "partial")
            if let note = file.note {
                out.key("extraction_note")
                out.string(note)
            }
        }
        if let listing = transfer.listing {
            out.key("listing")
            out.beginArray()
            for entry in listing {
                out.element()
                out.beginObject()
                out.key("name")
                out.string(entry.name)
                out.key("type")
                out.string(entry.type)
                if let size = entry.size {
                    out.key("size")
                    out.uint(size)
                }
                if let modified = entry.modified {
                    out.key("modified")
                    out.string(modified)
                }
                out.endObject()
            }
            out.endArray()
        }
        out.endObject()
    }

    /// `TransferFacts.capturedBytes` and `missingBytes` read from the observed record in place: the bytes of the
    /// data direction (fixed by the command, the opener by the mode), or of both without a data command.
    static func dataBytes(
        command: FTPVerb?, mode: DataMode?, _ observed: UnsafePointer<DataConnectionRecord>?
    ) -> (captured: UInt64, missing: UInt64) {
        guard let observed else { return (0, 0) }
        guard let command else {
            return (
                observed.pointee.originatorBytes + observed.pointee.responderBytes,
                observed.pointee.originatorMissingBytes + observed.pointee.responderMissingBytes
            )
        }
        let clientOpened = !(mode?.serverConnects ?? true)
        if command.isUpload == clientOpened {
            return (observed.pointee.originatorBytes, observed.pointee.originatorMissingBytes)
        }
        return (observed.pointee.responderBytes, observed.pointee.responderMissingBytes)
    }

    /// One finding.
    public static func write(finding: Finding, _ passwords: PasswordPolicy, into out: inout JSONWriter) {
        var scratch: [UInt8] = []
        write(finding: finding, passwords, scratch: &scratch, into: &out)
    }

    /// One finding, its summary worded in `scratch` (kept by the caller from one finding to the next).
    static func write(
        finding: Finding, _ passwords: PasswordPolicy, scratch: inout [UInt8], into out: inout JSONWriter
    ) {
        out.beginObject()
        out.key("kind")
        out.string(finding.kind.rawValue)
        out.key("severity")
        out.string(finding.severity.rawValue)
        out.key("session")
        out.optional(finding.session)
        out.key("time")
        out.time(finding.time)
        out.key("summary")
        FindingWording.withSummary(of: finding, scratch: &scratch) { out.string(utf8: $0) }
        out.key("detail")
        // A failed data connection's detail is its verdict's diagnosis, read where the wording memo keeps it.
        if case .failedDataConnection(let verdict) = finding.facts,
            CauseWording.withDiagnosis(of: verdict, { out.string(utf8: $0) }) != nil
        {
        } else {
            out.string(finding.detail)
        }
        out.key("evidence")
        write(evidence: finding.evidence, into: &out)
        out.endObject()
    }

    /// Evidence written member by member (the same bytes a `JSONValue` tree of it serializes to, without the
    /// tree), the members read where they lie: iterating copied each name and value out (retained, released).
    static func write(evidence members: [(String, EvidenceValue)], into out: inout JSONWriter) {
        out.beginObject()
        members.withUnsafeBufferPointer { members in
            for index in members.indices {
                out.key(text: members[index].0)
                write(evidence: members[index].1, into: &out)
            }
        }
        out.endObject()
    }

    static func write(evidence value: EvidenceValue, into out: inout JSONWriter) {
        switch value {
        case .string(let text): out.string(text)
        case .int(let number): out.int(number)
        case .bool(let flag): out.bool(flag)
        case .list(let values):
            out.beginArray()
            values.withUnsafeBufferPointer { values in
                for index in values.indices {
                    out.element()
                    write(evidence: values[index], into: &out)
                }
            }
            out.endArray()
        case .object(let members):
            write(evidence: members, into: &out)
        }
    }
}
