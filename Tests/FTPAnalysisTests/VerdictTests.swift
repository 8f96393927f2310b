import FTPAnalysis
import Testing

/// The typed vocabularies against SPEC.md's words, and the one definition of "failed".
@Suite struct VerdictTests {
    @Test func statusWordsAreSPECs() {
        #expect(
            DataStatus.allCases.map(\.rawValue) == [
                "completed", "refused", "unanswered", "not_seen", "not_captured", "reset", "command_failed", "aborted",
                "incomplete", "stalled", "unused",
            ])
    }

    @Test func causeWordsAreSPECs() {
        #expect(
            Set(DataCause.allCases.map(\.rawValue)) == [
                "nat_without_alg", "client_firewall", "passive_port_blocked", "passive_address_internal",
                "passive_port_not_forwarded", "server_refused_command", "path_mtu_blackhole", "data_timeout",
                "aborted_by_client", "bounce", "tls_hides_announcement", "capture_incomplete", "unknown",
            ])
    }

    /// SPEC.md: `--status failed` = every status but `completed` and `unused`.
    @Test(arguments: DataStatus.allCases)
    func failedIsEveryStatusButCompletedAndUnused(_ status: DataStatus) {
        #expect(status.isFailure == (status != .completed && status != .unused))
        #expect(status.isFailure == (status.gravity >= .warning))
        if status.isConnectionFailure { #expect(status.gravity == .failure) }
    }

    @Test func gravityOrdersTheOutcomes() {
        #expect(DataStatus.unused.gravity < DataStatus.completed.gravity)
        #expect(DataStatus.completed.gravity < DataStatus.commandFailed.gravity)
        #expect(DataStatus.commandFailed.gravity < DataStatus.refused.gravity)
        #expect(DataStatus.stalled.gravity == .failure)
    }
}
