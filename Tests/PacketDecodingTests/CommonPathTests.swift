import NetworkTypes
import PacketDecoding
import TestSupport
import Testing

/// Ethernet frames carrying IPv4 or IPv6 take the decoder's one-step path for plain TCP (`commonIPv4TCP`,
/// `commonIPv6TCP`); the same IP
/// packet on the raw link type always takes the general path. Both must say the same about every packet, valid or
/// damaged, with the payload range shifted by the 14-byte Ethernet header.
@Suite struct CommonPathTests {
    /// What the general path says about `frame`'s IP packet, with its ranges moved to the frame's offsets.
    func generalResult(_ frame: [UInt8]) -> DecodedPacket {
        let result = decode(Array(frame[14...]), .raw)
        switch result {
        case .tcp(var segment):
            segment.payloadOffset += 14
            return .tcp(segment)
        case .fragment(var fragment):
            fragment.payloadOffset += 14
            return .fragment(fragment)
        default:
            return result
        }
    }

    func agrees(_ frame: [UInt8]) -> Bool {
        decode(frame, .ethernet) == generalResult(frame)
    }

    @Test func plainSegmentsAgree() throws {
        let shapes: [[UInt8]] = [
            FrameBuilder.tcp(from: client4, to: server4, seq: 7, ack: 9, flags: .ack),
            FrameBuilder.tcp(from: client4, to: server4, seq: 7, ack: 9, flags: [.psh, .ack], payload: Array("RETR a\r\n".utf8)),
            FrameBuilder.tcp(from: server4, to: client4, seq: 1, flags: [.syn, .ack], tcpOptions: [2, 4, 5, 0xB4]),
            FrameBuilder.tcp(from: client4, to: server4, seq: 5, flags: .ack, padding: 6),
            FrameBuilder.tcp(from: client4, to: server4, seq: 5, flags: .ack, payload: [UInt8](repeating: 0x5A, count: 1460)),
        ]
        for frame in shapes {
            let decoded = try #require(segment(decode(frame, .ethernet)))
            #expect(decoded.flow.source == (frame[26] == 192 ? client4 : server4))
            #expect(agrees(frame))
            // Cut by a snap length anywhere.
            for cut in stride(from: 14, through: frame.count, by: 3) { #expect(agrees(Array(frame[..<cut]))) }
        }
    }

    @Test func damagedHeadersAgree() {
        // Every header byte (IP and TCP) set to values that matter to the checks: version/length, total length,
        // flags and fragment offset, protocol, data offset.
        let base = FrameBuilder.tcp(
            from: client4, to: server4, seq: 7, ack: 9, flags: [.psh, .ack], payload: Array("STOR b\r\n".utf8))
        let values: [UInt8] = [0x00, 0x01, 0x05, 0x06, 0x14, 0x1F, 0x20, 0x28, 0x3F, 0x40, 0x45, 0x46, 0x50, 0x80, 0xF0, 0xFF]
        for position in 14..<54 {
            for value in values {
                var frame = base
                frame[position] = value
                #expect(agrees(frame), "byte \(position) = \(value)")
            }
        }
    }

    @Test func otherShapesAgree() {
        let frames: [[UInt8]] = [
            FrameBuilder.tcp(from: client4, to: server4, seq: 5, flags: .ack, payload: [1, 2, 3], ipv4Options: [1, 1, 1, 1]),
            FrameBuilder.tcp(from: client4, to: server4, seq: 5, flags: .ack, payload: [1, 2, 3], ipLength: 0),
            FrameBuilder.tcp(from: client4, to: server4, seq: 5, flags: .ack, payload: [1, 2, 3], ipLength: 30),
            FrameBuilder.tcp(from: client4, to: server4, seq: 5, flags: .ack, payload: [1, 2, 3], ipLength: 40),
            FrameBuilder.ipv4Fragment(
                from: client4.address, to: server4.address, offset: 8, moreFragments: true,
                payload: [UInt8](repeating: 1, count: 64)),
        ]
        for frame in frames { #expect(agrees(frame)) }
    }

    @Test func plainIPv6SegmentsAgree() throws {
        let shapes: [[UInt8]] = [
            FrameBuilder.tcp(from: client6, to: server6, seq: 7, ack: 9, flags: .ack),
            FrameBuilder.tcp(from: client6, to: server6, seq: 7, ack: 9, flags: [.psh, .ack], payload: Array("RETR a\r\n".utf8)),
            FrameBuilder.tcp(from: server6, to: client6, seq: 1, flags: [.syn, .ack], tcpOptions: [2, 4, 5, 0xB4]),
            FrameBuilder.tcp(from: client6, to: server6, seq: 5, flags: .ack, payload: [UInt8](repeating: 0x5A, count: 1440)),
        ]
        for frame in shapes {
            let decoded = try #require(segment(decode(frame, .ethernet)))
            #expect(decoded.flow.source.address.isIPv4 == false)
            #expect(agrees(frame))
            for cut in stride(from: 14, through: frame.count, by: 3) { #expect(agrees(Array(frame[..<cut]))) }
        }
    }

    @Test func damagedIPv6HeadersAgree() {
        // Every byte of the IPv6 fixed header and the TCP header that a check reads: version, payload length,
        // next header, data offset (addresses and ports are only copied).
        let base = FrameBuilder.tcp(
            from: client6, to: server6, seq: 7, ack: 9, flags: [.psh, .ack], payload: Array("STOR b\r\n".utf8))
        let values: [UInt8] = [0x00, 0x01, 0x05, 0x06, 0x14, 0x1F, 0x20, 0x28, 0x2C, 0x3A, 0x3F, 0x40, 0x50, 0x60, 0x80, 0xFF]
        for position in [14, 15, 18, 19, 20, 21, 66, 67] {
            // Version 4 under the IPv6 ethertype is malformed on Ethernet, but the raw link type (the reference)
            // picks the version from that nibble and reads IPv4: not a comparison of the two paths.
            for value in values where !(position == 14 && value >> 4 == 4) {
                var frame = base
                frame[position] = value
                #expect(agrees(frame), "byte \(position) = \(value)")
            }
        }
        // Extension headers and payload length 0 take the general path and still agree.
        #expect(agrees(FrameBuilder.tcp(from: client6, to: server6, seq: 5, flags: .ack, payload: [1, 2, 3], ipLength: 0)))
        #expect(
            agrees(
                FrameBuilder.tcp(
                    from: client6, to: server6, seq: 5, flags: .ack, payload: [1, 2, 3],
                    ipv6ExtensionHeaders: [.hopByHop()])))
    }
}
