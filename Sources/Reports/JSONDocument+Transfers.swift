import FTPAnalysis
import NetworkTypes

/// Transfers and findings in the `--format json` document (SPEC.md `transfers`, `findings`).
extension JSONDocument {
    /// One transfer: the fixed members, then those present only when they apply.
    public static func write(transfer: Transfer, into out: inout JSONWriter) {
        out.beginObject()
        out.key("command")
        out.optional(transfer.command?.name)
        out.key("argument")
        out.optional(transfer.argument)
        out.key("path")
        out.optional(transfer.path)
        out.key("mode")
        out.optional(transfer.mode?.rawValue)
        out.key("announced")
        if let announced = transfer.announced { out.endpoint(announced) } else { out.null() }
        let observedIndex = transfer.observedIndex
        out.key("observed")
        if let index = observedIndex { out.endpoint(transfer.connections[index].responder) } else { out.null() }
        out.key("status")
        out.string(transfer.status.rawValue)
        if let cause = transfer.cause {
            out.key("cause")
            out.string(cause.rawValue)
        }
        if let communityID = transfer.communityID {
            out.key("community_id")
            out.string(communityID)
        }
        out.key("syn_attempts")
        out.int(transfer.synAttempts)
        out.key("reply_code")
        if let reply = transfer.reply { out.int(reply.code) } else { out.null() }
        out.key("reply_text")
        out.optional(transfer.reply?.text)
        out.key("bytes")
        out.uint(transfer.bytes)
        out.key("start")
        out.time(transfer.start)
        out.key("end")
        out.time(transfer.end)
        if let verb = transfer.announcementVerb {
            out.key("announcement")
            out.string(verb.name)
        }
        if transfer.inferred {
            out.key("inferred")
            out.bool(true)
        }
        if transfer.missingBytes > 0 {
            out.key("missing_bytes")
            out.uint(transfer.missingBytes)
        }
        // Fields read through the index: the record is large, and a copy of it per transfer cost more than them.
        if let index = observedIndex {
            out.key("data_originator")
            out.endpoint(transfer.connections[index].originator)
            out.key("connection_state")
            out.string(transfer.connections[index].state.rawValue)
            out.key("match")
            out.string(transfer.connections[index].match.rawValue)
            if let icmp = transfer.connections[index].icmpReason {
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
        if let diagnosis = transfer.diagnosis {
            out.key("diagnosis")
            out.string(diagnosis)
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

    /// One finding.
    public static func write(finding: Finding, _ passwords: PasswordPolicy, into out: inout JSONWriter) {
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
        out.string(finding.summary)
        out.key("detail")
        out.string(finding.detail)
        out.key("evidence")
        write(evidence: .object(finding.evidence), into: &out)
        out.endObject()
    }

    /// Evidence written member by member (the same bytes a `JSONValue` tree of it serializes to, without the tree).
    static func write(evidence value: EvidenceValue, into out: inout JSONWriter) {
        switch value {
        case .string(let text): out.string(text)
        case .int(let number): out.int(number)
        case .bool(let flag): out.bool(flag)
        case .list(let values):
            out.beginArray()
            for element in values {
                out.element()
                write(evidence: element, into: &out)
            }
            out.endArray()
        case .object(let pairs):
            out.beginObject()
            for (name, member) in pairs {
                out.key(text: name)
                write(evidence: member, into: &out)
            }
            out.endObject()
        }
    }
}
