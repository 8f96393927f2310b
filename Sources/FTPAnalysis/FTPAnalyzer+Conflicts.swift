import NetworkTypes
import TCPReassembly

/// Retransmissions that change bytes already delivered on a control connection (issue 16).
extension FTPAnalyzer {
    /// Notes the conflict on the session as a protocol anomaly, with the policy and both versions: the bytes
    /// delivered first stand (a receiving host has acknowledged them and handed them to the server or client
    /// program already), so the session shows what the host acted on and the anomaly shows what else was sent.
    public func connection(
        _ connection: TCPConnection, conflictingRetransmissionAt offset: UInt64, kept: [UInt8], other: [UInt8],
        keptFrom: UInt64, from direction: Direction, at time: Timestamp
    ) {
        guard let session = connection.context as? FTPSession else { return }
        let fromClient = (direction == .originator) == (session.client == connection.originator)
        session.conflictingRetransmissions += 1
        session.noteAnomaly(
            .conflictingRetransmission(
                fromClient: fromClient, offset: offset, kept: Self.printable(kept), other: Self.printable(other)),
            at: time)
    }

    /// Notes data sent after its sender's FIN (delivered by the reassembler, as the host in the Suricata report
    /// received it; RFC 9293 would have the receiver ignore it).
    public func connection(
        _ connection: TCPConnection, dataAfterFINAt offset: UInt64, length: Int, from direction: Direction,
        at time: Timestamp
    ) {
        guard let session = connection.context as? FTPSession else { return }
        let fromClient = (direction == .originator) == (session.client == connection.originator)
        session.noteAnomaly(.dataAfterFIN(length: length, fromClient: fromClient, offset: offset), at: time)
    }

    /// Wire bytes for an anomaly note: printable ASCII kept, CR and LF as `\r` `\n`, anything else as `\xNN`
    /// (reports escape again for their medium).
    static func printable(_ bytes: [UInt8]) -> String {
        var text = ""
        for byte in bytes {
            switch byte {
            case 0x0D: text += "\\r"
            case 0x0A: text += "\\n"
            case 0x5C: text += "\\\\"
            case 0x20...0x7E: text.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789abcdef")
                text += "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
            }
        }
        return text
    }
}
