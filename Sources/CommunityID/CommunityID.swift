import Crypto
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
    ///
    /// Hashed from a stack buffer and encoded straight into the result: reports ask for one per session and per
    /// data connection, and the arrays this was once made of cost ten thousand instructions an ID.
    public static func v1(_ first: Endpoint, _ second: Endpoint, protocolNumber: UInt8 = tcp, seed: UInt16 = 0)
        -> String
    {
        let (low, high) = ordered(first, second)
        // At most 2 + 16 + 16 + 2 + 2 + 2 bytes.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buffer in
            let base = buffer.baseAddress!
            var count = 0
            func append16(_ value: UInt16) {
                base[count] = UInt8(value >> 8)
                base[count + 1] = UInt8(truncatingIfNeeded: value)
                count += 2
            }
            func append64(_ value: UInt64) {
                for shift in stride(from: 56, through: 0, by: -8) {
                    base[count] = UInt8(truncatingIfNeeded: value >> UInt64(shift))
                    count += 1
                }
            }
            func append(_ address: IPAddress) {
                switch address {
                case .v4(let value):
                    for shift in stride(from: 24, through: 0, by: -8) {
                        base[count] = UInt8(truncatingIfNeeded: value >> UInt32(shift))
                        count += 1
                    }
                case .v6(let high, let low):
                    append64(high)
                    append64(low)
                }
            }
            append16(seed)
            append(low.address)
            append(high.address)
            base[count] = protocolNumber
            base[count + 1] = 0
            count += 2
            append16(low.port)
            append16(high.port)
            var hasher = Insecure.SHA1()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: base, count: count))
            return hasher.finalize().withUnsafeBytes { digest in
                // "1:" and 28 characters of base64 for the 20-byte digest.
                String(unsafeUninitializedCapacity: 2 + 28) { out in
                    out[0] = UInt8(ascii: "1")
                    out[1] = UInt8(ascii: ":")
                    return 2 + writeBase64(digest, into: out.baseAddress! + 2)
                }
            }
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
    static func writeBase64(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let letters = alphabet.utf8Start
        var length = 0
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = UInt32(bytes[index])
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out[length] = letters[Int(triple >> 18 & 63)]
            out[length + 1] = letters[Int(triple >> 12 & 63)]
            out[length + 2] = remaining > 1 ? letters[Int(triple >> 6 & 63)] : UInt8(ascii: "=")
            out[length + 3] = remaining > 2 ? letters[Int(triple & 63)] : UInt8(ascii: "=")
            length += 4
            index += 3
        }
        return length
    }
}
