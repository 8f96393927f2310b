import FTPAnalysis
import NetworkTypes

extension TimelineRowBuilder {
    /// When `event` is a command or a transfer, appends the CSV record of its timeline row to `out` and returns
    /// the row's time; else nil (the caller then goes through `fill`). The bytes are those `fill` and
    /// `CSVTimelineWriter.encode` make, and the session's user is noted as `fill` notes it.
    ///
    /// Commands and transfers are six rows in seven on the control-heavy benchmark. Through the row, each of
    /// their texts was moved into a `TimelineRow` (retained, and released when the next row replaced it), the
    /// row's thirty fields were cleared, and the writer then asked each of them whether it was there. Here the
    /// texts are read where they lie, the cells the session decides are copied from `CSVSessionCells`, and the
    /// cells such a row never has are their commas alone. Only when the CSV file is the timeline's one output
    /// (JSON Lines and ECS documents read the row's other fields).
    mutating func encodeCSV(_ event: AnalysisEvent, into out: RowBytes, cache: RowTextCache) -> Timestamp? {
        // A switch, not `if case`: that copied the whole event first.
        switch event {
        case .command(let command):
            // Lent where they lie: the identity in the event's shared context, the record in the session's log,
            // `inout` only so that it is not copied (`CommandEvent.recordAddress`); never written.
            encodeCSV(
                session: command.session, command: &UnsafeMutablePointer(mutating: command.recordAddress).pointee,
                into: out, cache: cache)
            return command.record.time
        case .transfer(let session, let transfer):
            return encodeCSV(transfer: transfer, session: session, into: out, cache: cache)
        case .reply(let session, let reply):
            // Only for a session with cells (nearly all): any other goes through `fill`, which knows the rest.
            guard let slot = session.number.flatMap({ live.slot(ofNumber: $0) }) else { return nil }
            encodeCSV(reply: reply, slot: slot, session: session, into: out, cache: cache)
            return reply.time
        case .sessionStarted(let session):
            guard let number = session.number else { return nil }
            // What `fill` notes for the session: its facts and their cells (the Community ID made once for both).
            let communityID = session.communityID
            live[session.id] = SessionFacts(
                client: session.client, server: session.server, communityID: communityID,
                cells: CSVSessionCells(
                    id: session.id, client: session.client, server: session.server,
                    communityID: communityID, scratch: cellScratch))
            guard let slot = live.slot(ofNumber: number) else { return nil }
            encodeCSV(
                sessionRow: ",session_start", at: session.start, detail: Self.startNotes(of: session), slot: slot,
                session: session, into: out, cache: cache)
            return session.start
        case .sessionEnded(let ended):
            guard let number = SessionIdentity.number(of: ended.id), let slot = live.slot(ofNumber: number) else {
                return nil
            }
            encodeCSV(
                sessionRow: ",session_end", at: ended.end, detail: Self.endDetail(of: ended), slot: slot,
                session: ended.identity, into: out, cache: cache)
            // What `fill` does once the row is made: the facts kept for findings that settle later.
            if let facts = live.removeValue(forKey: ended.id) { remember(ended: ended.id, facts) }
            return ended.end
        case .finding(let finding):
            return encodeCSV(finding: finding, into: out, cache: cache)
        default:
            return nil
        }
    }

    /// A finding's record (`fill`'s `.finding` case, as the CSV writer writes it) when its session's facts are
    /// kept (open, or ended lately): the session's cells, its user, the severity, kind and detail; nil (nothing
    /// written) for any other finding, which goes through `fill`. Through a `TimelineRow` a finding's row cost
    /// about 5 000 instructions on the control-heavy benchmark: the finding and the session's facts copied out
    /// (its cells retained), the row's fields cleared and set, each asked for again by the writer.
    private func encodeCSV(finding: Finding, into out: RowBytes, cache: RowTextCache) -> Timestamp? {
        guard let id = finding.session, let number = SessionIdentity.number(of: id) else { return nil }
        // Where `fill` looks: the open sessions first, then those ended lately.
        if let slot = live.slot(ofNumber: number) {
            Self.encodeCSV(finding: finding, id: id, facts: live[slot: slot], into: out, cache: cache)
        } else if let slot = ended.slot(ofNumber: number) {
            Self.encodeCSV(finding: finding, id: id, facts: ended[slot: slot], into: out, cache: cache)
        } else {
            return nil
        }
        return finding.time
    }

