import FTPAnalysis
import IPReassembly
import NetworkTypes
import PacketDecoding
import TCPReassembly
import TestSupport
import Testing

@testable import FTPScope

/// The hot path allocates nothing per packet (issue 8): once a connection is under way, an in-order segment is
/// decoded, reassembled and handed on without touching the heap. Counted, never timed, so it cannot flake on a
/// loaded machine; skipped under sanitizers, whose allocators are not ours to count.
@Suite(.enabled(if: Allocations.countingAvailable, "allocation counting needs glibc and no sanitizer"))
struct AllocationTests {
    static let client = Endpoint(address: .v4(192, 0, 2, 1), port: 40000)
    static let server = Endpoint(address: .v4(198, 51, 100, 2), port: 21)

    /// A login, a PASV and a RETR on the control connection; then the data connection: handshake and `segments`
    /// full-size segments from the server.
    static func retrieval(segments: Int) -> (control: [(Timestamp, [UInt8])], data: [(Timestamp, [UInt8])]) {
        var control = ConversationBuilder(client: client, server: server)
        control.handshake()
        control.serverSends("220 ready\r\n")
        control.clientSends("USER alice\r\n")
        control.serverSends("331 password\r\n")
        control.clientSends("PASS secret\r\n")
        control.serverSends("230 welcome\r\n")
        control.clientSends("PASV\r\n")
        control.serverSends("227 Entering Passive Mode (198,51,100,2,195,80)\r\n")
        control.clientSends("RETR big.iso\r\n")
        control.serverSends("150 opening\r\n")
        var data = ConversationBuilder(
            client: Endpoint(address: .v4(192, 0, 2, 1), port: 40001),
            server: Endpoint(address: .v4(198, 51, 100, 2), port: 50000), start: control.time)
        data.handshake()
        let chunk = [UInt8](repeating: 0x5A, count: data.maximumSegmentSize)
        for index in 0..<segments {
            data.serverSends(chunk)
            if index % 2 == 1 { data.ack(from: .client) }  // delayed ACKs, as real receivers send
        }
        return (control.packets, data.packets)
    }

