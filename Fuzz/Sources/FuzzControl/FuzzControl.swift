// Fuzz target: the FTP control channel, in Zeek's fuzzer format (src/fuzzers/corpora/ftp-corpus.zip): chunks, each
// introduced by the 4 bytes `\x01PKT` and a direction byte whose low bit is 1 for client→server. Bytes before the
// first marker are a client chunk. Extension (ignored by Zeek's format, so its corpus still works): bit 1 of the
// direction byte drops the chunk from the "capture", so the analyzer sees a gap there.
//
// Each input goes twice through the parser: directly (the control channel the analyzer uses, ClientControlChannel /
// ServerControlChannel with its gap policy → data-channel parsers) and as a TCP conversation through TCPReassembler
// into FTPAnalyzer, which then settles its findings.
#if canImport(Glibc)
import Glibc
#endif
import FTPAnalysis
import FTPProtocol
import NetworkTypes
import PacketDecoding
import TCPReassembly
import FuzzSupport

private struct Chunk {
    var fromClient: Bool
    var dropped: Bool
    var bytes: UnsafeRawBufferPointer
}

/// Splits an input at each `\x01PKT` + direction byte.
private func chunks(_ input: UnsafeRawBufferPointer) -> [Chunk] {
    var result: [Chunk] = []
    var start = 0
    var fromClient = true
    var dropped = false
    var index = 0
    let marker: [UInt8] = [0x01, 0x50, 0x4B, 0x54]
    while index + 5 <= input.count {
        if input[index] == marker[0] && input[index + 1] == marker[1] && input[index + 2] == marker[2]
            && input[index + 3] == marker[3]
        {
            if index > start {
                result.append(Chunk(fromClient: fromClient, dropped: dropped, bytes: .init(rebasing: input[start..<index])))
            }
            let direction = input[index + 4]
            fromClient = direction & 1 == 1
            dropped = direction & 2 == 2
            index += 5
            start = index
        } else {
            index += 1
        }
    }
    if input.count > start {
        result.append(Chunk(fromClient: fromClient, dropped: dropped, bytes: .init(rebasing: input[start...])))
    }
    return result
}

/// Runs the control channel's production path (`ClientControlChannel`, `ServerControlChannel`: framing, reply
/// assembly and the one gap policy the analyzer uses) and the data-channel parsers on the chunks.
private func parseDirectly(_ chunks: [Chunk], limits: FTPLimits) {
    var client = ClientControlChannel(limits: limits)
    var server = ServerControlChannel(limits: limits)
    // Both directions frame in one shared line buffer, as the analyzer's sessions do.
    let lines = SharedLineBuffer.allocate()
    defer { lines.deallocate() }
    // The channels lend the command `inout` and hand the reply over `consuming` (the analysis moves their
    // strings into its records); read here.
    func onCommand(_ line: FTPLine, _ command: inout FTPCommand) {
        check(line.bytes.count <= limits.maxLineLength, "line longer than maxLineLength")
        check(line.originalLength >= line.bytes.count, "originalLength below kept bytes")
        switch command.verb {
        case .port: _ = DataChannelParser.parsePORT(command.argument)
        case .eprt: _ = DataChannelParser.parseEPRT(command.argument)
        case .lprt: _ = DataChannelParser.parseLPRT(command.argument)
        case .epsv: _ = DataChannelParser.isEPSVAll(command.argument)
        default: break
        }
    }
    func onReplyEvent(_ event: consuming ReplyEvent) {
        guard case .reply(let reply) = event else { return }
        check(reply.lineCount <= max(2, limits.maxReplyLines), "reply kept more lines than maxReplyLines")
        let text = reply.text
        switch reply.code {
        case 227: _ = DataChannelParser.parse227(text)
        case 228: _ = DataChannelParser.parse228(text)
        case 229: _ = DataChannelParser.parse229(text)
        case 257: _ = ReplyParsing.parse257Path(text)
        case 150: _ = ReplyParsing.parse150Size(text)
        case 213: _ = ReplyParsing.parse213Size(text)
        default: break
        }
    }
    for chunk in chunks {
        if chunk.dropped {
            if chunk.fromClient { client.gap() } else { server.gap(onReplyEvent) }
            continue
        }
        if chunk.fromClient {
            client.append(chunk.bytes, lines: lines, onCommand)
        } else {
            server.append(chunk.bytes, lines: lines, onReplyEvent)
        }
    }
    client.finish(onCommand)
    server.finish(onReplyEvent)
}

/// Runs the chunks as one TCP connection (handshake, data, FIN both ways) through the reassembler and analyzer.
private func analyze(_ chunks: [Chunk], configuration: AnalysisConfiguration) {
    let analyzer = FTPAnalyzer(configuration: configuration)
    let reassembler = TCPReassembler(delegate: analyzer)
    let client = Endpoint(address: .v4(0x0A00_0001), port: 40000)
    let server = Endpoint(address: .v4(0x0A00_0002), port: 21)
    let toServer = FlowKey(source: client, destination: server)
    let toClient = FlowKey(source: server, destination: client)
    var clientSeq = SeqNumber(1000)
    var serverSeq = SeqNumber(5000)
    var time = Timestamp(nanoseconds: 1_700_000_000_000_000_000)
    let empty = UnsafeRawBufferPointer(start: nil, count: 0)
    func send(_ fromClient: Bool, _ flags: TCPFlags, _ payload: UnsafeRawBufferPointer, skip: Bool = false) {
        time = time.adding(nanoseconds: 1_000_000)
        let seq = fromClient ? clientSeq : serverSeq
        let ack = fromClient ? serverSeq : clientSeq
        let segment = TCPSegment(
            flow: fromClient ? toServer : toClient, seq: seq, ack: ack, flags: flags, window: 65535,
            payloadOffset: 0, payloadLength: payload.count)
        if !skip { reassembler.process(segment, payload: payload, at: time) }
        let advance = payload.count + (flags.contains(.syn) || flags.contains(.fin) ? 1 : 0)
        if fromClient { clientSeq = clientSeq.advanced(by: advance) } else { serverSeq = serverSeq.advanced(by: advance) }
    }
    send(true, .syn, empty)
    send(false, [.syn, .ack], empty)
    send(true, .ack, empty)
    for chunk in chunks {
        send(chunk.fromClient, [.psh, .ack], chunk.bytes, skip: chunk.dropped)
    }
    send(true, [.fin, .ack], empty)
    send(false, [.fin, .ack], empty)
    send(true, .ack, empty)
    reassembler.finish(at: time)
    analyzer.finish()
    for session in analyzer.sessions {
        check(session.anomalies.count <= 100, "anomalies unbounded")
        _ = session.repliesInOrder.count
    }
    // Findings carry typed facts now (their sentences are worded in Reports, outside this package).
    for finding in analyzer.findings { _ = finding.kind.rawValue.count + finding.evidence.count }
}

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let parts = chunks(input)
    // Odd-sized inputs run with tiny limits, so the caps' edges are fuzzed as much as the parsers.
    let small = size & 1 == 1
    let limits = small ? FTPLimits(maxLineLength: 40, maxReplyLines: 3) : FTPLimits()
    parseDirectly(parts, limits: limits)
    var configuration = AnalysisConfiguration()
    configuration.protocolLimits = limits
    if small {
        configuration.maxPendingCommands = 3
        configuration.maxExpectationsPerSession = 2
        configuration.maxExpectationsTotal = 3
        configuration.maxRecentUnmatched = 2
    }
    analyze(parts, configuration: configuration)
    return 0
}
