import FTPAnalysis
import NetworkTypes

extension TimelineRowBuilder {
    /// When `event` is a command, appends the CSV record of its timeline row to `out` and returns the row's time;
    /// else nil (the caller then goes through `fill`). The bytes are those `fill` and `CSVTimelineWriter.encode`
    /// make, and the session's user is noted as `fill` notes it.
    ///
    /// Commands are two thirds of the timeline's rows on the control-heavy benchmark. Through the row, each of
    /// their texts was moved into a `TimelineRow` (retained, and released when the next row replaced it), the
    /// row's thirty fields were cleared, and the writer then asked each of them whether it was there. Here the
    /// texts are read where they lie, the cells the session decides are copied from `CSVSessionCells`, and the
    /// cells a command row never has are their commas alone. Only when the CSV file is the timeline's one output
    /// (JSON Lines and ECS documents read the row's other fields).
    mutating func encodeCSV(_ event: AnalysisEvent, into out: RowBytes, cache: RowTextCache) -> Timestamp? {
        // A switch, not `if case`: that copied the whole event first.
        switch event {
        case .command(let session, let command):
            encodeCSV(command: command, session: session, into: out, cache: cache)
            return command.time
        default:
            return nil
        }
    }

    private mutating func encodeCSV(
        command: CommandRecord, session: SessionIdentity, into out: RowBytes, cache: RowTextCache
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
            let prefix = live[slot: slot].cells.commandPrefix
            if prefix.count > 0 { prefix.write(into: out) } else { Self.writePrefix(session, out, cache) }
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
            Self.writePrefix(session, out, cache)
            Cells.textCell(rowUser, out)
        }
        Cells.textCell(command.verbText, out)
        Cells.textCell(passwords.displayArgument(of: command), out)
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
        Cells.textCell(Self.notes(of: command), out)
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

    /// `,S12,command,client,server` as the CSV writer writes them.
    private static func writePrefix(_ session: SessionIdentity, _ out: RowBytes, _ cache: RowTextCache) {
        CSVTimelineWriter.textCell(session.id, out)
        out.append(",command" as StaticString)
        cache.writePair(session.client, session.server, into: out)
    }
}
