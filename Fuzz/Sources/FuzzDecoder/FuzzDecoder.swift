// Fuzz target: the packet decoder. The first byte picks the link type, the rest is the packet.
#if canImport(Glibc)
import Glibc
#endif
import NetworkTypes
import PacketDecoding
import FuzzSupport

/// Link types tried; the last entry is unsupported, so that path is fuzzed too.
private let linkTypes: [LinkType] = [
    .null, .ethernet, .raw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2, .unsupported(147),
]

/// libFuzzer's entry point: decodes one packet and checks that the segment it reports lies inside the packet.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let linkType = linkTypes[Int(data[0]) % linkTypes.count]
    // Copy into an exactly-sized allocation so AddressSanitizer catches any read past the packet's end.
    let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: size - 1, alignment: 1)
    defer { packet.deallocate() }
    if size > 1 { packet.copyMemory(from: UnsafeRawBufferPointer(start: data + 1, count: size - 1)) }
    var counters = DecodeCounters()
    let decoded = PacketDecoder(linkType: linkType).decode(UnsafeRawBufferPointer(packet), counting: &counters)
    if case .tcp(let segment) = decoded {
        // The pipeline slices the payload out of the packet with these; they must stay in bounds.
        check(segment.payloadOffset >= 0 && segment.payloadLength >= 0, "negative payload range")
        check(segment.payloadOffset + segment.payloadLength <= packet.count, "payload beyond the packet")
        check(segment.wirePayloadLength >= segment.payloadLength, "wire length below captured length")
    }
    return 0
}
