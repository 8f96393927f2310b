import FTPScope
import Foundation
import NetworkTypes
import TestSupport

/// Synthetic FTP sessions (passive mode), written as a pcap for the pipeline.
enum Synthetic {
    static let client = Endpoint(address: .v4(192, 0, 2, 10), port: 51234)
    static let server = Endpoint(address: .v4(198, 51, 100, 20), port: 21)

    /// One data transfer of a scripted session.
    struct Transfer {
        /// The data command line, without CRLF (`RETR x`).
        var command: String
        /// Its payload.
        var payload: [UInt8]
        /// Control lines (and their replies) sent before PASV, e.g. `("REST 100", "350 Restarting")`.
        var before: [(String, String)] = []
        /// Data segments (by index, as split at 1460 bytes) left out of the capture.
        var dropSegments: Set<Int> = []
        /// The data connection carries its bytes before the command is sent.
        var dataBeforeCommand = false
        /// The final reply.
        var finalReply = "226 Transfer complete."
        /// True for STOR/STOU/APPE (the client sends).
        var upload: Bool {
            ["STOR", "STOU", "APPE"].contains(command.split(separator: " ").first.map(String.init) ?? "")
        }
    }

    static func session(_ transfers: [Transfer], user: String = "anonymous") -> [(Timestamp, [UInt8])] {
        var control = ConversationBuilder(client: client, server: server)
        control.handshake()
        control.serverSends("220 ready\r\n")
        control.clientSends("USER \(user)\r\n")
        control.serverSends("331 Password required\r\n")
        control.clientSends("PASS guest@example.com\r\n")
        control.serverSends("230 Logged in.\r\n")
        control.clientSends("PWD\r\n")
        control.serverSends("257 \"/home\" is the current directory\r\n")
        var lists: [[(Timestamp, [UInt8])]] = []
        for (index, transfer) in transfers.enumerated() {
            for (line, reply) in transfer.before {
                control.clientSends(line + "\r\n")
                control.serverSends(reply + "\r\n")
            }
            let port = UInt16(50000 + index)
            control.clientSends("PASV\r\n")
            control.serverSends("227 Entering Passive Mode (198,51,100,20,\(port >> 8),\(port & 0xFF)).\r\n")
            var data = ConversationBuilder(
                client: Endpoint(address: client.address, port: UInt16(40000 + index)),
                server: Endpoint(address: server.address, port: port), start: control.time,
                clientISN: 3_000_000 + UInt32(index) * 100_000, serverISN: 4_000_000 + UInt32(index) * 100_000)
            if !transfer.dataBeforeCommand {
                control.clientSends(transfer.command + "\r\n")
                control.serverSends("150 Opening data connection.\r\n")
                data.time = control.time
            }
            data.handshake()
            send(transfer, over: &data)
            if transfer.upload {
                data.clientFIN()
                data.serverFIN()
            } else {
                data.serverFIN()
                data.clientFIN()
            }
            control.time = data.time
            if transfer.dataBeforeCommand {
                control.clientSends(transfer.command + "\r\n")
                control.serverSends("125 Data connection already open.\r\n")
            }
            control.serverSends(transfer.finalReply + "\r\n")
            lists.append(data.packets)
        }
        control.clientSends("QUIT\r\n")
        control.serverSends("221 Bye\r\n")
        control.clientFIN()
        control.serverFIN()
        return ConversationBuilder.interleave([control.packets] + lists)
    }

    /// Sends the payload segment by segment, leaving out the dropped ones (their sequence numbers still advance,
    /// so the receiver sees a gap).
    private static func send(_ transfer: Transfer, over data: inout ConversationBuilder) {
        let side: ConversationBuilder.Side = transfer.upload ? .client : .server
        var start = 0
        var segment = 0
        while start < transfer.payload.count {
            let end = min(start + data.maximumSegmentSize, transfer.payload.count)
            let chunk = Array(transfer.payload[start..<end])
            if transfer.dropSegments.contains(segment) {
                // Advance the sender's sequence number without a packet in the capture.
                if side == .server {
                    data.serverSeq &+= UInt32(chunk.count)
                } else {
                    data.clientSeq &+= UInt32(chunk.count)
                }
            } else {
                data.segment(from: side, flags: .ack, payload: chunk)
            }
            start = end
            segment += 1
        }
    }

    /// Writes the packets as a pcap in a new temporary directory; returns its path.
    static func write(_ packets: [(Timestamp, [UInt8])], name: String = "synthetic.pcap") throws -> String {
        let directory = try PcapWriter.makeTemporaryDirectory(prefix: "ftpscope-synthetic")
        let path = directory + "/" + name
        try PcapWriter.write(PcapWriter.pcap(packets), to: path)
        return path
    }

    /// `count` bytes of a recognisable pattern.
    static func payload(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }
}
