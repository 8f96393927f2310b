import FTPAnalysis
import NetworkTypes
import PacketDecoding
import TCPReassembly
import TestSupport

/// Runs frames through decoder → reassembler → analyzer, as the pipeline does, without a capture file.
final class Harness: AnalysisEventSink {
    let analyzer: FTPAnalyzer
    var events: [AnalysisEvent] = []

    init(configuration: AnalysisConfiguration = AnalysisConfiguration()) {
        analyzer = FTPAnalyzer(configuration: configuration)
        analyzer.eventSink = self
    }

    func analysis(_ event: AnalysisEvent) { events.append(event) }

    /// Analyses the frames in the given order (not sorted: tests use it to reorder a capture).
    @discardableResult
    func run(_ frames: [(Timestamp, [UInt8])], link: LinkType = .ethernet) -> FTPAnalyzer {
        let reassembler = TCPReassembler(delegate: analyzer)
        let decoder = PacketDecoder(linkType: link)
        var last = Timestamp.zero
        for (time, frame) in frames {
            last = max(last, time)
            frame.withUnsafeBytes { bytes in
                switch decoder.decode(bytes) {
                case .tcp(let segment):
                    let payload = UnsafeRawBufferPointer(
                        rebasing: bytes[segment.payloadOffset..<(segment.payloadOffset + segment.payloadLength)])
                    reassembler.process(segment, payload: payload, at: time)
                case .icmpUnreachable(let message):
                    analyzer.noteICMPUnreachable(message, at: time)
                default:
                    break
                }
            }
        }
        reassembler.finish(at: last)
        analyzer.finish()
        return analyzer
    }
}

/// Endpoints on documentation addresses.
enum Hosts {
    static let client = Endpoint(address: .v4(192, 0, 2, 10), port: 40_000)
    static let server = Endpoint(address: .v4(198, 51, 100, 21), port: 21)

    static func client(port: UInt16) -> Endpoint { Endpoint(address: .v4(192, 0, 2, 10), port: port) }
    static func server(port: UInt16) -> Endpoint { Endpoint(address: .v4(198, 51, 100, 21), port: port) }
}

extension ConversationBuilder {
    /// A control connection up to a successful login.
    static func loggedIn(user: String = "alice", password: String = "secret") -> ConversationBuilder {
        var control = ConversationBuilder(client: Hosts.client, server: Hosts.server)
        control.handshake()
        control.serverSends("220 test server\r\n")
        control.clientSends("USER \(user)\r\n")
        control.serverSends("331 password please\r\n")
        control.clientSends("PASS \(password)\r\n")
        control.serverSends("230 welcome\r\n")
        return control
    }

    /// A data connection that carries `bytes` from `sender` and closes normally.
    static func data(
        from opener: Endpoint, to acceptor: Endpoint, at time: Timestamp, carrying bytes: Int, openerSends: Bool
    ) -> ConversationBuilder {
        var data = ConversationBuilder(client: opener, server: acceptor, start: time, clientISN: 5_000, serverISN: 9_000)
        data.handshake()
        let payload = [UInt8](repeating: 0x41, count: bytes)
        if openerSends { data.clientSends(payload) } else { data.serverSends(payload) }
        if openerSends {
            data.clientFIN()
            data.serverFIN()
        } else {
            data.serverFIN()
            data.clientFIN()
        }
        return data
    }
}
