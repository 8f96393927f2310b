import NetworkTypes

/// A session at the reference vantage tied to one at another vantage.
struct SessionMatch: Sendable {
    /// Index of the session among the reference vantage's sessions.
    var reference: Int
    /// Index among the other vantage's sessions.
    var other: Int
    /// Share of the two dialogs that match, 0…1.
    var similarity: Double
    /// The other capture's clock minus the reference's, in nanoseconds.
    var offset: Int64
    /// How much later the other vantage sees the client's commands than the reference does, once the clocks
    /// agree: positive when it sits nearer the server. Half the difference of the command and reply delays.
    var pathShift: Int64
}

/// Pairs the sessions two captures saw of the same traffic, on what NAT does not change: the commands (an
/// announcement's argument left out), the reply codes, and the timing between them. Clocks of two capture hosts
/// need not agree: each candidate's offset is estimated from its own dialog, and the offset most candidates agree
/// on settles ties between sessions whose dialogs are alike (the same client logging in again and again).
enum SessionPairing {
    /// Dialog lines compared per session: enough to tell sessions apart, bounded so that comparing every
    /// session with every other stays cheap.
    static let dialogCap = 64
    /// Least share of matching dialog lines for two sessions to be the same one.
    static let minimumSimilarity = 0.6
    /// How far a line's delay may stray from the session's offset (queueing, retransmissions), in nanoseconds.
    static let timingTolerance: Int64 = 250_000_000

    /// The pairs, each session used at most once.
    static func match(reference: [SessionSnapshot], other: [SessionSnapshot]) -> [SessionMatch] {
        var candidates: [SessionMatch] = []
        for (i, a) in reference.enumerated() {
            for (j, b) in other.enumerated() {
                if var candidate = candidate(a, b) {
                    candidate.reference = i
                    candidate.other = j
                    candidates.append(candidate)
                }
            }
        }
        guard !candidates.isEmpty else { return [] }
        // The clock offset most of the dialog agrees on: the candidate with the most similar company.
        var best = candidates[0].offset
        var bestSupport = -1.0
        for candidate in candidates {
            let support = candidates.reduce(0.0) { sum, other in
                abs(other.offset - candidate.offset) <= timingTolerance ? sum + other.similarity : sum
            }
            if support > bestSupport {
                bestSupport = support
                best = candidate.offset
            }
        }
        let ordered = candidates.sorted { lhs, rhs in
            let lhsNear = abs(lhs.offset - best) <= timingTolerance
            let rhsNear = abs(rhs.offset - best) <= timingTolerance
            if lhsNear != rhsNear { return lhsNear }
            if lhs.similarity != rhs.similarity { return lhs.similarity > rhs.similarity }
            return abs(lhs.offset - best) < abs(rhs.offset - best)
        }
        var usedReference = Set<Int>()
        var usedOther = Set<Int>()
        var result: [SessionMatch] = []
        for candidate in ordered
        where !usedReference.contains(candidate.reference) && !usedOther.contains(candidate.other) {
            usedReference.insert(candidate.reference)
            usedOther.insert(candidate.other)
            result.append(candidate)
        }
        return result.sorted { $0.reference < $1.reference }
    }

    /// Two sessions as a candidate pair, or nil when their dialogs or timing differ too much.
    static func candidate(_ a: SessionSnapshot, _ b: SessionSnapshot) -> SessionMatch? {
        let lhs = a.dialog.prefix(dialogCap)
        let rhs = b.dialog.prefix(dialogCap)
        let common = commonLines(Array(lhs), Array(rhs))
        guard common.count >= 2 else { return nil }
        let similarity = 2 * Double(common.count) / Double(lhs.count + rhs.count)
        guard similarity >= minimumSimilarity else { return nil }
        var commandDelays: [Int64] = []
        var replyDelays: [Int64] = []
        for (i, j) in common {
            let delay = lhs[i].time.nanoseconds(to: rhs[j].time)
            if lhs[i].key.fromClient { commandDelays.append(delay) } else { replyDelays.append(delay) }
        }
        // A command reaches the vantage nearer the server later, a reply earlier: the clock offset is the mean
        // of the two median delays, the path shift half their difference.
        let offset: Int64
        let shift: Int64
        if let command = median(commandDelays), let reply = median(replyDelays) {
            offset = command / 2 + reply / 2
            shift = command / 2 - reply / 2
        } else {
            offset = median(commandDelays + replyDelays) ?? 0
            shift = 0
        }
        var consistent = 0
        for (i, j) in common {
            let expected = offset + (lhs[i].key.fromClient ? shift : -shift)
            if abs(lhs[i].time.nanoseconds(to: rhs[j].time) - expected) <= timingTolerance { consistent += 1 }
        }
        guard consistent * 5 >= common.count * 4 else { return nil }
        return SessionMatch(reference: 0, other: 0, similarity: similarity, offset: offset, pathShift: shift)
    }

    /// The longest common subsequence of two dialogs, as index pairs in order.
    static func commonLines(_ a: [DialogLine], _ b: [DialogLine]) -> [(Int, Int)] {
        let n = a.count
        let m = b.count
        guard n > 0, m > 0 else { return [] }
        var table = [Int](repeating: 0, count: (n + 1) * (m + 1))
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i * (m + 1) + j] =
                    a[i].key == b[j].key
                    ? table[(i + 1) * (m + 1) + j + 1] + 1
                    : max(table[(i + 1) * (m + 1) + j], table[i * (m + 1) + j + 1])
            }
        }
        var pairs: [(Int, Int)] = []
        var i = 0
        var j = 0
        while i < n && j < m {
            if a[i].key == b[j].key {
                pairs.append((i, j))
                i += 1
                j += 1
            } else if table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        return pairs
    }

    static func median(_ values: [Int64]) -> Int64? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : sorted[middle - 1] / 2 + sorted[middle] / 2
    }
}
