import NetworkTypes

/// Something below TCP that makes an analyzer and the end host read different bytes (Ptacek and Newsham,
/// "Insertion, Evasion, and Denial of Service", 1998): reported by the IP reassembly stage as a value, judged
/// here. The analysis layer does not import the reassembler, so the facts come over as plain fields.
public struct EvasionObservation: Sendable, Equatable {
    /// What was seen.
    public enum Kind: String, Sendable, CaseIterable {
        /// A first TCP fragment shorter than the TCP header (RFC 1858 section 3.1).
        case tinyFragment = "tiny_fragment"
        /// IPv4 fragments overlapping with different content (RFC 1858 section 3.2).
        case conflictingFragmentOverlap = "conflicting_fragment_overlap"
        /// Overlapping IPv6 fragments (RFC 5722).
        case ipv6FragmentOverlap = "ipv6_fragment_overlap"
    }

    /// What was seen.
    public var kind: Kind
    /// Sender and receiver of the datagram.
    public var source: IPAddress
    /// See `source`.
    public var destination: IPAddress
    /// The datagram's identification.
    public var identification: UInt32
    /// When the offending fragment arrived.
    public var time: Timestamp
    /// The offending fragment: offset and length in the datagram's payload.
    public var offset: Int
    /// See `offset`.
    public var length: Int
    /// Overlaps: where the versions first differ, and up to 32 bytes of each from there.
    public var differenceOffset: Int
    /// The bytes ftpscope kept (IPv4: the first ones).
    public var keptBytes: [UInt8]
    /// The bytes it did not keep.
    public var otherBytes: [UInt8]

    /// Creates an observation.
    public init(
        kind: Kind, source: IPAddress, destination: IPAddress, identification: UInt32, time: Timestamp, offset: Int,
        length: Int, differenceOffset: Int = 0, keptBytes: [UInt8] = [], otherBytes: [UInt8] = []
    ) {
        self.kind = kind
        self.source = source
        self.destination = destination
        self.identification = identification
        self.time = time
        self.offset = offset
        self.length = length
        self.differenceOffset = differenceOffset
        self.keptBytes = keptBytes
        self.otherBytes = otherBytes
    }

    /// The `protocol_anomaly` finding for it. Evidence says `evasion: true`, the policy ftpscope followed and
    /// what the other policies would have done, so a reader can tell what the end host may have seen instead.
    public var finding: Finding {
        var evidence: [(String, EvidenceValue)] = [
            ("evasion", .bool(true)),
            ("fragment_anomaly", .string(kind.rawValue)),
            ("source", .string(source.description)),
            ("destination", .string(destination.description)),
            ("identification", .int(Int64(identification))),
            ("fragment_offset", .int(Int64(offset))),
            ("fragment_length", .int(Int64(length))),
        ]
        let severity: Severity
        switch kind {
        case .tinyFragment:
            severity = .medium
            evidence.append(("policy", .string("reassembled")))
        case .conflictingFragmentOverlap:
            severity = .high
            evidence += [
                ("policy", .string("first_wins")),
                ("difference_offset", .int(Int64(differenceOffset))),
                ("kept_bytes", .string(EvasionObservation.hex(keptBytes))),
                ("other_bytes", .string(EvasionObservation.hex(otherBytes))),
            ]
        case .ipv6FragmentOverlap:
            severity = .medium
            evidence += [
                ("policy", .string("discard_datagram")),
                ("overlap_offset", .int(Int64(differenceOffset))),
                ("held_bytes", .string(EvasionObservation.hex(keptBytes))),
                ("other_bytes", .string(EvasionObservation.hex(otherBytes))),
            ]
        }
        return Finding(
            kind: .protocolAnomaly, severity: severity, session: nil, time: time, facts: .evasion(self),
            evidence: evidence)
    }

    /// Bytes as lower-case hex pairs separated by spaces: wire bytes never reach a report unescaped.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(bytes.count * 3)
        for (index, byte) in bytes.enumerated() {
            if index > 0 { text.append(" ") }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return text
    }
}

extension FTPAnalyzer {
    /// Records an evasion attempt seen below TCP as a `protocol_anomaly` finding (not tied to a session: the
    /// fragments may precede any connection).
    public func noteEvasion(_ observation: EvasionObservation) {
        detect(.evasion(observation))
    }
}