    @inline(__always)
    private static func encodeCSV(
        finding: Finding, id: String, facts: borrowing SessionFacts, into out: RowBytes, cache: RowTextCache
    ) {
        typealias Cells = CSVTimelineWriter
        cache.write(finding.time, into: out)
        if facts.cells.id.count > 0 { facts.cells.id.write(into: out) } else { Cells.textCell(id, out) }
        out.append(",finding" as StaticString)
        if facts.cells.endpoints.count > 0 {
            facts.cells.endpoints.write(into: out)
        } else {
            cache.writePair(facts.client, facts.server, into: out)
        }
        // The user as known so far (as `writeUserCell`).
        if case .none = facts.user {
            out.append(UInt8(ascii: ","))
        } else if facts.cells.user.count > 0 {
            facts.cells.user.write(into: out)
        } else {
            Cells.textCell(facts.user, out)
        }
        // No command, argument or reply; the data connection's six cells: none.
        out.append(",,,,,,,,,,," as StaticString)
        Cells.wordCell(finding.severity, out)
        Cells.wordCell(finding.kind, out)
        // A failed data connection's detail is its verdict's diagnosis, read where the wording memo keeps it.
        if case .failedDataConnection(let verdict) = finding.facts,
            CauseWording.withDiagnosis(of: verdict, { Cells.textCell(utf8: $0, out) }) != nil
        {
        } else {
            Cells.textCell(finding.detail, out)
        }
        // No cause; the control connection's Community ID (as `writeCommunityIDCell`); no transfer metrics.
        out.append(UInt8(ascii: ","))
        if facts.cells.communityID.count > 0 {
            facts.cells.communityID.write(into: out)
        } else {
            Cells.textCell(facts.communityID, out)
        }
        out.append(",,,,,," as StaticString)
        out.append(0x0D, 0x0A)
    }

    /// A session's start or end row (`fill`'s cases, as the CSV writer writes them), for a session in slot `slot`
    /// of the live table: the session's cells, its user so far, `detail`, nothing else. Through a `TimelineRow`
    /// each of these rows cost about three times a command's.
    private func encodeCSV(
        sessionRow event: StaticString, at time: Timestamp, detail: String?, slot: Int, session: SessionIdentity,
        into out: RowBytes, cache: RowTextCache
    ) {
        typealias Cells = CSVTimelineWriter
        cache.write(time, into: out)
        writeSessionCells(slot, session, event: event, out, cache)
        writeUserCell(slot, out)
        // No command, argument or reply; the data connection's six cells, severity and finding: none.
        out.append(",,,,,,,,,,,,," as StaticString)
        Cells.textCell(detail, out)
        // No cause.
        out.append(UInt8(ascii: ","))
        writeCommunityIDCell(slot, out)
        out.append(",,,,,," as StaticString)
        out.append(0x0D, 0x0A)
    }

    /// The user cell of the session in `slot`: its user as known so far, or the comma alone.
    @inline(__always)
    private func writeUserCell(_ slot: Int, _ out: RowBytes) {
        if case .none = live[slot: slot].user {
            out.append(UInt8(ascii: ","))
        } else if live[slot: slot].cells.user.count > 0 {
            live[slot: slot].cells.user.write(into: out)
        } else {
            CSVTimelineWriter.textCell(live[slot: slot].user, out)
        }
    }

    /// The Community ID cell of the session in `slot`.
    @inline(__always)
    private func writeCommunityIDCell(_ slot: Int, _ out: RowBytes) {
        if live[slot: slot].cells.communityID.count > 0 {
            live[slot: slot].cells.communityID.write(into: out)
        } else {
            CSVTimelineWriter.textCell(live[slot: slot].communityID, out)
        }
    }

    /// A reply's record (the greeting, or a reply that answers no command: `fill`'s `.reply` case, as the CSV writer
    /// writes it), for a session in slot `slot` of the live table. Through a `TimelineRow`, such a row cost three
    /// times a command's: its cells were each cleared, set, asked for and checked.
    private func encodeCSV(
        reply: ReplyRecord, slot: Int, session: SessionIdentity, into out: RowBytes, cache: RowTextCache
    ) {
        typealias Cells = CSVTimelineWriter
        cache.write(reply.time, into: out)
        writeSessionCells(slot, session, event: ",reply", out, cache)
        writeUserCell(slot, out)
        // No command or argument; the reply's code and text; no reply time.
        out.append(",," as StaticString)
        Cells.integerCell(Int64(reply.code), out)
        Cells.textCell(reply.text, out)
        // The reply time, the data connection's six cells, severity, finding, detail and cause: none.
        out.append(",,,,,,,,,,," as StaticString)
        writeCommunityIDCell(slot, out)
        out.append(",,,,,," as StaticString)
        out.append(0x0D, 0x0A)
    }

