import NetworkTypes

/// Re-cuts a real capture: every TCP segment's payload split into smaller segments (1 byte, or random sizes),
/// optionally reordered and duplicated, and ports renamed, so the whole analyzer can be drip-fed a capture whose
/// right answer is known (the same capture, whole).
///
/// Reads classic pcap with Ethernet framing (what `samples/` holds); other packets pass through untouched.
/// Checksums are not recomputed: the pipeline does not verify them (captures are full of offloaded ones).
public enum Recutter {
    /// How to cut.
    public struct Plan: Sendable {
        /// The size of the next piece, given how much of the payload is left.
        public var pieceSize: @Sendable (inout SplitMix64, Int) -> Int
        /// Swap neighbouring pieces of a segment with this probability (percent): out-of-order delivery.
        public var reorderPercent = 0
        /// Send a piece twice with this probability (percent): retransmissions.
        public var duplicatePercent = 0
        /// Ports renamed on every TCP segment, both directions (e.g. 21 → 2121).
        public var ports: [UInt16: UInt16] = [:]
        /// The generator's seed.
        public var seed: UInt64 = 1
        /// When set, only segments to or from these ports (after renaming) are cut; others pass whole.
        public var cutOnly: Set<UInt16>?

        /// A plan.
        public init(
            pieceSize: @escaping @Sendable (inout SplitMix64, Int) -> Int, reorderPercent: Int = 0,
            duplicatePercent: Int = 0, ports: [UInt16: UInt16] = [:], seed: UInt64 = 1
        ) {
            self.pieceSize = pieceSize
            self.reorderPercent = reorderPercent
            self.duplicatePercent = duplicatePercent
            self.ports = ports
            self.seed = seed
        }

        /// One byte per segment (on the connections of `cutOnly` ports, when given).
        public static func bytes(ports: [UInt16: UInt16] = [:], cutOnly: Set<UInt16>? = nil) -> Plan {
            var plan = Plan(pieceSize: { _, _ in 1 }, ports: ports)
            plan.cutOnly = cutOnly
            return plan
        }

        /// Random sizes from 1 to `maximum`, reordered and duplicated now and then.
        public static func random(seed: UInt64, maximum: Int = 7, ports: [UInt16: UInt16] = [:]) -> Plan {
            Plan(
                pieceSize: { random, left in 1 + random.below(min(maximum, left)) }, reorderPercent: 20,
                duplicatePercent: 10, ports: ports, seed: seed)
        }
    }

    /// The packets of a classic pcap file (time, bytes) and its link type.
    public static func readPcap(_ file: [UInt8]) -> (linkType: UInt32, packets: [(Timestamp, [UInt8])]) {
        guard file.count >= 24 else { return (0, []) }
        let magic = u32le(file, 0)
        let swapped = magic == 0xD4C3_B2A1 || magic == 0x4D3C_B2A1
        let nanosecond = magic == 0xA1B2_3C4D || magic == 0x4D3C_B2A1
        func u32(_ at: Int) -> UInt32 { swapped ? u32le(file, at).byteSwapped : u32le(file, at) }
        let linkType = u32(20)
        var packets: [(Timestamp, [UInt8])] = []
        var at = 24
        while at + 16 <= file.count {
            let seconds = Int64(u32(at))
            let fraction = Int64(u32(at + 4))
            let length = Int(u32(at + 8))
            guard at + 16 + length <= file.count else { break }
            let time = Timestamp(seconds: seconds, nanoseconds: nanosecond ? fraction : fraction * 1000)
            packets.append((time, Array(file[(at + 16)..<(at + 16 + length)])))
            at += 16 + length
        }
        return (linkType, packets)
    }

    /// The packets re-cut by `plan`.
    public static func recut(_ packets: [(Timestamp, [UInt8])], plan: Plan) -> [(Timestamp, [UInt8])] {
        var random = SplitMix64(seed: plan.seed)
        var out: [(Timestamp, [UInt8])] = []
        for (time, frame) in packets {
            guard let tcp = TCPView(frame) else {
                out.append((time, frame))
                continue
            }
            var header = Array(frame[..<tcp.payloadStart])
            rename(&header, tcp, plan.ports)
            let payload = frame[tcp.payloadStart..<tcp.payloadEnd]
            let ports = [tcp.tcpStart, tcp.tcpStart + 2].map { UInt16(header[$0]) << 8 | UInt16(header[$0 + 1]) }
            if payload.count <= 1 || plan.cutOnly.map({ !$0.contains(ports[0]) && !$0.contains(ports[1]) }) == true {
                var whole = header
                whole.append(contentsOf: payload)
                out.append((time, whole))
                continue
            }
            var pieces: [[UInt8]] = []
            var offset = 0
            while offset < payload.count {
                let left = payload.count - offset
                let size = max(1, min(left, plan.pieceSize(&random, left)))
                var piece = header
                let start = payload.startIndex + offset
                piece.append(contentsOf: payload[start..<(start + size)])
                setSequence(&piece, tcp, tcp.sequence &+ UInt32(offset))
                setIPLength(&piece, tcp, ipPayload: tcp.tcpHeaderLength + size)
                if offset + size < payload.count {
                    // Only the last piece keeps FIN and PSH; a FIN in the middle would end the stream early.
                    piece[tcp.tcpStart + 13] &= ~UInt8(0x09)
                }
                pieces.append(piece)
                offset += size
            }
            var index = 0
            while index + 1 < pieces.count {
                if random.below(100) < plan.reorderPercent {
                    pieces.swapAt(index, index + 1)
                    index += 2
                } else {
                    index += 1
                }
            }
            // Pieces of one segment share its time (one nanosecond apart, so time order holds).
            var step: Int64 = 0
            for piece in pieces {
                out.append((Timestamp(nanoseconds: time.nanoseconds + step), piece))
                step += 1
                if random.below(100) < plan.duplicatePercent {
                    out.append((Timestamp(nanoseconds: time.nanoseconds + step), piece))
                    step += 1
                }
            }
        }
        return out
    }

