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
    public static func v1(_ first: Endpoint, _ second: Endpoint, protocolNumber: UInt8 = tcp, seed: UInt16 = 0)
        -> String
    {
        let (low, high) = ordered(first, second)
        // At most 2 + 16 + 16 + 2 + 2 + 2 bytes: kept on the stack by a fixed-size tuple would be fussy for a
        // value computed once per connection, so a small array it is.
        var input: [UInt8] = []
        input.reserveCapacity(40)
        append16(seed, to: &input)
        appendAddress(low.address, to: &input)
        appendAddress(high.address, to: &input)
        input.append(protocolNumber)
        input.append(0)
        append16(low.port, to: &input)
        append16(high.port, to: &input)
        let digest = Insecure.SHA1.hash(data: input)
        return "1:" + base64(Array(digest))
    }

    /// The endpoints in the spec's order: the lower address first, or on a tie the lower port.
    static func ordered(_ a: Endpoint, _ b: Endpoint) -> (Endpoint, Endpoint) {
        let aBytes = networkBytes(a.address)
        let bBytes = networkBytes(b.address)
        if aBytes.lexicographicallyPrecedes(bBytes) { return (a, b) }
        if bBytes.lexicographicallyPrecedes(aBytes) { return (b, a) }
        return a.port <= b.port ? (a, b) : (b, a)
    }

    static func networkBytes(_ address: IPAddress) -> [UInt8] {
        var bytes: [UInt8] = []
        appendAddress(address, to: &bytes)
        return bytes
    }

    static func appendAddress(_ address: IPAddress, to bytes: inout [UInt8]) {
        switch address {
        case .v4(let value):
            for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
        case .v6(let high, let low):
            for half in [high, low] {
                for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: half >> UInt64(shift))) }
            }
        }
    }

    static func append16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    /// RFC 4648 base64 with padding; written here so the module needs no Foundation.
    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = UInt32(bytes[index])
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(triple >> 18 & 63)])
            out.append(alphabet[Int(triple >> 12 & 63)])
            out.append(remaining > 1 ? alphabet[Int(triple >> 6 & 63)] : UInt8(ascii: "="))
            out.append(remaining > 2 ? alphabet[Int(triple & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
