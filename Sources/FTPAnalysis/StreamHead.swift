/// The first three bytes of one direction of a control connection, gathered however the capture segmented them.
///
/// One decision rests on them: is it TLS from the first byte (implicit FTPS: a handshake record, type 22, version
/// 3.x, RFC 8446 section 5.1). Judging the first *segment* instead gets it wrong when a ClientHello's header is
/// split. (Whether a probed connection is FTP at all is judged on its first parsed line, `handleReplyEvent`.)
struct StreamHead {
    private var first: UInt8 = 0
    private var second: UInt8 = 0
    private var third: UInt8 = 0
    // Bytes, not Ints: both heads then fit in the session's second cache line, where every segment reads them.
    private var gathered: UInt8 = 0
    private var heldBytes: UInt8 = 0

    /// Bytes gathered, at most 3.
    var count: Int { Int(gathered) }
    /// Bytes gathered but not yet given to the line framer or the TLS skipper (held while they could start a TLS
    /// record), at most 3.
    var held: Int {
        get { Int(heldBytes) }
        set { heldBytes = UInt8(newValue) }
    }

    /// True once three bytes are known.
    var isComplete: Bool { gathered == 3 }

    /// Stops judging: a capture gap broke the stream's start, and what is held is dropped with it.
    mutating func giveUp() {
        gathered = 3
        heldBytes = 0
    }

    /// Takes up to the missing bytes from the start of `data`.
    mutating func take(_ data: UnsafeRawBufferPointer) {
        var index = 0
        while gathered < 3 && index < data.count {
            switch gathered {
            case 0: first = data[index]
            case 1: second = data[index]
            default: third = data[index]
            }
            gathered += 1
            index += 1
        }
    }

    /// The gathered bytes so far (for replaying held ones).
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 3) { buffer in
            buffer[0] = first
            buffer[1] = second
            buffer[2] = third
            return body(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[..<count]))
        }
    }

    /// True while the bytes so far could begin a TLS handshake record.
    var couldBeTLS: Bool {
        (count < 1 || first == 0x16) && (count < 2 || second == 0x03) && (count < 3 || third <= 0x04)
    }
}
