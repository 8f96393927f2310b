/// Why a data connection failed, in SPEC.md's cause vocabulary. The single-capture analysis gives its own
/// typed cause per capture; comparing two vantages can name a cause that neither capture can alone (the SYN
/// left one segment and never reached the other), so the comparison keeps its own value with the same spelling.
public enum ComparisonCause: String, Sendable, Hashable, CaseIterable {
    case natWithoutALG = "nat_without_alg"
    case clientFirewall = "client_firewall"
    case passivePortBlocked = "passive_port_blocked"
    case passiveAddressInternal = "passive_address_internal"
    case passivePortNotForwarded = "passive_port_not_forwarded"
    case serverRefusedCommand = "server_refused_command"
    case pathMTUBlackhole = "path_mtu_blackhole"
    case dataTimeout = "data_timeout"
    case abortedByClient = "aborted_by_client"
    case bounce
    case tlsHidesAnnouncement = "tls_hides_announcement"
    case captureIncomplete = "capture_incomplete"
    case unknown
}
