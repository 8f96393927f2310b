import FTPProtocol
import TestSupport
import Testing

/// Allocations per control line in the control channel (issue 17, "a control path without String"): counted,
/// never timed. The framer lends its buffer to each line and takes it back, and a verb is an enum recognised from
/// the bytes, and a single-line reply keeps its text without a line array, so a command with a short argument and
/// a reply with a short text cost no allocation at all. What is still allocated is stated below: a text longer than
/// Swift's 15-byte inline string is one allocation (the `String` the analysis keeps).
@Suite(.enabled(if: Allocations.countingAvailable, "allocation counting needs glibc and no sanitizer"))
struct ControlAllocationTests {
    static let rounds = 2000

    /// The navigation commands of a typical session: verbs alone or with a short argument.
    static let commands = Array("NOOP\r\nCWD /pub\r\nTYPE I\r\nPASV\r\nSIZE a.txt\r\nPWD\r\nSYST\r\nREST 0\r\n".utf8)
    static let commandLines = 8

    @Test func shortCommandLinesAllocateNothing() {
        var channel = ClientControlChannel()
        var known = 0
        var passive = 0
        func feed(_ count: Int) {
            for _ in 0..<count {
                Self.commands.withUnsafeBytes { bytes in
                    channel.append(bytes) { _, command in
                        if command.isKnown { known += 1 }
                        if command.verb == .pasv { passive += 1 }
                    }
                }
            }
        }
        feed(10)  // warm-up: the framer reserves its line buffer on the first byte
        let allocations = Allocations.count { feed(Self.rounds) }
        #expect(known == (Self.rounds + 10) * Self.commandLines)
        #expect(passive == Self.rounds + 10)
        #expect(
            allocations == 0,
            "\(allocations) allocations over \(Self.rounds * Self.commandLines) command lines: one per line?")
    }

    /// Sessions whose lines each come whole in a segment (nearly all of them) reserve no line buffer of their own
    /// when the channels share one (`SharedLineBuffer`, as the analysis does): a thousand channels, a line each,
    /// and no allocation once the shared buffer is reserved.
    @Test func channelsSharingALineBufferReserveNone() {
        let shared = SharedLineBuffer.allocate()
        defer { shared.deallocate() }
        var channels = (0..<1000).map { _ in ClientControlChannel() }
        var known = 0
        func feed(_ count: Int) {
            for index in 0..<count {
                Self.commands.withUnsafeBytes { bytes in
                    channels[index].append(bytes, lines: shared) { _, command in
                        if command.isKnown { known += 1 }
                    }
                }
            }
        }
        feed(1)  // warm-up: the shared buffer reserves its storage
        let allocations = Allocations.count { feed(channels.count) }
        #expect(known == (channels.count + 1) * Self.commandLines)
        #expect(allocations == 0, "\(allocations) allocations over \(channels.count) channels")
    }

    /// Single-line replies with short texts.
    @Test func shortRepliesAllocateNothing() {
        #expect(Self.replies(Array("200 OK\r\n250 Done\r\n213 1024\r\n350 Restart\r\n".utf8), lines: 4) == 0)
    }

    /// A text past the inline size is the one allocation of its reply: the `String` itself, no line array, no join.
    @Test func longReplyTextIsItsOnlyAllocation() {
        let replies = Array("227 Entering Passive Mode (198,51,100,2,195,80)\r\n226 Transfer complete\r\n".utf8)
        #expect(Self.replies(replies, lines: 2) == UInt64(2 * Self.rounds))
    }

    /// Allocations while `rounds` copies of `replies` (holding `lines` single-line replies) go through a channel.
    static func replies(_ replies: [UInt8], lines: Int) -> UInt64 {
        var channel = ServerControlChannel()
        var codes = 0
        func feed(_ count: Int) {
            for _ in 0..<count {
                replies.withUnsafeBytes { bytes in
                    channel.append(bytes) { event in
                        if case .reply = event { codes += 1 }
                    }
                }
            }
        }
        feed(10)
        let allocations = Allocations.count { feed(Self.rounds) }
        #expect(codes == (Self.rounds + 10) * lines)
        return allocations
    }
}

/// With the analysis's cache of recent texts (`ControlTextCache`), a reply or argument text seen before costs no
/// allocation even past the inline size: the common case of a control channel, whose servers say the same things
/// to every transfer and whose clients name a file in several commands (counted, never timed).
@Suite(.enabled(if: Allocations.countingAvailable, "allocation counting needs glibc and no sanitizer"))
struct ControlTextCacheAllocationTests {
    static let rounds = 2000

    @Test func repeatedLongRepliesAllocateNothing() {
        let texts = ControlTextCache()
        let replies = Array(
            "226 Transfer complete.\r\n250 Directory successfully changed.\r\n200 Switching to Binary mode.\r\n".utf8)
        var channel = ServerControlChannel()
        var codes = 0
        func feed(_ count: Int) {
            for _ in 0..<count {
                replies.withUnsafeBytes { bytes in
                    channel.append(bytes, texts: texts) { event in
                        if case .reply = event { codes += 1 }
                    }
                }
            }
        }
        feed(10)  // warm-up: the texts are made once and kept
        let allocations = Allocations.count { feed(Self.rounds) }
        #expect(codes == (Self.rounds + 10) * 3)
        #expect(allocations == 0, "\(allocations) allocations over \(Self.rounds * 3) repeated long replies")
    }

    @Test func repeatedLongArgumentsAllocateNothing() {
        let texts = ControlTextCache()
        let commands = Array(
            "SIZE /pub/releases/file_000123.bin\r\nRETR /pub/releases/file_000123.bin\r\nPASS guest@example.com\r\n"
                .utf8)
        var channel = ClientControlChannel()
        var seen = 0
        func feed(_ count: Int) {
            for _ in 0..<count {
                commands.withUnsafeBytes { bytes in
                    channel.append(bytes, texts: texts) { _, command in
                        if command.argument.utf8.count > 15 { seen += 1 }
                    }
                }
            }
        }
        feed(10)
        let allocations = Allocations.count { feed(Self.rounds) }
        #expect(seen == (Self.rounds + 10) * 3)
        #expect(allocations == 0, "\(allocations) allocations over \(Self.rounds * 3) repeated long arguments")
    }

    /// A new long text is still one allocation: the cache saves repeats only.
    @Test func newLongTextsAllocateOnceEach() {
        let texts = ControlTextCache()
        var channel = ServerControlChannel()
        let lines = (0..<Self.rounds).map {
            Array("227 Entering Passive Mode (198,51,100,2,\($0 / 256),\($0 % 256))\r\n".utf8)
        }
        var codes = 0
        // Warm-up: the framer reserves its line buffer on the first byte.
        Array("200 OK\r\n".utf8).withUnsafeBytes { bytes in channel.append(bytes, texts: texts) { _ in } }
        let allocations = Allocations.count {
            var index = 0
            while index < lines.count {
                lines[index].withUnsafeBytes { bytes in
                    channel.append(bytes, texts: texts) { event in
                        if case .reply = event { codes += 1 }
                    }
                }
                index += 1
            }
        }
        #expect(codes == Self.rounds)
        #expect(allocations == UInt64(Self.rounds))
    }
}
