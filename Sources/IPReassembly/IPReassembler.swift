import NetworkTypes
import PacketDecoding

/// A datagram put back together from its fragments, as handed to `IPReassembler.process`'s callback with its
/// payload bytes.
public struct ReassembledDatagram: Sendable, Equatable {
    /// The datagram's addresses and identification.
    public var key: FragmentKey
    /// The first fragment's protocol (IPv4) or next header (IPv6): what `PacketDecoder.decodeReassembled` starts at.
    public var nextHeader: UInt8
    /// Payload length.
    public var length: Int
    /// Payload bytes captured (less than `length` when the snap length cut a fragment).
    public var capturedLength: Int
    /// Fragments it was made of (duplicates included).
    public var fragments: Int
}

/// IP reassembly (RFC 791 section 3.2, RFC 8200 section 4.5): fragments in, whole datagrams out, between the
/// decoder and TCP. Unfragmented packets never come here.
///
/// Overlap policy, stated because hosts differ and an attacker chooses the one the analyzer does not follow:
/// - IPv6: RFC 5722 — a fragment overlapping another discards the whole datagram, fragments still to come
///   included; exact duplicates (every byte already held, identical) are ignored, as RFC 5722's erratum 3089 says.
/// - IPv4: first wins — bytes already held are kept and a later fragment only fills what is still missing. This
///   is the "first"/BSD behaviour of Novak's target-based taxonomy (Windows, the BSDs, Snort's and Suricata's
///   default): it never lets a later fragment rewrite what was already seen (the RFC 1858 section 3.2 attack
///   rewrites the TCP header that way). Linux since 4.19 instead discards IPv4 datagrams with overlaps as RFC
///   5722 does for IPv6; either way the conflict is reported (`anomalies`) with both versions, so a reader
///   knows the end host may have seen the other one — or nothing.
///
/// Costs: a fragment is one table lookup and one copy into its datagram's buffer; buffers, piece lists and table
/// entries are reused, so steady fragmented traffic does not allocate per fragment. Timeouts and every limit are
/// in `IPReassemblyLimits`; what they turn away is counted in `counters`.
public final class IPReassembler {
    /// The bounds in force.
    public let limits: IPReassemblyLimits
    /// What was done so far.
    public private(set) var counters = IPReassemblyCounters()
    /// Anomalies not yet taken (`takeAnomalies`); at most `maxPendingAnomalies`, more are counted in
    /// `anomaliesNotReported`.
    public private(set) var anomalies: [IPFragmentAnomaly] = []
    /// Anomalies not reported: repeats between a pair of hosts already reported for that kind, more than
    /// `maxReportedPairs` pairs, or more than `maxPendingAnomalies` between two `takeAnomalies` calls. The
    /// counters (`tiny`, `conflicting`, …) still count every one.
    public private(set) var anomaliesNotReported: UInt64 = 0
    /// Most anomalies kept between two `takeAnomalies` calls.
    public static let maxPendingAnomalies = 64
    /// Host pairs (per kind) whose first anomaly is reported: a flood of forged fragments makes one finding per
    /// pair and kind, not one per datagram.
    public static let maxReportedPairs = 1024
    private var reportedPairs: Set<ReportedPair> = []

    private struct ReportedPair: Hashable {
        var source: IPAddress
        var destination: IPAddress
        var kind: IPFragmentAnomalyKind
    }

    /// True when `takeAnomalies` has something to give (cheap enough to ask after every fragment).
    @inline(__always) public var hasAnomalies: Bool { !anomalies.isEmpty }

    private var table: [FragmentKey: Int32] = [:]
    private var slots: [DatagramSlot] = []
    private var freeSlots: [Int32] = []
    private var pieces: PieceArena
    /// Age lists, one per IP version (index 0 IPv4, 1 IPv6), since their timeouts differ.
    private var oldest: [Int32] = [-1, -1]
    private var newest: [Int32] = [-1, -1]
    /// Capacity of the buffers of datagrams in flight.
    private var bufferedBytes = 0

    /// Creates a reassembler.
    public init(limits: IPReassemblyLimits = IPReassemblyLimits()) {
        self.limits = limits
        pieces = PieceArena(piecesPerSlot: limits.maxPiecesPerDatagram)
        table.reserveCapacity(limits.maxDatagrams)
        freeSlots.reserveCapacity(limits.maxDatagrams)
    }

    deinit {
        for slot in slots { slot.storage?.deallocate() }
    }

    /// Datagrams being reassembled (or held as discarded) now.
    public var datagramsInFlight: Int { table.count }

    /// Payload bytes reserved by datagrams in flight.
    public var bytesInFlight: Int { bufferedBytes }