    @Test func inOrderDataSegmentsAllocateNothing() {
        let (control, data) = Self.retrieval(segments: 6000)
        var pipeline = Pipeline()
        pipeline.feed(control[...])
        // Warm-up: the data connection is created, matched to the PASV and its buffers settle.
        let warm = 1000
        pipeline.feed(data[..<warm])
        let measured = data[warm...]
        let allocations = Allocations.count { pipeline.feed(measured) }
        let stats = pipeline.stats
        let reassembler = pipeline.reassembler
        #expect(stats.tcpSegments == UInt64(control.count + data.count))
        #expect(reassembler.counters.gaps == 0)
        #expect(
            allocations <= 8,
            "\(allocations) allocations over \(measured.count) in-order packets: the hot path allocates per packet")
    }

    @Test func inOrderControlSegmentsWithoutLineEndsAllocateNothing() {
        // Bytes of one long line arriving segment by segment (before the line ends, nothing is parsed): the
        // reassembler and the line framer only copy into buffers they already have.
        var control = ConversationBuilder(client: Self.client, server: Self.server)
        control.maximumSegmentSize = 16
        control.handshake()
        control.serverSends("220 ready\r\n")
        control.clientSends([UInt8](repeating: UInt8(ascii: "a"), count: 3000 * 16))
        var pipeline = Pipeline()
        let packets = control.packets
        let warm = 500
        pipeline.feed(packets[..<warm])
        let allocations = Allocations.count { pipeline.feed(packets[warm...]) }
        #expect(pipeline.stats.tcpSegments == UInt64(packets.count))
        #expect(allocations <= 8, "\(allocations) allocations over \(packets.count - warm) in-order packets")
    }

    /// Control lines through the whole pipeline (issue 17): once a session is under way, a NOOP and its `200 OK`
    /// (a segment each way, plus the ACKs) are decoded, reassembled, framed, parsed, paired and recorded. What
    /// remains per exchange is the growth of the session's command list, which doubles (so it is counted in
    /// logarithmically many allocations, not one per line); the lines themselves allocate nothing.
    @Test func shortControlExchangesAllocateNothingPerLine() {
        var control = ConversationBuilder(client: Self.client, server: Self.server)
        control.handshake()
        control.serverSends("220 ready\r\n")
        control.clientSends("USER alice\r\n")
        control.serverSends("331 password\r\n")
        control.clientSends("PASS secret\r\n")
        control.serverSends("230 welcome\r\n")
        let exchanges = 4000
        for _ in 0..<exchanges {
            control.clientSends("NOOP\r\n")
            control.serverSends("200 OK\r\n")
        }
        let packets = control.packets
        var pipeline = Pipeline()
        let warm = packets.count / 4
        pipeline.feed(packets[..<warm])
        let allocations = Allocations.count { pipeline.feed(packets[warm...]) }
        let session = pipeline.analyzer.sessions.first
        #expect(session?.commands.count == exchanges + 2)
        #expect(session?.commands.last?.reply?.code == 200)
        let measured = exchanges * 3 / 4
        #expect(
            allocations <= 8,
            "\(allocations) allocations over \(measured) NOOP/200 exchanges (\(packets.count - warm) packets)")
    }

    /// Long texts that repeat (issue 17): a CWD to a long path and its `250 Directory successfully changed.`, both
    /// past Swift's 15-byte inline strings, allocate nothing per exchange once seen, because the analysis lends its
    /// channels a cache of recent texts (`ControlTextCache`). As above, only the command list's doubling remains.
    @Test func repeatedLongControlTextsAllocateNothingPerLine() {
        var control = ConversationBuilder(client: Self.client, server: Self.server)
        control.handshake()
        control.serverSends("220 ftpscope test server ready\r\n")
        let exchanges = 4000
        for _ in 0..<exchanges {
            control.clientSends("CWD /pub/releases/archive/2026\r\n")
            control.serverSends("250 Directory successfully changed.\r\n")
        }
        let packets = control.packets
        var pipeline = Pipeline()
        let warm = packets.count / 4
        pipeline.feed(packets[..<warm])
        let allocations = Allocations.count { pipeline.feed(packets[warm...]) }
        let session = pipeline.analyzer.sessions.first
        #expect(session?.commands.count == exchanges)
        #expect(session?.commands.last?.reply?.text == "Directory successfully changed.")
        #expect(session?.workingDirectory == "/pub/releases/archive/2026")
        let measured = exchanges * 3 / 4
        #expect(
            allocations <= 8,
            "\(allocations) allocations over \(measured) CWD/250 exchanges (\(packets.count - warm) packets)")
    }

    /// Fragmented segments (issue 16): once the IP reassembler's slots and buffers exist, a fragment is copied into
    /// a reused buffer and a completed datagram goes on to TCP like a packet: nothing is allocated per fragment.
    @Test func fragmentedDataSegmentsAllocateNothing() {
        let (control, data) = Self.retrieval(segments: 600)
        var fragmenter = Fragmenter(size: 24)
        var fragments: [(Timestamp, [UInt8])] = []
        for (time, frame) in data {
            for piece in fragmenter.fragment(frame, link: .ethernet) { fragments.append((time, piece)) }
        }
        var pipeline = Pipeline()
        pipeline.feed(control[...])
        let warm = 2000
        pipeline.feed(fragments[..<warm])
        let allocations = Allocations.count { pipeline.feed(fragments[warm...]) }
        #expect(pipeline.fragments.counters.datagramsReassembled > 500)
        #expect(pipeline.fragments.datagramsInFlight == 0)
        #expect(pipeline.reassembler.counters.gaps == 0)
        #expect(
            allocations <= 8, "\(allocations) allocations over \(fragments.count - warm) fragments: one per fragment?")
    }

    /// The offline per-packet path: decoder, `PacketStats.dispatch`, reassembler, analyzer.
    struct Pipeline {
        let analyzer = FTPAnalyzer()
        let reassembler: TCPReassembler<FTPAnalyzer>
        let fragments = IPReassembler()
        let decoder = PacketDecoder(linkType: .ethernet)
        var stats = PacketStats()

        init() { reassembler = TCPReassembler(delegate: analyzer) }

        // Indexes into the slice rather than iterating its (time, frame) tuples: the debug build's generic
        // iterator allocates per tuple, which is the test's cost, not ftpscope's.
        mutating func feed(_ packets: ArraySlice<(Timestamp, [UInt8])>) {
            var index = packets.startIndex
            while index < packets.endIndex {
                let time = packets[index].0
                packets[index].1.withUnsafeBytes { bytes in
                    stats.dispatch(
                        bytes, capturedLength: bytes.count, decoder: decoder, at: time, fragments: fragments,
                        reassembler: reassembler, analyzer: analyzer)
                }
                index += 1
            }
        }
    }

    /// The counter itself works (so a zero above means something).
    @Test func theCounterSeesAnAllocation() {
        let allocations = Allocations.count {
            let array = [UInt8](repeating: 1, count: 1000 + Int.random(in: 0..<2))
            #expect(array.count >= 1000)
        }
        #expect(allocations >= 1)
    }
}
