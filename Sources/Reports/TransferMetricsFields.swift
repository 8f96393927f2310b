import FTPAnalysis

/// A transfer's `TransferMetrics` as report fields, in one place for the JSON document and the timeline (SPEC.md:
/// trailing timeline columns and transfer members `bytes_per_second`, `first_byte_ms`, `retransmissions`,
/// `zero_windows`, `closed_by`, `close`).
enum TransferMetricsFields {
    /// The names, in timeline column order.
    static let columns = ["bytes_per_second", "first_byte_ms", "retransmissions", "zero_windows", "closed_by", "close"]

    /// JSON members of a transfer (absent ones left out).
    static func write(_ transfer: Transfer, into out: inout JSONWriter) {
        guard let metrics = transfer.metrics else { return }
        if let rate = metrics.bytesPerSecond {
            out.key("bytes_per_second")
            out.double(rate.rounded())
        }
        if let first = metrics.firstByteMilliseconds {
            out.key("first_byte_ms")
            out.double(first)
        }
        out.key("retransmissions")
        out.uint(UInt64(metrics.retransmissions))
        out.key("zero_windows")
        out.uint(UInt64(metrics.zeroWindows))
        if let side = metrics.closedBy {
            out.key("closed_by")
            out.word(side.word)
        }
        if let close = metrics.close {
            out.key("close")
            out.word(close.word)
        }
    }

    /// Bytes per second as a whole number for the timeline, clamped (hostile sequence numbers can make any rate).
    static func integerRate(_ rate: Double) -> Int64 { rate < 9e18 ? Int64(rate.rounded()) : Int64.max }
}