    /// A sample re-cut and written as a pcap file's bytes.
    public static func recutPcap(_ file: [UInt8], plan: Plan) -> [UInt8] {
        let (linkType, packets) = readPcap(file)
        return PcapWriter.pcap(recut(packets, plan: plan), linkType: linkType, nanosecond: true)
    }

    private struct TCPView {
        var ipStart: Int
        var isIPv4: Bool
        var tcpStart: Int
        var tcpHeaderLength: Int
        var payloadStart: Int
        var payloadEnd: Int
        var sequence: UInt32

        init?(_ frame: [UInt8]) {
            guard frame.count >= 14 else { return nil }
            var type = Int(frame[12]) << 8 | Int(frame[13])
            var ip = 14
            if type == 0x8100, frame.count >= 18 {
                type = Int(frame[16]) << 8 | Int(frame[17])
                ip = 18
            }
            let tcpStart: Int
            let ipEnd: Int
            if type == 0x0800, frame.count >= ip + 20, frame[ip] >> 4 == 4 {
                // Only whole datagrams (no fragments) with protocol 6.
                guard frame[ip + 9] == 6, (Int(frame[ip + 6]) << 8 | Int(frame[ip + 7])) & 0x3FFF == 0 else {
                    return nil
                }
                tcpStart = ip + Int(frame[ip] & 0x0F) * 4
                ipEnd = min(frame.count, ip + (Int(frame[ip + 2]) << 8 | Int(frame[ip + 3])))
                isIPv4 = true
            } else if type == 0x86DD, frame.count >= ip + 40, frame[ip + 6] == 6 {
                tcpStart = ip + 40
                ipEnd = min(frame.count, ip + 40 + (Int(frame[ip + 4]) << 8 | Int(frame[ip + 5])))
                isIPv4 = false
            } else {
                return nil
            }
            guard ipEnd >= tcpStart + 20 else { return nil }
            let headerLength = Int(frame[tcpStart + 12] >> 4) * 4
            guard headerLength >= 20, tcpStart + headerLength <= ipEnd else { return nil }
            ipStart = ip
            self.tcpStart = tcpStart
            tcpHeaderLength = headerLength
            payloadStart = tcpStart + headerLength
            payloadEnd = ipEnd
            sequence = UInt32(frame[tcpStart + 4]) << 24 | UInt32(frame[tcpStart + 5]) << 16
                | UInt32(frame[tcpStart + 6]) << 8 | UInt32(frame[tcpStart + 7])
        }
    }

    private static func rename(_ bytes: inout [UInt8], _ tcp: TCPView, _ ports: [UInt16: UInt16]) {
        guard !ports.isEmpty else { return }
        for at in [tcp.tcpStart, tcp.tcpStart + 2] {
            let port = UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
            if let renamed = ports[port] {
                bytes[at] = UInt8(renamed >> 8)
                bytes[at + 1] = UInt8(renamed & 0xFF)
            }
        }
    }

    private static func setSequence(_ bytes: inout [UInt8], _ tcp: TCPView, _ sequence: UInt32) {
        bytes[tcp.tcpStart + 4] = UInt8(sequence >> 24)
        bytes[tcp.tcpStart + 5] = UInt8((sequence >> 16) & 0xFF)
        bytes[tcp.tcpStart + 6] = UInt8((sequence >> 8) & 0xFF)
        bytes[tcp.tcpStart + 7] = UInt8(sequence & 0xFF)
    }

    private static func setIPLength(_ bytes: inout [UInt8], _ tcp: TCPView, ipPayload: Int) {
        if tcp.isIPv4 {
            let total = (tcp.tcpStart - tcp.ipStart) + ipPayload
            bytes[tcp.ipStart + 2] = UInt8(total >> 8)
            bytes[tcp.ipStart + 3] = UInt8(total & 0xFF)
        } else {
            bytes[tcp.ipStart + 4] = UInt8(ipPayload >> 8)
            bytes[tcp.ipStart + 5] = UInt8(ipPayload & 0xFF)
        }
    }

    private static func u32le(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
}
