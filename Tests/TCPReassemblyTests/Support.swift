import TestSupport
import NetworkTypes
import PacketDecoding
import TCPReassembly


/// What one direction of one connection delivered.
struct StreamLog {
    var bytes: [UInt8] = []
    var pieces: [(offset: UInt64, bytes: [UInt8])] = []
    var gaps: [(offset: UInt64, length: UInt64)] = []
    var position: UInt64 = 0
    /// False if a gap was reported somewhere other than right after what came before.
    var contiguous = true
}

/// Records every callback.
final class Recorder: TCPStreamDelegate {
    var handlingForNew: StreamHandling = .reassemble
    var opened: [TCPConnection] = []
    var closed: [TCPConnection] = []
    var logs: [Int: StreamLog] = [:]
    var receivedCalls = 0
    /// Run on every delivery (to switch handling from inside a callback).
    var onReceive: ((TCPConnection) -> Void)?

    func connectionOpened(_ connection: TCPConnection) -> StreamHandling {
        opened.append(connection)
        return handlingForNew
    }

    func connection(_ connection: TCPConnection, received data: UnsafeRawBufferPointer, from direction: Direction, at time: Timestamp) {
        receivedCalls += 1
        let key = Int(connection.serial) * 2 + direction.rawValue
        var log = logs[key, default: StreamLog()]
        log.pieces.append((log.position, Array(data)))
        log.bytes.append(contentsOf: data)
        log.position += UInt64(data.count)
        logs[key] = log
        onReceive?(connection)
    }

    func connection(_ connection: TCPConnection, gapAt offset: UInt64, length: UInt64, from direction: Direction, at time: Timestamp) {
        let key = Int(connection.serial) * 2 + direction.rawValue
        var log = logs[key, default: StreamLog()]
        if offset != log.position { log.contiguous = false }
        log.gaps.append((offset, length))
        log.position = offset + length
        logs[key] = log
    }

    func connectionClosed(_ connection: TCPConnection) {
        closed.append(connection)
    }

    func log(_ serial: UInt64 = 0, _ direction: Direction) -> StreamLog {
        logs[Int(serial) * 2 + direction.rawValue] ?? StreamLog()
    }
}

let clientEndpoint = Endpoint(address: .v4(192, 0, 2, 10), port: 51234)
let serverEndpoint = Endpoint(address: .v4(198, 51, 100, 7), port: 21)

/// Drives a reassembler with hand-built segments between a client and a server.
final class Harness {
    let recorder = Recorder()
    let reassembler: TCPReassembler<Recorder>
    var clock: Int64 = 1_000_000_000
    let client: Endpoint
    let server: Endpoint

    init(limits: ReassemblyLimits = .init(), handling: StreamHandling = .reassemble, client: Endpoint = clientEndpoint, server: Endpoint = serverEndpoint) {
        recorder.handlingForNew = handling
        reassembler = TCPReassembler(delegate: recorder, limits: limits)
        self.client = client
        self.server = server
    }

    var now: Timestamp { Timestamp(nanoseconds: clock) }

    /// Sends one segment from the client (`fromClient`) or the server; time advances 1 ms per segment.
    func send(fromClient: Bool, seq: UInt32, ack: UInt32 = 0, _ flags: TCPFlags, _ payload: [UInt8] = [], wire: Int? = nil) {
        let flow = fromClient ? FlowKey(source: client, destination: server) : FlowKey(source: server, destination: client)
        let segment = TCPSegment(
            flow: flow, seq: SeqNumber(seq), ack: SeqNumber(ack), flags: flags, window: 65535, payloadOffset: 0,
            payloadLength: payload.count, wirePayloadLength: wire)
        clock += 1_000_000
        payload.withUnsafeBytes { reassembler.process(segment, payload: $0, at: now) }
    }

    func c(_ seq: UInt32, ack: UInt32 = 0, _ flags: TCPFlags, _ payload: [UInt8] = [], wire: Int? = nil) {
        send(fromClient: true, seq: seq, ack: ack, flags, payload, wire: wire)
    }

    func s(_ seq: UInt32, ack: UInt32 = 0, _ flags: TCPFlags, _ payload: [UInt8] = [], wire: Int? = nil) {
        send(fromClient: false, seq: seq, ack: ack, flags, payload, wire: wire)
    }

    /// SYN, SYN-ACK, ACK with the given initial sequence numbers.
    func handshake(client isnC: UInt32 = 1000, server isnS: UInt32 = 5000) {
        c(isnC, [.syn])
        s(isnS, ack: isnC &+ 1, [.syn, .ack])
        c(isnC &+ 1, ack: isnS &+ 1, [.ack])
    }

    func finish() { reassembler.finish(at: now) }

    var connection: TCPConnection? { recorder.opened.last }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func pattern(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
}
