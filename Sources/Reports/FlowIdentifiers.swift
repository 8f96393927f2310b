import FTPAnalysis

// Community ID v1 (seed 0) of the connections reports name (SPEC.md, `community_id`), so a row of ours joins
// with Zeek's conn.log, Suricata's EVE and Arkime's sessions for the same flow. Computed from the endpoints alone,
// when an output asks (`SessionIdentity.communityID`, `FTPSession.communityID`, `DataConnectionRecord.communityID`):
// on the outputs' thread, which keeps a session's once, and not on the analysis thread, the critical path.

extension TransferFacts {
    /// Community ID of the data connection actually seen; nil when none is in the capture (`not_seen`,
    /// `not_captured`, `unused`), since an announcement alone names only one end of a connection.
    public var communityID: String? {
        guard let index = observedIndex else { return nil }
        return connections[index].communityID
    }
}