    /// Takes one fragment (`fragment` indexes into `packet`, borrowed for the call). When it completes its
    /// datagram, `complete` is called with the datagram and its payload, valid only during the call.
    public func process(
        _ fragment: IPFragment, in packet: UnsafeRawBufferPointer, at time: Timestamp,
        _ complete: (ReassembledDatagram, UnsafeRawBufferPointer) -> Void
    ) {
        counters.fragments += 1
        let start = fragment.offset
        let wire = fragment.wirePayloadLength
        let captured = min(fragment.payloadLength, wire)
        // A datagram's payload cannot pass 65 535 bytes (the length fields are 16 bits); more is the "ping of
        // death" and no host accepts it.
        guard start >= 0, wire >= 0, captured >= 0, start + wire <= 65_535, fragment.payloadOffset >= 0,
            fragment.payloadOffset + captured <= packet.count
        else {
            counters.droppedMalformed += 1
            return
        }
        let end = start + wire
        guard let slot = slot(for: fragment.key, at: time) else {
            counters.droppedCapacity += 1
            return
        }
        slots[Int(slot)].fragments += 1
        if slots[Int(slot)].discarded {
            counters.droppedOverlap += 1
            return
        }
        if start == 0 {
            slots[Int(slot)].nextHeader = fragment.nextHeader
            // RFC 1858 section 3.1: a first TCP fragment shorter than a TCP header hides the ports and flags from
            // whoever looks at first fragments only.
            if fragment.nextHeader == 6 && wire < 20 && fragment.moreFragments {
                counters.tiny += 1
                report(slot, IPFragmentAnomaly(kind: .tinyFragment, key: fragment.key, time: time, offset: 0, length: wire))
            }
        }
        // The last fragment fixes the length; a length it contradicts makes the datagram impossible, and hosts
        // drop it (Linux's ip_frag_queue does the same).
        let total = slots[Int(slot)].totalLength
        let count = slots[Int(slot)].pieceCount
        let highest = count > 0 ? pieces.end(slot, count - 1) : 0
        if !fragment.moreFragments {
            if (total >= 0 && total != end) || highest > end {
                drop(slot, malformed: true)
                return
            }
            slots[Int(slot)].totalLength = end
        } else if (total >= 0 && end > total) || (wire % 8 != 0) {
            // RFC 791: every fragment but the last carries a multiple of 8 bytes.
            drop(slot, malformed: true)
            return
        }
        if wire > 0 {
            guard reserve(slot, end) else {
                drop(slot, malformed: false)
                return
            }
            // An empty packet buffer means nothing was captured (`captured` is 0 then): nothing is read from it.
            guard let held = slots[Int(slot)].storage else { return }
            let source = packet.baseAddress?.advanced(by: fragment.payloadOffset) ?? UnsafeRawPointer(held)
            if !place(slot, fragment: fragment, source: source, start: start, end: end, captured: captured, at: time) {
                return
            }
            guard let newCount = pieces.insert(slot, count: count, start: start, end: end) else {
                drop(slot, malformed: false)
                return
            }
            slots[Int(slot)].pieceCount = newCount
            if captured < wire { slots[Int(slot)].capturedEnd = min(slots[Int(slot)].capturedEnd, start + captured) }
        }
        let final = slots[Int(slot)]
        guard final.totalLength >= 0,
            final.totalLength == 0 || (final.pieceCount == 1 && pieces.start(slot, 0) == 0
                && pieces.end(slot, 0) == final.totalLength)
        else { return }
        counters.datagramsReassembled += 1
        let datagram = ReassembledDatagram(
            key: final.key, nextHeader: final.nextHeader, length: final.totalLength,
            capturedLength: min(final.capturedEnd, final.totalLength), fragments: final.fragments)
        complete(datagram, UnsafeRawBufferPointer(start: final.storage, count: final.totalLength))
        release(slot)
    }

    /// Gives up datagrams whose first fragment is older than their timeout; call about once a second.
    public func expire(now: Timestamp) {
        for family in 0..<2 {
            let timeout = family == 0 ? limits.ipv4TimeoutNanoseconds : limits.ipv6TimeoutNanoseconds
            while oldest[family] >= 0 {
                let slot = oldest[family]
                guard slots[Int(slot)].firstTime.adding(nanoseconds: timeout) <= now else { break }
                if !slots[Int(slot)].discarded {
                    counters.droppedTimeout += UInt64(slots[Int(slot)].fragments)
                    counters.datagramsDropped += 1
                }
                release(slot)
            }
        }
    }

    /// The capture ended: what is still incomplete is given up (counted as timed out: no more fragments come).
    public func finish() { expire(now: Timestamp(nanoseconds: .max)) }

    /// Returns the anomalies recorded since the last call and forgets them.
    public func takeAnomalies() -> [IPFragmentAnomaly] {
        let taken = anomalies
        anomalies.removeAll(keepingCapacity: true)
        return taken
    }

    // MARK: - Placing bytes

