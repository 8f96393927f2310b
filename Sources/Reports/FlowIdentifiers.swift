import CommunityID
import FTPAnalysis
import NetworkTypes

// Community ID v1 (seed 0) of the connections reports name (SPEC.md, `community_id`), so a row of ours joins
// with Zeek's conn.log, Suricata's EVE and Arkime's sessions for the same flow. Computed from the endpoints alone,
// when an output asks (`SessionIdentity.communityID`, `FTPSession.communityID`, `DataConnectionRecord.communityID`):
// on the outputs' thread, which keeps a session's once, and not on the analysis thread, the critical path. The
// CSV timeline and the JSON document write it as bytes (`CommunityID.writeV1`), without a String.

extension TransferFacts {
    /// Community ID of the data connection actually seen; nil when none is in the capture (`not_seen`,
    /// `not_captured`, `unused`), since an announcement alone names only one end of a connection.
    public var communityID: String? {
        guard let index = observedIndex else { return nil }
        return connection(at: index).pointee.communityID
    }
}

extension CSVTimelineWriter {
    /// A comma and the Community ID of the flow between `first` and `second`, as `textCell(CommunityID.v1(first,
    /// second), out)` writes it: base64 and `1:` need no care, and `1` starts no formula.
    static func communityIDCell(_ first: Endpoint, _ second: Endpoint, _ out: RowBytes) {
        let start = out.reserve(CommunityID.v1Length + 1)
        start[0] = UInt8(ascii: ",")
        out.advance(by: 1 + CommunityID.writeV1(first, second, into: start + 1))
    }
}