    /// A command's record (`fill`'s `.command` case, as the CSV writer writes it). The record is lent `inout` only
    /// to be read in place; it is not written.
    private mutating func encodeCSV(
        session: SessionIdentity, command: inout CommandRecord, into out: RowBytes, cache: RowTextCache
    ) {
        typealias Cells = CSVTimelineWriter
        cache.write(command.time, into: out)
        // The user the row names: the one a USER command logs in as, else the one it was sent as (nil: none).
        // Matched, not compared (see `fill`).
        let rowUser: String?
        if case .user = command.verb { rowUser = command.argument } else { rowUser = command.user }
        // The session's facts read and changed where they lie, through their slot: a closure (`update`) copied
        // the user and retained the buffer, the cache and the session it captured, four times a row.
        let slot = session.number.flatMap { live.slot(ofNumber: $0) }
        if let slot {
            if let rowUser, !Self.same(live[slot: slot].user, rowUser) {
                live[slot: slot].setUser(rowUser, scratch: cellScratch)
            }
            writeSessionCells(slot, session, event: ",command", out, cache)
            // The session's user cell serves when the row names the session's user (nearly always: set above).
            let user = live[slot: slot].cells.user
            if rowUser == nil {
                out.append(UInt8(ascii: ","))
            } else if user.count > 0 {
                user.write(into: out)
            } else {
                Cells.textCell(rowUser, out)
            }
        } else {
            noteUser(rowUser, session)
            Self.writeSessionCells(nil, session, event: ",command", out, cache)
            Cells.textCell(rowUser, out)
        }
        if command.malformedVerb == nil, let word = command.verb.nameWord {
            out.append(UInt8(ascii: ","))
            out.append(word)
        } else {
            Cells.textCell(command.verbText, out)
        }
        // As `PasswordPolicy.displayArgument(of:)`, the argument written where it lies rather than returned (a
        // copy of the string, retained and released, for every command).
        if case .pass = command.verb {
            Cells.textCell(passwords.display(password: command.argument, user: command.user), out)
        } else {
            Cells.textCell(command.argument, out)
        }
        // The reply's fields read where they lie: binding it copied the record (its text retained).
        if let replyCode = command.reply?.code {
            Cells.integerCell(Int64(replyCode), out)
            Cells.textCell(command.reply.unsafelyUnwrapped.text, out)
            Cells.numberCell(command.replyTimeMilliseconds, out)
        } else {
            out.append(",,," as StaticString)
        }
        // The data connection's six cells, severity and finding: never a command row's.
        out.append(",,,,,,,," as StaticString)
        // The notes (`notes(of:)`), asked for only when the command has one: nearly none has, and making the
        // absent text, handing it to the cell writer and releasing it cost about 90 instructions a command.
        if command.reconstructed || command.replyLost || command.truncated || command.malformedReply != nil {
            Cells.textCell(Self.notes(of: command), out)
        } else {
            out.append(UInt8(ascii: ","))
        }
        // No cause; then the Community ID; then the six transfer metrics, never a command row's.
        out.append(UInt8(ascii: ","))
        if let slot, live[slot: slot].cells.communityID.count > 0 {
            live[slot: slot].cells.communityID.write(into: out)
        } else {
            writeCommunityID(session, out)
        }
        out.append(",,,,,," as StaticString)
        out.append(0x0D, 0x0A)
    }

