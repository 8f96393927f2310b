// Fuzz target: IP reassembly (issue 16). The input is a sequence of records, each either a raw IP packet (decoded,
// and given to the reassembler when it is a fragment) or a fragment described field by field (so the fuzzer
// reaches overlaps, duplicates, contradicting lengths and the limits without having to forge whole headers):
//   0x00 L  <L bytes of a raw IPv4/IPv6 packet>
//   0x01 K O1 O2 L <up to L payload bytes>   K: datagram (low 2 bits; bit 2 IPv6; bit 3 more fragments; bits 4-7
//                                            time step), O: offset in 8-byte units (13 bits), L: payload length
// Small limits make the eviction, byte budget and piece-limit paths reachable in a short input.
#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import IPReassembly
import NetworkTypes
import PacketDecoding

private let limits = IPReassemblyLimits(
    maxDatagrams: 4, maxBufferedBytes: 65_536, maxPiecesPerDatagram: 4, ipv4TimeoutNanoseconds: 15_000,
    ipv6TimeoutNanoseconds: 60_000, retainedBufferBytes: 1024)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let reassembler = IPReassembler(limits: limits)
    let decoder = PacketDecoder(linkType: .raw)
    var time: Int64 = 0
    var index = 0
    var completed: UInt64 = 0

    func deliver(_ datagram: ReassembledDatagram, _ payload: UnsafeRawBufferPointer) {
        completed += 1
        check(payload.count == datagram.length, "payload length \(payload.count) ≠ datagram length \(datagram.length)")
        check(datagram.capturedLength >= 0 && datagram.capturedLength <= datagram.length, "captured beyond length")
        // Touch every byte, so AddressSanitizer sees a read of anything not allocated.
        var sum: UInt8 = 0
        for byte in payload { sum &+= byte }
        _ = sum
        let decoded = decoder.decodeReassembled(
            payload, capturedLength: datagram.capturedLength, key: datagram.key, nextHeader: datagram.nextHeader)
        if case .tcp(let segment) = decoded {
            check(segment.payloadOffset >= 0 && segment.payloadLength >= 0, "negative payload range")
            check(segment.payloadOffset + segment.payloadLength <= payload.count, "segment beyond the datagram")
        }
    }

    while index + 2 <= size {
        let kind = data[index]
        if kind & 1 == 0 {
            let length = min(Int(data[index + 1]), size - index - 2)
            // An exactly-sized copy, so reads past the packet's end are caught.
            let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 1)
            defer { packet.deallocate() }
            if length > 0 {
                packet.copyMemory(from: UnsafeRawBufferPointer(start: data + index + 2, count: length))
            }
            index += 2 + length
            time += 1000
            if case .fragment(let fragment) = decoder.decode(UnsafeRawBufferPointer(packet)) {
                check(fragment.payloadOffset >= 0 && fragment.payloadLength >= 0, "negative fragment range")
                check(fragment.payloadOffset + fragment.payloadLength <= packet.count, "fragment beyond the packet")
                reassembler.process(fragment, in: UnsafeRawBufferPointer(packet), at: Timestamp(nanoseconds: time), deliver)
            }
        } else {
            guard index + 5 <= size else { break }
            let control = data[index + 1]
            let offset = Int(UInt16(data[index + 2]) << 8 | UInt16(data[index + 3])) & 0x1FFF
            let length = Int(data[index + 4])
            let available = min(length, size - index - 5)
            let ipv6 = control & 4 != 0
            let id = UInt32(control & 3)
            let key =
                ipv6
                ? FragmentKey(source: .v6(0x2001_0db8 << 32, 1), destination: .v6(0x2001_0db8 << 32, 2), identification: id, protocolNumber: 0)
                : FragmentKey(source: .v4(0xC000_0201), destination: .v4(0xC633_6402), identification: id, protocolNumber: 6)
            let fragment = IPFragment(
                key: key, offset: offset * 8, moreFragments: control & 8 != 0, nextHeader: 6, payloadOffset: 0,
                payloadLength: available, wirePayloadLength: length)
            let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: available, alignment: 1)
            defer { packet.deallocate() }
            if available > 0 {
                packet.copyMemory(from: UnsafeRawBufferPointer(start: data + index + 5, count: available))
            }
            index += 5 + available
            time += Int64(control >> 4) * 1000
            reassembler.process(fragment, in: UnsafeRawBufferPointer(packet), at: Timestamp(nanoseconds: time), deliver)
            if control >> 4 == 15 { reassembler.expire(now: Timestamp(nanoseconds: time)) }
        }
        check(reassembler.datagramsInFlight <= limits.maxDatagrams, "more datagrams than the limit")
        check(reassembler.bytesInFlight <= limits.maxBufferedBytes, "more bytes than the limit")
        check(reassembler.counters.datagramsReassembled == completed, "completions miscounted")
        _ = reassembler.takeAnomalies()
    }
    reassembler.finish()
    check(reassembler.datagramsInFlight == 0, "datagrams left after finish")
    check(reassembler.bytesInFlight == 0, "bytes left in flight after finish")
    return 0
}
