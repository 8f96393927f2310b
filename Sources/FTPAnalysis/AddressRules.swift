import NetworkTypes

/// The address rules of FTP's data-channel announcements, in one place: what an announced address says about NAT,
/// private addressing and third parties. Diagnosis (the cause of a failed transfer) and the announcement
/// findings both ask these, and so does the comparison of several capture points (VantageComparison), so a report
/// never tells two stories about one announcement.
public enum AddressRules {
    /// What an active-mode announcement (PORT, EPRT, LPRT) names, against the control connection's client.
    enum ActiveTarget: Equatable {
        /// The client's own control address.
        case own
        /// A private address while the control connection comes from a public one (or another address family):
        /// the client is behind NAT that did not rewrite the announcement (no FTP helper, RFC 2663 section 2.9).
        case behindNAT
        /// Another host: a third-party transfer or an FTP bounce (RFC 2577 section 3).
        case thirdHost
    }

    /// What a passive-mode reply (227, 229, 228) names, against the control connection's server.
    enum PassiveTarget: Equatable {
        /// The server's own control address.
        case own
        /// A private address while the client reaches the server at a public one: the server behind NAT announces
        /// its internal address (no external address configured, no FTP helper).
        case `internal`
        /// Some other address (a multi-homed server, or a misconfigured external address).
        case other
    }

    static func active(announced: IPAddress, client: IPAddress) -> ActiveTarget {
        if announced == client { return .own }
        let sameFamily = announced.isIPv4 == client.isIPv4
        if (announced.isPrivate && !client.isPrivate) || !sameFamily { return .behindNAT }
        return .thirdHost
    }

    static func passive(announced: IPAddress, server: IPAddress) -> PassiveTarget {
        if announced == server { return .own }
        if announced.isPrivate && !server.isPrivate { return .internal }
        return .other
    }

    /// True when a passive announcement names a public address other than the server's control address: a server
    /// behind NAT that knows its NAT's public address (vsftpd `pasv_address`, ProFTPD `MasqueradeAddress`).
    static func namesPublicAddress(announced: IPAddress, server: IPAddress) -> Bool {
        announced != server && !announced.isPrivate
    }

    /// True when an announcement names a private address other than the announcing side's control address. The
    /// comparison of capture points asks this of each point: at one inside the announcer's network the address is
    /// its own, beyond its NAT it is not, so one point showing it is enough (a NAT that no helper rewrote through).
    public static func privateElsewhere(_ announced: IPAddress, own: IPAddress) -> Bool {
        announced.isPrivate && announced != own
    }

    /// True when a private address is announced to a peer outside private address space (SPEC.md,
    /// `private_address_announced`): the peer cannot connect there, and the internal addressing is disclosed.
    static func privateToOutside(_ announced: IPAddress, peer: IPAddress) -> Bool {
        announced.isPrivate && !peer.isPrivate
    }

    /// Where the capture was taken, as far as the addresses tell: a private address on one side and a public one
    /// on the other means the capture is inside that private network (before its NAT); a client announcing a
    /// private address while its control connection comes from a public one means the capture is beyond the
    /// client's NAT.
    static func vantage(client: IPAddress, server: IPAddress, activeAnnouncement: IPAddress?) -> Vantage {
        if client.isPrivate && !server.isPrivate { return .clientSide }
        if server.isPrivate && !client.isPrivate { return .serverSide }
        if let announced = activeAnnouncement, announced.isPrivate, !client.isPrivate, announced != client {
            return .between
        }
        return .unknown
    }
}
