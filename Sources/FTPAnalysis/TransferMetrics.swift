import NetworkTypes
import TCPReassembly

/// The facts a support engineer asks for about one transfer's data connection (issue 15): how fast it went,
/// how long the data took to start, whether the sender had to retransmit, whether the receiver stopped taking
/// data, and who ended the connection and how. Read from the data connection's counters when the transfer settles.
public struct TransferMetrics: Sendable, Hashable {
    /// Payload bytes in the data direction per second, from the first data byte to the last; nil for a single
    /// burst (no time between them) or no data.
    public var bytesPerSecond: Double?
    /// From the transfer command to the first data byte, in milliseconds; nil without both.
    public var firstByteMilliseconds: Double?
    /// Segments of unacknowledged data the data's sender sent again.
    public var retransmissions: UInt32
    /// Zero-window advertisements by the data's receiver.
    public var zeroWindows: UInt32
    /// Who closed the data connection first; nil when neither did in the capture.
    public var closedBy: DataSide?
    /// How: FIN (orderly) or RST (abort).
    public var close: CloseKind?

    /// Creates a record.
    public init(
        bytesPerSecond: Double?, firstByteMilliseconds: Double?, retransmissions: UInt32, zeroWindows: UInt32,
        closedBy: DataSide?, close: CloseKind?
    ) {
        self.bytesPerSecond = bytesPerSecond
        self.firstByteMilliseconds = firstByteMilliseconds
        self.retransmissions = retransmissions
        self.zeroWindows = zeroWindows
        self.closedBy = closedBy
        self.close = close
    }

    /// The metrics of a transfer's primary data connection; nil when there is none.
    static func of(_ transfer: Transfer, session: FTPSession) -> TransferMetrics? {
        guard let index = transfer.observedIndex else { return nil }
        // Read in place through a pointer: the buffer's subscript returned a copy of the 424-byte record (its four
        // strings retained and released) per transfer settled.
        return of(transfer, transfer.connection(at: index), session: session)
    }

    private static func of(
        _ transfer: Transfer, _ record: UnsafePointer<DataConnectionRecord>, session: FTPSession
    ) -> TransferMetrics? {
        // Announcement-only rows (no command) carry data both ways as far as we know; count the larger side.
        let fromOriginator = transfer.command == nil
            ? record.pointee.originatorBytes >= record.pointee.responderBytes : transfer.dataFromOriginator
        let sender = fromOriginator ? record.pointee.originatorProgress : record.pointee.responderProgress
        let receiver = fromOriginator ? record.pointee.responderProgress : record.pointee.originatorProgress
        let bytes = fromOriginator ? record.pointee.originatorBytes : record.pointee.responderBytes
        let first = fromOriginator ? record.pointee.originatorFirstPayload : record.pointee.responderFirstPayload
        let last = fromOriginator ? record.pointee.originatorLastPayload : record.pointee.responderLastPayload
        var rate: Double?
        if let first, let last, bytes > 0 {
            let seconds = Double(first.nanoseconds(to: last)) / 1e9
            if seconds > 0 { rate = Double(bytes) / seconds }
        }
        var firstByte: Double?
        if let sent = transfer.commandTime, let first {
            let milliseconds = sent.milliseconds(to: first)
            if milliseconds >= 0 { firstByte = milliseconds }
        }
        // Who opened it: the client in passive mode, the server in active mode; without an announcement, the
        // control connection's addresses tell.
        let originatorIsClient: Bool
        if let mode = transfer.mode {
            originatorIsClient = !mode.serverConnects
        } else {
            originatorIsClient = record.pointee.originator.address != session.server.address
        }
        let originatorSide: DataSide = originatorIsClient ? .client : .server
        let responderSide: DataSide = originatorIsClient ? .server : .client
        var closedBy: DataSide?
        var close: CloseKind?
        let o = record.pointee.originatorProgress
        let r = record.pointee.responderProgress
        switch (o.closeTime, r.closeTime) {
        case (let ot?, let rt?):
            if ot <= rt { (closedBy, close) = (originatorSide, o.close) } else { (closedBy, close) = (responderSide, r.close) }
        case (_?, nil): (closedBy, close) = (originatorSide, o.close)
        case (nil, _?): (closedBy, close) = (responderSide, r.close)
        case (nil, nil): break
        }
        return TransferMetrics(
            bytesPerSecond: rate, firstByteMilliseconds: firstByte, retransmissions: sender.retransmittedSegments,
            zeroWindows: receiver.zeroWindows, closedBy: closedBy, close: close)
    }
}
