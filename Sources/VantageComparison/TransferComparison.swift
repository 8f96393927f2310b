import FTPAnalysis
import NetworkTypes

/// Lines up the transfers of one session group across capture points and judges each: rewritten announcement,
/// where the connection's packets died, the cause.
enum TransferComparison {
    /// How far ahead alignment looks for the next common transfer when one capture has a transfer the other lacks.
    static let alignmentLookahead = 8

    /// The transfers of a group, in the first capture point's order, followed by those only others have.
    static func compare(sessions: [SessionSnapshot?], pathShifts: [Int64?], labels: [String]) -> [ComparedTransfer] {
        guard let referenceIndex = sessions.firstIndex(where: { $0 != nil }), let reference = sessions[referenceIndex]
        else { return [] }
        var rows: [[TransferSnapshot?]] = reference.transfers.map { transfer in
            var row = [TransferSnapshot?](repeating: nil, count: sessions.count)
            row[referenceIndex] = transfer
            return row
        }
        for (index, session) in sessions.enumerated() where index != referenceIndex {
            guard let session else { continue }
            let (aligned, extra) = align(reference.transfers, session.transfers)
            for (row, position) in aligned { rows[row][index] = session.transfers[position] }
            for position in extra {
                var row = [TransferSnapshot?](repeating: nil, count: sessions.count)
                row[index] = session.transfers[position]
                rows.append(row)
            }
        }
        let clientToServer = SessionGroup.clientToServer(sessions: sessions, pathShifts: pathShifts)
        return rows.map { judge($0, sessions: sessions, clientToServer: clientToServer, labels: labels) }
    }

    /// Pairs equal keys in order, skipping up to `alignmentLookahead` unmatched transfers on either side.
    static func align(_ a: [TransferSnapshot], _ b: [TransferSnapshot]) -> (pairs: [(Int, Int)], extra: [Int]) {
        var pairs: [(Int, Int)] = []
        var extra: [Int] = []
        var i = 0
        var j = 0
        while i < a.count && j < b.count {
            if a[i].alignmentKey == b[j].alignmentKey {
                pairs.append((i, j))
                i += 1
                j += 1
                continue
            }
            if let skip = (1...alignmentLookahead).first(where: {
                j + $0 < b.count && b[j + $0].alignmentKey == a[i].alignmentKey
            }) {
                extra.append(contentsOf: j..<(j + skip))
                j += skip
            } else {
                // b[j] may be further along in a, or in neither: a[i] has no counterpart here.
                i += 1
            }
        }
        extra.append(contentsOf: j..<b.count)
        return (pairs, extra)
    }

    static func judge(
        _ views: [TransferSnapshot?], sessions: [SessionSnapshot?], clientToServer: [Int], labels: [String]
    ) -> ComparedTransfer {
        let first = views.compactMap { $0 }.first
        var result = ComparedTransfer(
            command: first?.command, argument: first?.argument, mode: first?.mode,
            announcementVerb: first?.announcementVerb, views: views)
        let texts = views.compactMap { $0?.announcementText }
        result.rewritten = texts.count >= 2 ? Set(texts).count > 1 : nil
        // The opener's packets travel from its side to the other: the capture points in that order.
        let present = clientToServer.filter { views[$0] != nil }
        let serverOpens = result.mode?.serverOpens ?? false
        let fromOpener = serverOpens ? Array(present.reversed()) : present
        // Data flows from the server for downloads and listings, from the client for uploads.
        let upload = result.command?.isUpload ?? false
        let dataPath = result.command == nil ? fromOpener : (upload ? present : Array(present.reversed()))
        let (span, packet) = lostSpan(views: views, fromOpener: fromOpener, dataPath: dataPath)
        result.lostBetween = span
        result.lostPacket = packet
        let derived = derivedCause(views: views, sessions: sessions, synLost: packet == .syn)
        // The single-capture analysis's typed cause from the capture point nearest the opener (it saw most), unless
        // the comparison sees what no single capture can (a NAT made visible by the two views); what both views
        // together support when no capture gives one.
        // A capture point that saw more than the fallback (a firewall somewhere) wins over one that did not.
        let typedCauses = fromOpener.compactMap { views[$0]?.cause }.filter { $0 != .unknown }
        let fallbacks: Set<TransferCause> = [.passivePortBlocked, .clientFirewall]
        let typed = typedCauses.first { !fallbacks.contains($0) } ?? typedCauses.first
        result.cause = derived.onlyByComparing ? derived.cause : typed ?? derived.cause
        result.detail = TransferWording.detail(
            result, views: views, sessions: sessions, fromOpener: fromOpener, serverOpens: serverOpens, labels: labels)
        return result
    }