    /// Compares the fragment with the bytes already held where they overlap and copies the rest in, following the
    /// overlap policy. Returns false when the datagram was discarded (IPv6 overlap) or the fragment ignored.
    private func place(
        _ slot: Int32, fragment: IPFragment, source: UnsafeRawPointer, start: Int, end: Int, captured: Int,
        at time: Timestamp
    ) -> Bool {
        let count = slots[Int(slot)].pieceCount
        guard let storage = slots[Int(slot)].storage else { return false }
        let heldCapturedEnd = slots[Int(slot)].capturedEnd
        var overlap = 0
        var difference = -1
        for index in 0..<count {
            let low = max(start, pieces.start(slot, index))
            let high = min(end, pieces.end(slot, index))
            guard low < high else { continue }
            overlap += high - low
            // Only bytes both versions captured can be compared.
            let comparable = min(high, start + captured, heldCapturedEnd)
            if difference < 0 && low < comparable {
                let held = storage.advanced(by: low).assumingMemoryBound(to: UInt8.self)
                let new = source.advanced(by: low - start).assumingMemoryBound(to: UInt8.self)
                for byte in 0..<(comparable - low) where held[byte] != new[byte] {
                    difference = low + byte
                    break
                }
            }
        }
        if overlap == 0 {
            storage.advanced(by: start).copyMemory(from: source, byteCount: captured)
            return true
        }
        if overlap == end - start && difference < 0 {
            counters.duplicates += 1
            return false
        }
        counters.overlapping += 1
        if difference >= 0 { counters.conflicting += 1 }
        if fragment.key.isIPv6 {
            // RFC 5722 section 4: the whole datagram goes, and so do its fragments still to come.
            report(slot, anomaly(.ipv6Overlap, slot, fragment, source, start, end, max(difference, overlapStart(slot, start, end)), time))
            counters.droppedOverlap += UInt64(slots[Int(slot)].fragments)
            counters.datagramsDropped += 1
            discard(slot)
            return false
        }
        if difference >= 0 {
            report(slot, anomaly(.conflictingOverlap, slot, fragment, source, start, end, difference, time))
        }
        // First wins: copy only the runs of the fragment that no piece covers yet.
        var cursor = start
        var index = 0
        while cursor < end {
            while index < count && pieces.end(slot, index) <= cursor { index += 1 }
            let gapEnd = index < count ? min(end, pieces.start(slot, index)) : end
            if gapEnd > cursor {
                let copyEnd = min(gapEnd, start + captured)
                if copyEnd > cursor {
                    storage.advanced(by: cursor).copyMemory(from: source.advanced(by: cursor - start), byteCount: copyEnd - cursor)
                }
                cursor = gapEnd
            }
            if index < count && cursor < end { cursor = max(cursor, pieces.end(slot, index)) }
        }
        return true
    }

    private func overlapStart(_ slot: Int32, _ start: Int, _ end: Int) -> Int {
        for index in 0..<slots[Int(slot)].pieceCount {
            let low = max(start, pieces.start(slot, index))
            if low < min(end, pieces.end(slot, index)) { return low }
        }
        return start
    }

    private func anomaly(
        _ kind: IPFragmentAnomalyKind, _ slot: Int32, _ fragment: IPFragment, _ source: UnsafeRawPointer, _ start: Int,
        _ end: Int, _ at: Int, _ time: Timestamp
    ) -> IPFragmentAnomaly {
        var result = IPFragmentAnomaly(
            kind: kind, key: fragment.key, time: time, offset: start, length: end - start, differenceOffset: at)
        // The evidence bytes are copied only for an anomaly that will be reported.
        let pair = ReportedPair(source: fragment.key.source, destination: fragment.key.destination, kind: kind)
        guard slots[Int(slot)].reported & kind.bit == 0, anomalies.count < IPReassembler.maxPendingAnomalies,
            reportedPairs.count < IPReassembler.maxReportedPairs, !reportedPairs.contains(pair),
            let storage = slots[Int(slot)].storage
        else { return result }
        let length = max(0, min(32, end - at, min(fragment.payloadLength, end - start) - (at - start)))
        let held = UnsafeRawBufferPointer(start: storage.advanced(by: at), count: length)
        let new = UnsafeRawBufferPointer(start: source.advanced(by: at - start), count: length)
        result.keptBytes = Array(held)
        result.otherBytes = Array(new)
        return result
    }

    private func report(_ slot: Int32, _ anomaly: IPFragmentAnomaly) {
        guard slots[Int(slot)].reported & anomaly.kind.bit == 0 else { return }
        slots[Int(slot)].reported |= anomaly.kind.bit
        let pair = ReportedPair(source: anomaly.key.source, destination: anomaly.key.destination, kind: anomaly.kind)
        guard anomalies.count < IPReassembler.maxPendingAnomalies, reportedPairs.count < IPReassembler.maxReportedPairs,
            reportedPairs.insert(pair).inserted
        else {
            anomaliesNotReported += 1
            return
        }
        anomalies.append(anomaly)
    }

