import FTPAnalysis
import FTPProtocol
import TCPReassembly

// The vocabulary words of a transfer as literals, for the writers: asking an enum for its `String` raw value
// and quoting that string (its bytes checked for escapes) cost about a hundred instructions a word, five to
// seven words a transfer; a literal is copied as it is. Each is the case's raw value (`JSONWordsTests` holds
// them equal for every case).

extension DataStatus {
    var word: StaticString {
        switch self {
        case .completed: "completed"
        case .refused: "refused"
        case .unanswered: "unanswered"
        case .notSeen: "not_seen"
        case .notCaptured: "not_captured"
        case .reset: "reset"
        case .commandFailed: "command_failed"
        case .aborted: "aborted"
        case .incomplete: "incomplete"
        case .stalled: "stalled"
        case .unused: "unused"
        }
    }
}

extension DataCause {
    var word: StaticString {
        switch self {
        case .natWithoutALG: "nat_without_alg"
        case .clientFirewall: "client_firewall"
        case .passivePortBlocked: "passive_port_blocked"
        case .passiveAddressInternal: "passive_address_internal"
        case .passivePortNotForwarded: "passive_port_not_forwarded"
        case .serverRefusedCommand: "server_refused_command"
        case .pathMTUBlackhole: "path_mtu_blackhole"
        case .dataTimeout: "data_timeout"
        case .abortedByClient: "aborted_by_client"
        case .bounce: "bounce"
        case .tlsHidesAnnouncement: "tls_hides_announcement"
        case .captureIncomplete: "capture_incomplete"
        case .unknown: "unknown"
        }
    }
}

extension DataMode {
    var word: StaticString {
        switch self {
        case .active: "active"
        case .passive: "passive"
        case .extendedActive: "extended_active"
        case .extendedPassive: "extended_passive"
        case .longActive: "long_active"
        case .longPassive: "long_passive"
        }
    }
}

extension DataChannelMatch {
    var word: StaticString {
        switch self {
        case .exact: "exact"
        case .portOnly: "port_only"
        case .inferred: "inferred"
        }
    }
}

extension DataSide {
    var word: StaticString {
        switch self {
        case .client: "client"
        case .server: "server"
        }
    }
}

extension CloseKind {
    var word: StaticString {
        switch self {
        case .fin: "fin"
        case .rst: "rst"
        }
    }
}

extension ConnectionState {
    var word: StaticString {
        switch self {
        case .s0: "S0"
        case .s1: "S1"
        case .sf: "SF"
        case .rej: "REJ"
        case .s2: "S2"
        case .s3: "S3"
        case .rsto: "RSTO"
        case .rstr: "RSTR"
        case .rstos0: "RSTOS0"
        case .rstrh: "RSTRH"
        case .sh: "SH"
        case .shr: "SHR"
        case .oth: "OTH"
        }
    }
}

extension JSONWriter {
    /// A verb as `string(verb.name)` writes it: a catalog verb copied from its literal (`FTPVerb.nameWord`, which the
    /// CSV timeline uses too).
    @inline(__always)
    mutating func verb(_ verb: FTPVerb) {
        if let literal = verb.nameWord { word(literal) } else { string(verb.name) }
    }
}
