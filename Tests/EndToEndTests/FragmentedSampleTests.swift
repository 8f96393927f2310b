import FTPAnalysis
import FTPScope
import Foundation
import NetworkTypes
import PacketCapture
import Reports
import TestSupport
import Testing

/// Every bundled sample, fragmented (issue 16): IPv4 in 8-, 16- and 24-byte fragments, in order, reversed and
/// duplicated; IPv6 with a Fragment header. The analysis must equal the unfragmented one, command by command and
/// transfer by transfer: what a sender hides by fragmenting is read all the same.
@Suite struct FragmentedSampleTests {
    /// Every capture in samples/ (new samples are covered without editing this list).
    static let samples: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Paths.samples.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") || $0.hasSuffix(".pcap.gz") }.sorted()
    }()

    static let variants: [Fragmenter] =
        [8, 16, 24].flatMap { size in
            [Fragmenter.Order.inOrder, .reversed, .duplicated].map { Fragmenter(size: size, family: .ipv4, order: $0) }
        } + [Fragmenter(size: 16, family: .ipv6, order: .inOrder), Fragmenter(size: 8, family: .ipv6, order: .reversed)]

    /// The packets of a capture, with its link type.
    static func read(_ path: String) throws -> (LinkType, [PcapWriter.Packet]) {
        let file = try CaptureFile(path: path)
        var packets: [PcapWriter.Packet] = []
        while try file.next({ header, bytes in
            packets.append(PcapWriter.Packet(time: header.time, data: Array(bytes), wireLength: header.wireLength))
        }) {}
        return (file.linkType, packets)
    }

    static func linkTypeNumber(_ link: LinkType) -> UInt32 {
        switch link {
        case .null: return 0
        case .ethernet: return 1
        case .raw: return 101
        case .loop: return 108
        case .linuxSLL: return 113
        case .ipv4: return 228
        case .ipv6: return 229
        case .linuxSLL2: return 276
        case .unsupported(let value): return UInt32(bitPattern: value)
        }
    }

    /// Writes `packets` fragmented by `fragmenter` to a temporary capture and analyses it.
    static func analyzeFragmented(
        _ packets: [PcapWriter.Packet], link: LinkType, _ fragmenter: Fragmenter, name: String
    ) throws -> (AnalysisResult, fragments: Int) {
        var fragmenter = fragmenter
        var written: [PcapWriter.Packet] = []
        for packet in packets {
            // A frame cut by the snap length stays whole: its missing bytes cannot be fragmented.
            let whole = packet.wireLength == nil || packet.wireLength == packet.data.count
            let pieces = whole ? fragmenter.fragment(packet.data, link: link) : [packet.data]
            for piece in pieces {
                written.append(PcapWriter.Packet(time: packet.time, data: piece, wireLength: whole ? nil : packet.wireLength))
            }
        }
        let path = NSTemporaryDirectory() + "ftpscope-fragmented-\(getpid())-\(name)"
        try Data(PcapWriter.pcap(written, linkType: linkTypeNumber(link), nanosecond: true)).write(
            to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        return (try OfflineAnalysis.run(paths: [path]), written.count - packets.count)
    }

    static func isFragmentFinding(_ finding: Finding) -> Bool {
        finding.evidence.contains { $0.0 == "fragment_anomaly" }
    }

    /// A forged copy of each first fragment with different bytes (RFC 1858 overlap): IPv4 keeps the first bytes,
    /// so the analysis is unchanged, and the attempt is a high-severity `protocol_anomaly` with both versions.
    @Test func conflictingIPv4OverlapKeepsTheFirstBytesAndIsReported() throws {
        let path = Paths.samples.appendingPathComponent("passive-vsftpd.pcap").path
        let original = try OfflineAnalysis.run(paths: [path])
        let (link, packets) = try Self.read(path)
        let (result, _) = try Self.analyzeFragmented(
            packets, link: link, Fragmenter(size: 24, family: .ipv4, order: .conflictingDuplicateOfFirst),
            name: "conflicting.pcap")
        let passwords = PasswordPolicy(showPasswords: true)
        #expect(
            result.sessions.map { JSONDocument.sessionText($0, passwords) }
                == original.sessions.map { JSONDocument.sessionText($0, passwords) })
        #expect(result.ipCounters.conflicting > 0)
        let findings = result.findings.filter(Self.isFragmentFinding)
        #expect(findings.count == 2, "one per direction (host pair), not one per datagram")
        let finding = try #require(findings.first)
        #expect(finding.kind == .protocolAnomaly && finding.severity == .high)
        let evidence = Dictionary(uniqueKeysWithValues: finding.evidence.map { ($0.0, $0.1) })
        #expect(evidence["policy"] == .string("first_wins"))
        #expect(evidence["evasion"] == .bool(true))
        guard case .string(let kept) = evidence["kept_bytes"], case .string(let other) = evidence["other_bytes"] else {
            Issue.record("both versions are in the evidence")
            return
        }
        #expect(!kept.isEmpty && kept != other)
    }

    /// IPv6 follows RFC 5722: the overlapped datagrams are discarded (so their bytes are missing) and reported.
    @Test func ipv6OverlapDiscardsAndIsReported() throws {
        let path = Paths.samples.appendingPathComponent("epsv-ipv6.pcap").path
        let (link, packets) = try Self.read(path)
        let (result, _) = try Self.analyzeFragmented(
            packets, link: link, Fragmenter(size: 24, family: .ipv6, order: .conflictingDuplicateOfFirst),
            name: "ipv6-overlap.pcap")
        #expect(result.ipCounters.droppedOverlap > 0)
        #expect(result.ipCounters.datagramsReassembled == 0, "every fragmented datagram had an overlap")
        #expect(result.findings.contains { Self.isFragmentFinding($0) && $0.summary.contains("IPv6") })
    }

    @Test func everySampleIsCovered() {
        #expect(Self.samples.count >= 24, "samples/ was not found or lost its captures")
    }

    @Test(arguments: samples)
    func fragmentedAnalysisEqualsTheOriginal(_ file: String) throws {
        let path = Paths.samples.appendingPathComponent(file).path
        let original = try OfflineAnalysis.run(paths: [path])
        let (link, packets) = try Self.read(path)
        let passwords = PasswordPolicy(showPasswords: true)
        for (index, variant) in Self.variants.enumerated() {
            let label = "\(file), \(variant.family == .ipv4 ? "IPv4" : "IPv6") \(variant.size)-byte fragments \(variant.order)"
            let (result, added) = try Self.analyzeFragmented(packets, link: link, variant, name: "\(index)-\(file).pcap")
            let hasFamily = packets.contains { packet in
                guard let start = Fragmenter.ipOffset(packet.data, link: link), start < packet.data.count else { return false }
                return packet.data[start] >> 4 == (variant.family == .ipv4 ? 4 : 6)
            }
            if hasFamily {
                #expect(added > 0, "\(label): nothing was fragmented")
                #expect(result.ipCounters.datagramsReassembled > 0, "\(label)")
            }
            #expect(result.sessions.count == original.sessions.count, "\(label)")
            for (fragmented, whole) in zip(result.sessions, original.sessions) {
                #expect(fragmented.commands.count == whole.commands.count, "\(label) \(whole.id)")
                for (command, expected) in zip(fragmented.commands, whole.commands) {
                    #expect(
                        "\(command.time) \(command.verbText) \(command.argument) \(command.reply?.code ?? 0) \(command.reply?.text ?? "")"
                            == "\(expected.time) \(expected.verbText) \(expected.argument) \(expected.reply?.code ?? 0) \(expected.reply?.text ?? "")",
                        "\(label) \(whole.id)")
                }
                #expect(fragmented.transfers.count == whole.transfers.count, "\(label) \(whole.id)")
                for (transfer, expected) in zip(fragmented.transfers, whole.transfers) {
                    #expect(
                        JSONDocument.transferText(transfer, pretty: true) == JSONDocument.transferText(expected, pretty: true),
                        "\(label) \(whole.id)")
                }
                #expect(
                    JSONDocument.sessionText(fragmented, passwords)
                        == JSONDocument.sessionText(whole, passwords), "\(label) \(whole.id)")
            }
            // Fragments shorter than a TCP header add the tiny-fragment finding (RFC 1858); nothing else changes.
            let fragmentFindings = result.findings.filter(Self.isFragmentFinding)
            let others = result.findings.filter { !Self.isFragmentFinding($0) }
            #expect(others.map(\.kind) == original.findings.map(\.kind), "\(label)")
            #expect(others.map(\.summary) == original.findings.map(\.summary), "\(label)")
            if hasFamily && variant.size < 20 {
                #expect(!fragmentFindings.isEmpty, "\(label): tiny fragments not reported")
                #expect(fragmentFindings.allSatisfy { $0.summary.hasPrefix("tiny first IP fragment") }, "\(label)")
            } else {
                #expect(fragmentFindings.isEmpty, "\(label)")
            }
            #expect(result.ipCounters.conflicting == 0 && result.ipCounters.droppedCapacity == 0, "\(label)")
        }
    }
}