    // MARK: - Slots, buffers and the age lists

    /// The slot of a datagram, made (evicting the oldest when the table is full) when it is new.
    private func slot(for key: FragmentKey, at time: Timestamp) -> Int32? {
        if let slot = table[key] { return slot }
        if table.count >= limits.maxDatagrams { guard evictOldest(sparing: -1) else { return nil } }
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = Int32(slots.count)
            slots.append(DatagramSlot(key: key, firstTime: time))
            pieces.addSlot()
        }
        slots[Int(slot)].reset(key: key, firstTime: time)
        // A reused slot brings the buffer it kept back into the count of bytes in flight, unless that would pass
        // the budget (other datagrams grew meanwhile): then the kept buffer is freed instead.
        if bufferedBytes + slots[Int(slot)].capacity > limits.maxBufferedBytes {
            slots[Int(slot)].storage?.deallocate()
            slots[Int(slot)].storage = nil
            slots[Int(slot)].capacity = 0
        }
        bufferedBytes += slots[Int(slot)].capacity
        table[key] = slot
        let family = key.isIPv6 ? 1 : 0
        slots[Int(slot)].previous = newest[family]
        if newest[family] >= 0 { slots[Int(newest[family])].next = slot } else { oldest[family] = slot }
        newest[family] = slot
        return slot
    }

    /// Makes the slot's buffer hold `end` bytes within the byte budget, evicting older datagrams if need be.
    private func reserve(_ slot: Int32, _ end: Int) -> Bool {
        let capacity = slots[Int(slot)].capacity
        if capacity >= end { return true }
        let wanted = min(max(end, capacity * 2, 1024), 65_536)
        while bufferedBytes + wanted - capacity > limits.maxBufferedBytes {
            guard evictOldest(sparing: slot) else { return false }
        }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: wanted, alignment: 8)
        if let old = slots[Int(slot)].storage {
            storage.copyMemory(from: old, byteCount: capacity)
            old.deallocate()
        }
        slots[Int(slot)].storage = storage
        slots[Int(slot)].capacity = wanted
        bufferedBytes += wanted - capacity
        return true
    }

    /// Gives up the oldest datagram in flight (of either version) other than `sparing`; false if there is none.
    private func evictOldest(sparing: Int32) -> Bool {
        var candidate: Int32 = -1
        for family in 0..<2 {
            var slot = oldest[family]
            if slot == sparing && slot >= 0 { slot = slots[Int(slot)].next }
            guard slot >= 0 else { continue }
            if candidate < 0 || slots[Int(slot)].firstTime < slots[Int(candidate)].firstTime { candidate = slot }
        }
        guard candidate >= 0 else { return false }
        if !slots[Int(candidate)].discarded {
            counters.droppedCapacity += UInt64(slots[Int(candidate)].fragments)
            counters.datagramsDropped += 1
        }
        release(candidate)
        return true
    }

    /// Gives up a datagram now (a limit or a contradiction), counting its fragments.
    private func drop(_ slot: Int32, malformed: Bool) {
        let fragments = UInt64(slots[Int(slot)].fragments)
        if malformed { counters.droppedMalformed += fragments } else { counters.droppedCapacity += fragments }
        counters.datagramsDropped += 1
        release(slot)
    }

    /// Keeps an IPv6 datagram's key in the table without its bytes, so its later fragments are dropped.
    private func discard(_ slot: Int32) {
        slots[Int(slot)].discarded = true
        slots[Int(slot)].pieceCount = 0
        releaseBuffer(slot)
    }

    private func releaseBuffer(_ slot: Int32) {
        let capacity = slots[Int(slot)].capacity
        bufferedBytes -= capacity
        // A kept buffer is not counted as in flight while its slot is free; the memory bound counts it apart.
        if capacity > limits.retainedBufferBytes {
            slots[Int(slot)].storage?.deallocate()
            slots[Int(slot)].storage = nil
            slots[Int(slot)].capacity = 0
        }
    }

    /// Returns a slot to the free list.
    private func release(_ slot: Int32) {
        let entry = slots[Int(slot)]
        guard entry.live else { return }
        if !entry.discarded { releaseBuffer(slot) }
        table.removeValue(forKey: entry.key)
        let family = entry.key.isIPv6 ? 1 : 0
        if entry.previous >= 0 { slots[Int(entry.previous)].next = entry.next } else { oldest[family] = entry.next }
        if entry.next >= 0 { slots[Int(entry.next)].previous = entry.previous } else { newest[family] = entry.previous }
        slots[Int(slot)].live = false
        slots[Int(slot)].previous = -1
        slots[Int(slot)].next = -1
        freeSlots.append(slot)
    }
}
