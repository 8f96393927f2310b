/// Tells several captures of the same traffic as one story: pairs their sessions, lines up their transfers and
/// judges each.
public enum Comparison {
    /// Compares the sessions each capture point saw (`sessions[i]` from `captures[i]`, each analysed alone).
    /// The first capture is the reference: every other capture's sessions are paired with its sessions; those
    /// left over are paired among the later captures in the same way.
    public static func compare(
        captures: [CapturePoint], sessions: [[SessionSnapshot]], warnings: [String] = []
    ) -> ComparisonReport {
        precondition(captures.count == sessions.count, "one list of sessions per capture")
        let labels = captures.map(\.label)
        var paired = sessions.map { Array(repeating: false, count: $0.count) }
        var groups: [SessionGroup] = []
        // Each capture in turn is the reference for the sessions still unpaired: with two captures, the first.
        for referenceIndex in sessions.indices {
            let candidates = sessions[referenceIndex].indices.filter { !paired[referenceIndex][$0] }
            let reference = candidates.map { sessions[referenceIndex][$0] }
            var members = reference.map { session -> [SessionSnapshot?] in
                var row = [SessionSnapshot?](repeating: nil, count: captures.count)
                row[referenceIndex] = session
                return row
            }
            var offsets = reference.map { _ -> [Int64?] in
                var row = [Int64?](repeating: nil, count: captures.count)
                row[referenceIndex] = 0
                return row
            }
            var shifts = offsets
            var grouped = Array(repeating: false, count: reference.count)
            for index in sessions.indices where index > referenceIndex {
                let open = sessions[index].indices.filter { !paired[index][$0] }
                for match in SessionPairing.match(reference: reference, other: open.map { sessions[index][$0] }) {
                    members[match.reference][index] = sessions[index][open[match.other]]
                    offsets[match.reference][index] = match.offset
                    shifts[match.reference][index] = match.pathShift
                    grouped[match.reference] = true
                    paired[index][open[match.other]] = true
                }
            }
            for row in members.indices where grouped[row] {
                paired[referenceIndex][candidates[row]] = true
                groups.append(
                    SessionGroup(
                        sessions: members[row], clockOffsets: offsets[row], pathShifts: shifts[row],
                        transfers: TransferComparison.compare(
                            sessions: members[row], pathShifts: shifts[row], labels: labels)))
            }
        }
        var unpaired: [UnpairedSession] = []
        for (capture, list) in sessions.enumerated() {
            for (index, session) in list.enumerated() where !paired[capture][index] {
                unpaired.append(
                    UnpairedSession(
                        capture: capture, session: session.id, client: session.client, server: session.server))
            }
        }
        return ComparisonReport(captures: captures, groups: groups, unpaired: unpaired, warnings: warnings)
    }
}
