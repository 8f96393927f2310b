/// A settled data channel that failed or stalled: a stalled connection was made, then stopped, and is as much a
/// failed data connection as one never made.
struct FailedDataChannelDetector: FindingDetector {
    mutating func observe(_ event: DetectorEvent, into found: inout [Finding]) {
        // Judged before the session is bound: the bindings are retained, and nearly every transfer settles well.
        guard case .dataChannelSettled(let transfer, _, _) = event,
            transfer.status.isConnectionFailure || transfer.status == .stalled,
            case .dataChannelSettled(_, let index, let session) = event
        else { return }
        var evidence: [(String, EvidenceValue)] = []
        // Room for every field below at once: grown from the literal's three, the array was reallocated twice.
        evidence.reserveCapacity(9)
        evidence.append(("transfer", .int(Int64(index))))
        evidence.append(("status", .string(transfer.status.rawValue)))
        evidence.append(("syn_attempts", .int(Int64(transfer.synAttempts))))
        if let cause = transfer.cause { evidence.append(("cause", .string(cause.rawValue))) }
        if let mode = transfer.mode { evidence.append(("mode", .string(mode.rawValue))) }
        if let announced = transfer.announced { evidence.append(("announced", .string(announced.description))) }
        if let command = transfer.command { evidence.append(("command", .string(command.name))) }
        if let reply = transfer.reply {
            evidence.append(("reply_code", .int(Int64(reply.code))))
            evidence.append(("reply_text", .string(reply.text)))
        }
        found.append(
            Finding(
                kind: .failedDataConnection, severity: .medium, session: session.id,
                time: transfer.start ?? session.start, facts: .failedDataConnection(transfer.verdict),
                evidence: evidence))
    }
}