    /// The first capture point along the opener's way where its packets (or, coming back, the answer, or the
    /// data) stop being seen.
    static func lostSpan(views: [TransferSnapshot?], fromOpener: [Int], dataPath: [Int]) -> (LostSpan?, LostPacket?) {
        guard fromOpener.count >= 2 else { return (nil, nil) }
        func transition(_ along: [Int], _ seen: (TransferSnapshot) -> Bool) -> LostSpan? {
            let marks = along.map { seen(views[$0]!) }
            guard marks.contains(true), marks.contains(false) else { return nil }
            for k in 0..<(along.count - 1) where marks[k] && !marks[k + 1] {
                return LostSpan(seenAt: along[k], missingAt: along[k + 1])
            }
            // Seen further along only: the order along the path is not what the timing suggested; still name a
            // capture point that saw them and one that did not.
            let seenAt = along[marks.firstIndex(of: true)!]
            let missingAt = along[marks.firstIndex(of: false)!]
            return LostSpan(seenAt: seenAt, missingAt: missingAt)
        }
        if let span = transition(fromOpener, { $0.connection != nil }) { return (span, .syn) }
        guard fromOpener.allSatisfy({ views[$0]?.connection != nil }) else { return (nil, nil) }
        if let span = transition(fromOpener.reversed(), { $0.connection!.answered || $0.connection!.rejected }) {
            return (span, .answer)
        }
        if let span = transition(dataPath, { $0.connection!.payloadBytes > 0 }) { return (span, .data) }
        return (nil, nil)
    }

    /// The cause both views together support, for a failed transfer, and whether it rests on something only the
    /// comparison sees (the control connection's ends translated between the capture points).
    static func derivedCause(
        views: [TransferSnapshot?], sessions: [SessionSnapshot?], synLost: Bool
    ) -> (cause: TransferCause?, onlyByComparing: Bool) {
        let present = views.indices.filter { views[$0] != nil }
        let statuses = present.map { views[$0]!.status }
        if statuses.allSatisfy(\.isSuccess) { return (nil, false) }
        let connectionFailed = statuses.contains { $0 == .refused || $0 == .unanswered || $0 == .notSeen }
        if !connectionFailed {
            return (statuses.contains(.commandFailed) ? .serverRefusedCommand : .unknown, false)
        }
        guard let mode = present.lazy.compactMap({ views[$0]!.mode }).first else { return (.unknown, false) }
        let ends = present.compactMap { sessions[$0] }
        if mode.serverOpens {
            // Behind NAT without a helper: a private address announced, and at some capture point the control
            // connection comes from another address (the NAT made visible).
            let behindNAT = present.contains { index in
                guard let announced = views[index]!.announced, let session = sessions[index] else { return false }
                return AddressRules.privateElsewhere(announced.address, own: session.client.address)
            }
            let clientTranslated = Set(ends.map(\.client.address)).count > 1
            return behindNAT ? (.natWithoutALG, clientTranslated && synLost) : (.clientFirewall, false)
        }
        let announcedInternal = present.contains { index in
            guard let announced = views[index]!.announced, let session = sessions[index] else { return false }
            return AddressRules.privateElsewhere(announced.address, own: session.server.address)
        }
        if announcedInternal { return (.passiveAddressInternal, false) }
        // The server's end translated between the capture points: a NAT in front of the server forwards the
        // control port; the passive SYNs that die between the two points were not forwarded.
        if synLost && Set(ends.map(\.server)).count > 1 { return (.passivePortNotForwarded, true) }
        return (.passivePortBlocked, false)
    }
}
