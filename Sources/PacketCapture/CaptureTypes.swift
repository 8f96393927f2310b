import NetworkTypes

/// What libpcap says about one packet, as ftpscope uses it.
public struct PacketHeader: Sendable, Hashable {
    /// When the packet was captured (nanoseconds since the epoch, UTC).
    public var time: Timestamp
    /// Bytes of the packet present in the capture (what the body's buffer holds).
    public var capturedLength: Int
    /// Bytes the packet had on the wire (more than `capturedLength` when the snapshot length cut it).
    public var wireLength: Int
    /// The link-layer header type of the packet's capture file.
    public var linkType: LinkType
    /// Which input the packet comes from: its position in a `CaptureSet`'s paths, 0 for a single file.
    public var sourceIndex: Int

    /// Creates a packet header.
    public init(time: Timestamp, capturedLength: Int, wireLength: Int, linkType: LinkType, sourceIndex: Int = 0) {
        self.time = time
        self.capturedLength = capturedLength
        self.wireLength = wireLength
        self.linkType = linkType
        self.sourceIndex = sourceIndex
    }
}

/// A capture input that can't be opened or read: one line naming the file and the reason,
/// e.g. `x.pcap: no such file`.
public struct CaptureError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The whole message, on one line.
    public var message: String

    /// Creates an error from a complete message (line breaks become spaces).
    public init(message: String) {
        self.message = CaptureError.oneLine(message)
    }

    /// Creates an error `name: reason`.
    init(_ name: String, _ reason: String) {
        self.init(message: name + ": " + reason)
    }

    /// The message.
    public var description: String { message }

    static func oneLine(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        var lastWasSpace = false
        for character in text {
            if character.isNewline || character == "\t" {
                if !lastWasSpace && !result.isEmpty { result.append(" ") }
                lastWasSpace = true
            } else {
                result.append(character)
                lastWasSpace = character == " "
            }
        }
        while result.last == " " { result.removeLast() }
        return result
    }
}

/// What was read from one capture input: the `inputs` entries of the JSON document.
public struct CaptureSummary: Sendable, Hashable {
    /// The path as given (`-` for standard input).
    public var path: String
    /// `pcap` or `pcapng`.
    public var format: String
    /// True when the input was gzip-compressed.
    public var compressed: Bool
    /// The link-layer header type of the file (of its first interface for pcapng).
    public var linkType: LinkType
    /// Packets delivered so far (after the BPF filter, when one is set).
    public var packets: UInt64
    /// Captured bytes of the delivered packets.
    public var bytes: UInt64
    /// The earliest timestamp among the delivered packets.
    public var firstTime: Timestamp?
    /// The latest timestamp among the delivered packets.
    public var lastTime: Timestamp?
    /// True when the input ended early (cut in the middle of a packet, a gzip stream cut short) or
    /// was found corrupt part-way; the packets before that point were delivered.
    public var truncated: Bool
    /// Why reading stopped early, without the path, e.g.
    /// `capture ends in the middle of a packet after 1234 packets`.
    public var warning: String?
    /// True when the file stores timestamps finer than microseconds (ns pcap, or a pcapng interface
    /// with a finer `if_tsresol`).
    public var nanosecondPrecision: Bool

    /// Creates a summary.
    public init(
        path: String, format: String, compressed: Bool, linkType: LinkType, packets: UInt64 = 0,
        bytes: UInt64 = 0, firstTime: Timestamp? = nil, lastTime: Timestamp? = nil, truncated: Bool = false,
        warning: String? = nil, nanosecondPrecision: Bool = false
    ) {
        self.path = path
        self.format = format
        self.compressed = compressed
        self.linkType = linkType
        self.packets = packets
        self.bytes = bytes
        self.firstTime = firstTime
        self.lastTime = lastTime
        self.truncated = truncated
        self.warning = warning
        self.nanosecondPrecision = nanosecondPrecision
    }
}

/// A source of packets read one at a time with borrowed bytes: a capture file, a set of them, and
/// (later) a live interface.
public protocol PacketSource: AnyObject {
    /// Reads the next packet and calls `body` with its header and bytes, which are valid only during
    /// the call. Returns false when there are no more packets.
    func next(_ body: (PacketHeader, UnsafeRawBufferPointer) -> Void) throws(CaptureError) -> Bool
    /// Restricts the packets delivered to those matching a BPF expression.
    func setFilter(_ expression: String) throws(CaptureError)
    /// What has been read from each input so far.
    var summaries: [CaptureSummary] { get }
}
