import NetworkTypes
import PacketDecoding
import TestSupport

/// Decodes a frame held in an array (the buffer is exactly the array's bytes, so any over-read is out of bounds).
func decode(_ frame: [UInt8], _ link: LinkType) -> DecodedPacket {
    frame.withUnsafeBytes { PacketDecoder(linkType: link).decode($0) }
}

/// The TCP segment, if the result is one.
func segment(_ result: DecodedPacket) -> TCPSegment? {
    if case .tcp(let segment) = result { return segment }
    return nil
}

/// The ICMP record, if the result is one.
func unreachable(_ result: DecodedPacket) -> ICMPUnreachable? {
    if case .icmpUnreachable(let record) = result { return record }
    return nil
}

/// The payload bytes a segment points at.
func payload(_ segment: TCPSegment, in frame: [UInt8]) -> [UInt8] {
    Array(frame[segment.payloadOffset..<segment.payloadOffset + segment.payloadLength])
}

/// True when a result's ranges lie inside a buffer of `count` bytes and agree with each other.
func rangesAreSane(_ result: DecodedPacket, count: Int) -> Bool {
    guard case .tcp(let segment) = result else { return true }
    return segment.payloadOffset >= 0 && segment.payloadLength >= 0
        && segment.payloadOffset <= count && segment.payloadLength <= count - segment.payloadOffset
        && segment.wirePayloadLength >= segment.payloadLength
}

let client4 = Endpoint(address: .v4(192, 0, 2, 10), port: 51234)
let server4 = Endpoint(address: .v4(198, 51, 100, 20), port: 21)
let client6 = Endpoint(address: IPAddress("2001:db8::10")!, port: 51234)
let server6 = Endpoint(address: IPAddress("2001:db8:1::20")!, port: 21)


let allLinkTypes: [LinkType] = [.null, .ethernet, .raw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2]
