import NetworkTypes
import PacketDecoding
import TestSupport
import Testing

/// Truncated, damaged and random input: the decoder must never trap (in debug builds `PacketBytes` traps on any
/// unchecked read, so these tests also prove every read is bounds-checked) and never return a payload range
/// outside the buffer.
@Suite struct RobustnessTests {
    struct Sample: Sendable, CustomTestStringConvertible {
        let name: String
        let link: LinkType
        let frame: [UInt8]
        var testDescription: String { name }
    }

    static let samples: [Sample] = {
        var samples: [Sample] = []
        let data = Array("227 Entering Passive Mode (198,51,100,20,156,64)\r\n".utf8)
        for link in allLinkTypes {
            if link != .ipv6 {
                samples.append(
                    Sample(
                        name: "\(link) IPv4", link: link,
                        frame: FrameBuilder.tcp(
                            from: server4, to: client4, seq: 1, flags: [.psh, .ack], payload: data,
                            tcpOptions: [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2], link: link, vlanTags: [7],
                            ipv4Options: [1, 1, 1, 0], padding: 3)))
            }
            if link != .ipv4 {
                samples.append(
                    Sample(
                        name: "\(link) IPv6", link: link,
                        frame: FrameBuilder.tcp(
                            from: server6, to: client6, seq: 1, flags: [.psh, .ack], payload: data, link: link,
                            vlanTags: [7, 8], ipv6ExtensionHeaders: [.hopByHop(), .routing(), .authentication()])))
            }
        }
        samples.append(
            Sample(
                name: "ICMP", link: .ethernet,
                frame: FrameBuilder.icmpUnreachable(
                    reporter: .v4(203, 0, 113, 1), quotedFrom: client4, quotedTo: server4, quotedSeq: 1,
                    quotedBytes: 60)))
        samples.append(
            Sample(
                name: "ICMPv6", link: .linuxSLL,
                frame: FrameBuilder.icmpUnreachable(
                    reporter: IPAddress("2001:db8::1")!, quotedFrom: client6, quotedTo: server6, quotedSeq: 1,
                    quotedIPv6ExtensionHeaders: [.destinationOptions()], link: .linuxSLL)))
        return samples
    }()

    /// Every prefix of a valid frame: TCP only once the whole TCP header is present, and always in bounds.
    @Test(arguments: samples)
    func everyPrefixIsSafe(sample: Sample) throws {
        let full = decode(sample.frame, sample.link)
        let headerEnd: Int
        switch full {
        case .tcp(let segment): headerEnd = segment.payloadOffset
        case .icmpUnreachable: headerEnd = sample.frame.count
        default:
            Issue.record("sample does not decode: \(full)")
            return
        }
        for count in 0..<sample.frame.count {
            let prefix = Array(sample.frame[0..<count])
            let result = decode(prefix, sample.link)
            #expect(rangesAreSane(result, count: count))
            if count < headerEnd {
                switch result {
                case .malformed, .other: break
                case .icmpUnreachable:
                    // The quote only needs its IP header and 8 TCP bytes, so a cut ICMP can still name the flow.
                    #expect(unreachable(full) != nil)
                default: Issue.record("prefix of \(count) bytes decoded as \(result)")
                }
            } else if case .tcp(let whole) = full {
                let cut = try #require(segment(result))
                #expect(cut.payloadOffset == whole.payloadOffset)
                #expect(cut.payloadLength == min(count, whole.payloadOffset + whole.payloadLength) - cut.payloadOffset)
                #expect(cut.wirePayloadLength == whole.wirePayloadLength)
            }
        }
    }

    /// Random bytes of random lengths on every link type.
    @Test(arguments: allLinkTypes)
    func randomBytesNeverTrap(link: LinkType) {
        var random = SplitMix64(seed: 0xF7_5C0E + UInt64(allLinkTypes.firstIndex(of: link)!))
        for _ in 0..<4000 {
            let count = Int.random(in: 0...160, using: &random)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            // Make the interesting paths likely: a plausible IP version nibble right after the link header.
            let ipStart = FrameBuilder.linkHeaderLength(link)
            if count > ipStart, Bool.random(using: &random) {
                bytes[ipStart] = Bool.random(using: &random) ? 0x45 : 0x60
            }
            let result = decode(bytes, link)
            #expect(rangesAreSane(result, count: count))
        }
    }

    /// Valid frames with random bytes overwritten: reaches the deep paths (options, chains, quotes) with
    /// inconsistent lengths.
    @Test(arguments: samples)
    func mutatedFramesNeverTrap(sample: Sample) {
        var random = SplitMix64(seed: UInt64(sample.frame.count) &* 0x9E37_79B9)
        for _ in 0..<3000 {
            var bytes = sample.frame
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            let count = Bool.random(using: &random) ? bytes.count : Int.random(in: 0...bytes.count, using: &random)
            let cut = Array(bytes[0..<count])
            #expect(rangesAreSane(decode(cut, sample.link), count: count))
        }
    }

    /// The decoder reads only inside the buffer it is given, even when that buffer is a slice of a bigger one
    /// (libpcap hands out a pointer and a captured length inside its own ring).
    @Test func readsOnlyInsideTheGivenBuffer() throws {
        let frame = FrameBuilder.tcp(from: client4, to: server4, seq: 1, flags: .ack, payload: [1, 2, 3, 4])
        let ring = [UInt8](repeating: 0xEE, count: 7) + frame + [UInt8](repeating: 0xEE, count: 100)
        let result = ring.withUnsafeBytes { buffer in
            PacketDecoder(linkType: .ethernet).decode(
                UnsafeRawBufferPointer(rebasing: buffer[7..<(7 + frame.count - 2)]))
        }
        let decoded = try #require(segment(result))
        #expect(decoded.payloadLength == 2)
        #expect(decoded.wirePayloadLength == 4)
    }
}

@Suite struct CounterTests {
    @Test func countsEveryOutcome() {
        let decoder = PacketDecoder(linkType: .ethernet)
        var counters = DecodeCounters()
        let frames: [[UInt8]] = [
            FrameBuilder.tcp(from: client4, to: server4, seq: 1, flags: .syn),
            FrameBuilder.tcp(from: client6, to: server6, seq: 1, flags: .syn),
            FrameBuilder.icmpUnreachable(
                reporter: server4.address, quotedFrom: client4, quotedTo: server4, quotedSeq: 1),
            FrameBuilder.ipv4Fragment(
                from: client4.address, to: server4.address, offset: 8, moreFragments: false,
                payload: [1]),
            FrameBuilder.frame(etherType: 0x0806, payload: [UInt8](repeating: 0, count: 28), link: .ethernet),
            [1, 2, 3],
            Array(FrameBuilder.tcp(from: client4, to: server4, seq: 1, flags: .syn)[0..<40]),
        ]
        for frame in frames {
            _ = frame.withUnsafeBytes { decoder.decode($0, counting: &counters) }
        }
        #expect(counters.packets == 7)
        #expect(counters.tcp == 2)
        #expect(counters.icmpUnreachable == 1)
        #expect(counters.fragments == 1)
        #expect(counters.other == 1)
        #expect(counters.malformed == 2)
        #expect(counters[.truncatedLinkHeader] == 1)
        #expect(counters[.truncatedTCPHeader] == 1)
        #expect(counters[.badIPVersion] == 0)

        var total = DecodeCounters()
        total += counters
        total += counters
        #expect(total.packets == 14)
        #expect(total[.truncatedTCPHeader] == 2)
        #expect(total.malformed == 4)
    }
}