    /// A transfer's record (`fill`'s `.transfer` case, as the CSV writer writes it); returns the row's time.
    private mutating func encodeCSV(
        transfer: SettledTransfer, session: SessionIdentity, into out: RowBytes, cache: RowTextCache
    ) -> Timestamp {
        typealias Cells = CSVTimelineWriter
        // The session's cells and, when its cell did not fit, its user, taken out before the closure below: one
        // that read the builder copied it whole (its tables retained) for every transfer.
        var cells: CSVSessionCells?
        var user: String?
        if let slot = session.number.flatMap({ live.slot(ofNumber: $0) }) {
            cells = live[slot: slot].cells
            if cells.unsafelyUnwrapped.user.count == 0 { user = live[slot: slot].user }
        } else {
            live.update(TimelineSessionTable<SessionFacts>.key(of: session.id)) { user = $0.user }
        }
        // The connections and the observed one read where they lie (see `fill`), not copied out of the snapshot.
        let observedIndex = transfer.observedIndex
        return transfer.withConnections { connections in
            let observed = observedIndex.map { connections.baseAddress! + $0 }
            let start = observed?.pointee.firstTime ?? transfer.commandTime ?? transfer.announcedAt
            let time = start ?? session.start
            cache.write(time, into: out)
            // The user known so far: the session's user cell (or none).
            Self.writeSessionCells(cells, session, event: ",data_connection", out, cache)
            if let cells, cells.user.count > 0 {
                cells.user.write(into: out)
            } else {
                Cells.textCell(user, out)
            }
            // An announcement never used by a data command is still a row: PASV/PORT stands in for the command.
            // The reply time is never a transfer's.
            let verb = transfer.command ?? transfer.announcementVerb
            if let word = verb?.nameWord {
                out.append(UInt8(ascii: ","))
                out.append(word)
            } else {
                Cells.textCell(verb?.name, out)
            }
            Cells.textCell(transfer.argument, out)
            if let reply = transfer.reply ?? transfer.announcementReply {
                Cells.integerCell(Int64(reply.code), out)
                Cells.textCell(reply.text, out)
                out.append(UInt8(ascii: ","))
            } else {
                out.append(",,," as StaticString)
            }
            Cells.wordCell(transfer.mode?.word, out)
            Cells.endpointCell(transfer.announced, out, cache)
            Cells.endpointCell(observed?.pointee.responder, out, cache)
            Cells.wordCell(transfer.status.word, out)
            let (captured, missing) = JSONDocument.dataBytes(command: transfer.command, mode: transfer.mode, observed)
            Cells.integerCell(Int64(clamping: captured + missing), out)
            Cells.numberCell(observed.map { $0.pointee.firstTime.milliseconds(to: $0.pointee.lastTime) }, out)
            // No severity, no finding.
            out.append(",," as StaticString)
            // Read where the wording memo keeps it (no `String` per failed transfer).
            if transfer.withDiagnosis({ Cells.textCell(utf8: $0, out) }) == nil { out.append(UInt8(ascii: ",")) }
            Cells.wordCell(transfer.cause?.word, out)
            // The data connection's Community ID (the control connection's moves aside), none when unobserved.
            if let observed {
                Cells.communityIDCell(observed.pointee.originator, observed.pointee.responder, out)
            } else {
                out.append(UInt8(ascii: ","))
            }
            if let metrics = transfer.metrics {
                Cells.integerCell(metrics.bytesPerSecond.map(TransferMetricsFields.integerRate), out)
                Cells.numberCell(metrics.firstByteMilliseconds, out)
                Cells.integerCell(Int64(metrics.retransmissions), out)
                Cells.integerCell(Int64(metrics.zeroWindows), out)
                Cells.textCell(metrics.closedBy?.rawValue, out)
                Cells.textCell(metrics.close?.rawValue, out)
            } else {
                out.append(",,,,,," as StaticString)
            }
            out.append(0x0D, 0x0A)
            return time
        }
    }

    /// The session's id cell, `event` (its comma and word) and the control connection's endpoints' cells, from the
    /// session's cells where they fit.
    @inline(__always)
    private func writeSessionCells(
        _ slot: Int, _ session: SessionIdentity, event: StaticString, _ out: RowBytes, _ cache: RowTextCache
    ) {
        let id = live[slot: slot].cells.id
        if id.count > 0 { id.write(into: out) } else { CSVTimelineWriter.textCell(session.id, out) }
        out.append(event)
        let endpoints = live[slot: slot].cells.endpoints
        if endpoints.count > 0 {
            endpoints.write(into: out)
        } else {
            cache.writePair(session.client, session.server, into: out)
        }
    }

    /// The same from cells taken out of the session's facts (nil: a session without them, written as the CSV
    /// writer writes it).
    @inline(__always)
    private static func writeSessionCells(
        _ cells: CSVSessionCells?, _ session: SessionIdentity, event: StaticString, _ out: RowBytes,
        _ cache: RowTextCache
    ) {
        if let id = cells?.id, id.count > 0 { id.write(into: out) } else { CSVTimelineWriter.textCell(session.id, out) }
        out.append(event)
        if let endpoints = cells?.endpoints, endpoints.count > 0 {
            endpoints.write(into: out)
        } else {
            cache.writePair(session.client, session.server, into: out)
        }
    }

    /// The user noted for a session found by its id (not `S` and a number: hand-built inputs), as `fill` notes it.
    @inline(never)
    private mutating func noteUser(_ rowUser: String?, _ session: SessionIdentity) {
        guard let rowUser else { return }
        let scratch = cellScratch
        live.update(.other(session.id)) { facts in
            if !Self.same(facts.user, rowUser) { facts.setUser(rowUser, scratch: scratch) }
        }
    }

    /// The Community ID's cell when the session's cells do not have it: the one noted for the session, else the
    /// identity's (as `sessionRow` takes them).
    @inline(never)
    private mutating func writeCommunityID(_ session: SessionIdentity, _ out: RowBytes) {
        var noted: String?
        live.update(TimelineSessionTable<SessionFacts>.key(of: session.id)) { noted = $0.communityID }
        CSVTimelineWriter.textCell(noted ?? session.communityID, out)
    }
}
