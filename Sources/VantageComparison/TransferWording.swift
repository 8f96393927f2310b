import FTPAnalysis
import NetworkTypes

/// The comparison's verdict on one transfer in words: where its packets died and what that means.
enum TransferWording {
    static func detail(
        _ transfer: ComparedTransfer, views: [TransferSnapshot?], sessions: [SessionSnapshot?], fromOpener: [Int],
        serverOpens: Bool, labels: [String]
    ) -> String? {
        var sentences: [String] = []
        if let story = failureStory(
            transfer, views: views, fromOpener: fromOpener, serverOpens: serverOpens, labels: labels)
        {
            sentences.append(story)
        }
        if let note = announcementNote(transfer, views: views, sessions: sessions, labels: labels) {
            sentences.append(note)
        }
        guard !sentences.isEmpty else { return nil }
        let text = sentences.joined(separator: "; ")
        return text.prefix(1).uppercased() + text.dropFirst() + "."
    }

    /// What became of the data connection, told along the path of its packets.
    static func failureStory(
        _ transfer: ComparedTransfer, views: [TransferSnapshot?], fromOpener: [Int], serverOpens: Bool,
        labels: [String]
    ) -> String? {
        let present = fromOpener.compactMap { views[$0] }
        guard !present.isEmpty, !present.allSatisfy({ $0.status.isSuccess }) else { return nil }
        let opener = serverOpens ? "server" : "client"
        let acceptor = serverOpens ? "client" : "server"
        let sighting = fromOpener.lazy.compactMap { views[$0]?.connection }.first
        let syns = sighting?.syns ?? 0
        let target = sighting?.acceptor ?? present.lazy.compactMap(\.announced).first
        let synText = "the \(opener)'s \(syns == 1 ? "SYN" : "\(syns) SYNs")\(target.map { " to \($0)" } ?? "")"
        if let span = transfer.lostBetween, let packet = transfer.lostPacket {
            let seen = labels[span.seenAt]
            let missing = labels[span.missingAt]
            switch packet {
            case .syn:
                var story =
                    "\(synText) \(syns == 1 ? "was" : "were") seen at \(seen) and never reached \(missing): dropped between them"
                switch transfer.cause {
                case .natWithoutALG?:
                    story +=
                        ", by the NAT router, which has no mapping for \(target.map(\.description) ?? "the announced endpoint") (the \(transfer.announcementVerb?.name ?? "PORT") named the client's private address; passive mode avoids this)"
                case .passivePortBlocked?:
                    story +=
                        ", by a firewall or router that blocks the passive port\(target.map { " \($0.port)" } ?? "") (open the server's passive port range on it)"
                case .passivePortNotForwarded?:
                    story +=
                        ", by the NAT in front of the server, which forwards the control port but not the passive port\(target.map { " \($0.port)" } ?? "") (forward the server's passive port range to it)"
                case .passiveAddressInternal?:
                    story +=
                        " (the server announced an internal address the client cannot reach: set the server's external address)"
                default:
                    story += ", by a firewall or router between the two capture points"
                }
                return story
            case .answer:
                return
                    "the \(acceptor)'s answer to \(synText) was seen at \(seen) and never reached \(missing): lost between them"
            case .data:
                let sender =
                    switch transfer.command {
                    case nil: "its"
                    case .stor?, .stou?, .appe?: "the client's"
                    default: "the server's"
                    }
                var story =
                    "the data connection was set up, but \(sender) data was seen at \(seen) and never reached \(missing): lost between them"
                if transfer.cause == .pathMTUBlackhole {
                    story +=
                        ", large segments dropped on the way with no ICMP \"fragmentation needed\" reaching the sender (a path MTU black hole: let that ICMP through, or clamp the MSS on the router)"
                }
                return story
            }
        }
        guard let sighting else {
            if present.contains(where: { $0.status == .commandFailed }) {
                let code = present.lazy.compactMap(\.replyCode).first
                return
                    "the server refused the command\(code.map { " with \($0)" } ?? ""), the data connection was not at fault"
            }
            if present.contains(where: { $0.status == .notSeen || $0.status == .unanswered || $0.status == .refused }) {
                return
                    "no SYN for it at any capture point: the \(opener) never tried, or it was dropped before the first capture point"
            }
            return nil
        }
        let last = labels[fromOpener.last!]
        let everywhere =
            switch fromOpener.count {
            case 1: "at \(labels[fromOpener[0]])"
            case 2: "at both capture points"
            default: "at every capture point"
            }
        if sighting.rejected {
            return
                "\(synText) \(syns == 1 ? "was" : "were") seen \(everywhere) and refused (RST or ICMP): by the \(acceptor) or a firewall beyond \(last), the last capture point on their way"
        }
        if !sighting.answered {
            let culprit = serverOpens ? "a host firewall on the client" : "a firewall on or in front of the server"
            return
                "\(synText) \(syns == 1 ? "was" : "were") seen \(everywhere) and never answered: dropped beyond \(last), the last capture point on their way to the \(acceptor) (\(culprit))"
        }
        return nil
    }

    /// Whether something on the way rewrote the announcement, and what that means.
    static func announcementNote(
        _ transfer: ComparedTransfer, views: [TransferSnapshot?], sessions: [SessionSnapshot?], labels: [String]
    ) -> String? {
        let verb = transfer.announcementVerb?.name ?? "announcement"
        switch transfer.rewritten {
        case true?:
            let texts = views.indices.compactMap { index in
                views[index]?.announcementText.map { "\"\($0)\" at \(labels[index])" }
            }
            return
                "the \(verb) was rewritten on the way (\(texts.joined(separator: ", "))): an FTP helper (ALG) translated it; AUTH TLS would blind that helper"
        case false?:
            let natSeen = views.indices.contains { index in
                guard let announced = views[index]?.announced, let session = sessions[index] else { return false }
                let peer = transfer.mode?.serverOpens == true ? session.client.address : session.server.address
                return AddressRules.privateElsewhere(announced.address, own: peer)
            }
            return natSeen
                ? "the \(verb) text is the same at \(views.compactMap { $0 }.count == 2 ? "both capture points" : "every capture point") and names a private address: no helper rewrote it"
                : nil
        case nil:
            return nil
        }
    }
}
