import FTPAnalysis

/// A transfer's `TransferMetrics` as report fields, in one place for the JSON document and the timeline (SPEC.md:
/// trailing timeline columns and transfer members `bytes_per_second`, `first_byte_ms`, `retransmissions`,
/// `zero_windows`, `closed_by`, `close`).
enum TransferMetricsFields {
    /// The names, in timeline column order.
    static let columns = ["bytes_per_second", "first_byte_ms", "retransmissions", "zero_windows", "closed_by", "close"]

    /// JSON members of a transfer (absent ones left out).
    static func json(_ transfer: Transfer) -> [(String, JSONValue)] {
        guard let metrics = transfer.metrics else { return [] }
        var members: [(String, JSONValue)] = []
        if let rate = metrics.bytesPerSecond { members.append(("bytes_per_second", .double(rate.rounded()))) }
        if let first = metrics.firstByteMilliseconds { members.append(("first_byte_ms", .double(first))) }
        members.append(("retransmissions", .uint(UInt64(metrics.retransmissions))))
        members.append(("zero_windows", .uint(UInt64(metrics.zeroWindows))))
        if let side = metrics.closedBy { members.append(("closed_by", .string(side.rawValue))) }
        if let close = metrics.close { members.append(("close", .string(close.rawValue))) }
        return members
    }

    /// Bytes per second as a whole number for the timeline, clamped (hostile sequence numbers can make any rate).
    static func integerRate(_ rate: Double) -> Int64 { rate < 9e18 ? Int64(rate.rounded()) : Int64.max }
}
