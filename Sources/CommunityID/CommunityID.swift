import NetworkTypes

/// Community ID v1 flow hashes (https://github.com/corelight/community-id-spec), so that ftpscope's records of a
/// connection join with Zeek's, Suricata's and Arkime's records of the same flow.
///
/// The hash is SHA-1 over: the 16-bit seed, the two addresses, the IP protocol number, one zero byte of padding and
/// the two ports, all in network byte order, with the endpoints ordered so that both directions of a connection
/// give the same value (the smaller address first; on equal addresses the smaller port first). The result is
/// `1:` followed by the digest in standard base64 with padding.
public enum CommunityID {
    /// IANA protocol number of TCP, the only transport ftpscope analyses.
    public static let tcp: UInt8 = 6

    /// The Community ID v1 of the flow between `first` and `second` (either direction gives the same value).
    public static func v1(_ first: Endpoint, _ second: Endpoint, protocolNumber: UInt8 = tcp, seed: UInt16 = 0)
        -> String
    {
        String(unsafeUninitializedCapacity: v1Length) { out in
            writeV1(first, second, protocolNumber: protocolNumber, seed: seed, into: out.baseAddress!)
        }
    }

    /// Bytes of a v1 ID's text: `1:` and 28 characters of base64 for the 20-byte digest (the last of them the one
    /// `=` of padding).
    public static let v1Length = 30

    /// Writes `v1`'s text at `out` (room for `v1Length` bytes) and returns `v1Length`: the outputs write IDs into
    /// their byte buffers without a String, whose 30 bytes do not fit a small string (a heap allocation per ID,
    /// 21.7 k of them on the output thread for `c01.pcap`).
    ///
    /// Built in one 64-byte stack block: the message (at most 2 + 16 + 16 + 1 + 1 + 2 + 2 = 40 bytes), hashed in
    /// place by a single SHA-1 compression, its digest base64-encoded straight into `out`. swift-crypto's SHA-1
    /// cost about 3 100 instructions an ID, this about 1 750, of which 1 500 are the hash.
    public static func writeV1(
        _ first: Endpoint, _ second: Endpoint, protocolNumber: UInt8 = tcp, seed: UInt16 = 0,
        into out: UnsafeMutablePointer<UInt8>
    ) -> Int {
        let (low, high) = ordered(first, second)
        return withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { buffer in
            let block = buffer.baseAddress!
            var count = 0
            func append16(_ value: UInt16) {
                block.storeBytes(of: value.bigEndian, toByteOffset: count, as: UInt16.self)
                count += 2
            }
            func append(_ address: IPAddress) {
                switch address {
                case .v4(let value):
                    block.storeBytes(of: value.bigEndian, toByteOffset: count, as: UInt32.self)
                    count += 4
                case .v6(let high, let low):
                    block.storeBytes(of: high.bigEndian, toByteOffset: count, as: UInt64.self)
                    block.storeBytes(of: low.bigEndian, toByteOffset: count + 8, as: UInt64.self)
                    count += 16
                }
            }
            // The spec's order: seed, source address, destination address, protocol, one zero byte of padding,
            // source port, destination port; all in network byte order.
            append16(seed)
            append(low.address)
            append(high.address)
            block.storeBytes(of: protocolNumber, toByteOffset: count, as: UInt8.self)
            block.storeBytes(of: 0, toByteOffset: count + 1, as: UInt8.self)
            count += 2
            append16(low.port)
            append16(high.port)
            SingleBlockSHA1.hash(block, length: count)
            out[0] = UInt8(ascii: "1")
            out[1] = UInt8(ascii: ":")
            let digest = UnsafeRawBufferPointer(start: block, count: SingleBlockSHA1.digestLength)
            return 2 + writeBase64(digest, into: out + 2)
        }
    }

    /// The endpoints in the spec's order: the lower address first (compared as network-order bytes), or on a tie
    /// the lower port.
    static func ordered(_ a: Endpoint, _ b: Endpoint) -> (Endpoint, Endpoint) {
        if precedes(a.address, b.address) { return (a, b) }
        if precedes(b.address, a.address) { return (b, a) }
        return a.port <= b.port ? (a, b) : (b, a)
    }

    /// True when `a`'s network-order bytes sort before `b`'s (a shorter prefix first).
    static func precedes(_ a: IPAddress, _ b: IPAddress) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): return x < y
        case (.v6(let xh, let xl), .v6(let yh, let yl)): return xh < yh || (xh == yh && xl < yl)
        // Mixed families: the IPv4 address's four bytes against the IPv6 address's first four.
        case (.v4(let x), .v6(let yh, _)): return x <= UInt32(truncatingIfNeeded: yh >> 32)
        case (.v6(let xh, _), .v4(let y)): return UInt32(truncatingIfNeeded: xh >> 32) < y
        }
    }

    /// RFC 4648 base64 with padding; written here so the module needs no Foundation.
    static func base64(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { input in
            String(unsafeUninitializedCapacity: (input.count + 2) / 3 * 4) { writeBase64(input, into: $0.baseAddress!) }
        }
    }

    /// Writes `bytes` as RFC 4648 base64 with padding at `out` ((count + 2) / 3 * 4 bytes) and returns the length.
    ///
    /// Whole 3-byte groups first, then the one short group (RFC 4648 section 4: one byte gives two characters and
    /// `==`, two give three and `=`), so the loop has no per-group test of what is left.
    static func writeBase64(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let letters = alphabet.utf8Start
        var length = 0
        var index = 0
        while bytes.count - index >= 3 {
            let triple = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out[length] = letters[Int(triple >> 18 & 63)]
            out[length + 1] = letters[Int(triple >> 12 & 63)]
            out[length + 2] = letters[Int(triple >> 6 & 63)]
            out[length + 3] = letters[Int(triple & 63)]
            length += 4
            index += 3
        }
        let remaining = bytes.count - index
        if remaining > 0 {
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let pair = UInt32(bytes[index]) << 16 | b1 << 8
            out[length] = letters[Int(pair >> 18 & 63)]
            out[length + 1] = letters[Int(pair >> 12 & 63)]
            out[length + 2] = remaining > 1 ? letters[Int(pair >> 6 & 63)] : UInt8(ascii: "=")
            out[length + 3] = UInt8(ascii: "=")
            length += 4
        }
        return length
    }
}
