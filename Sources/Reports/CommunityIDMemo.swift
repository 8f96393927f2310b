#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import CommunityID
import NetworkTypes

/// The Community IDs written lately on this thread, so that a flow's ID is hashed once, not once per output.
///
/// The CSV timeline and the JSON document each write a data connection's ID (its transfer's row, then its entry
/// when the session ends) and a control connection's (the session's cells at its start, its entry at its end):
/// on the control-heavy benchmark (`c01.pcap`) 19 150 SHA-1 hashes on the output thread for 9 575 flows. Under
/// callgrind, which runs the portable SHA-1 (no SHA-NI), an ID cost about 1 930 instructions; with this table the
/// output thread took 11.3 M instructions fewer (355.1 M to 343.8 M). On hardware with SHA-NI the hash is about a
/// tenth of that, so the real saving is a few hundred instructions an ID (a copy of 30 bytes instead).
///
/// A direct-mapped table like `WordingMemo`: the two endpoints, in the order asked, pick the slot and are compared
/// whole, so a wrong ID is impossible and a collision only costs a hash made again. 8 192 slots of 88 bytes (about
/// 720 KB per output thread): the JSON entry comes when the session ends, after the flows of the sessions between;
/// on `c01` 4 096 slots found 70 % of the document's IDs, 8 192 found 83 %, 16 384 (1.4 MB) 90 %. Each output thread
/// keeps its own table (thread-local storage): no lock, no plumbing through the sinks.
final class CommunityIDMemo {
    private static let slotBits = 13
    private static let slotCount = 1 << slotBits

    /// One flow's ID, its key beside its text so that a look-up reads one or two cache lines.
    private struct Slot {
        var filled = false
        var first = Endpoint(address: .v4(0), port: 0)
        var second = Endpoint(address: .v4(0), port: 0)
        /// `CommunityID.v1Length` (30) bytes of text, in place.
        var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    }

    // All trivial values: no deinitialisation.
    private let slots: UnsafeMutablePointer<Slot>

    private init() {
        slots = .allocate(capacity: Self.slotCount)
        slots.initialize(repeating: Slot(), count: Self.slotCount)
    }

    deinit { slots.deallocate() }

    /// Writes `CommunityID.v1(first, second)`'s text at `out` (room for `CommunityID.v1Length` bytes) and returns
    /// its length, as `CommunityID.writeV1(first, second, into:)` does: copied from the table when this thread
    /// wrote the same flow's ID lately, else hashed and kept.
    func write(_ first: Endpoint, _ second: Endpoint, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let slot = slots + Self.slot(first, second)
        if !(slot.pointee.filled && slot.pointee.first == first && slot.pointee.second == second) {
            let length = withUnsafeMutableBytes(of: &slot.pointee.text) {
                CommunityID.writeV1(first, second, into: $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            // Every v1 text has this length; a table that kept another would copy the wrong number of bytes.
            precondition(length == CommunityID.v1Length, "Community ID v1 text of unexpected length")
            slot.pointee.filled = true
            slot.pointee.first = first
            slot.pointee.second = second
        }
        withUnsafeBytes(of: &slot.pointee.text) {
            UnsafeMutableRawPointer(out).copyMemory(from: $0.baseAddress!, byteCount: CommunityID.v1Length)
        }
        return CommunityID.v1Length
    }

    /// `CommunityID.v1(first, second)`, through the table.
    func text(_ first: Endpoint, _ second: Endpoint) -> String {
        String(unsafeUninitializedCapacity: CommunityID.v1Length) { write(first, second, into: $0.baseAddress!) }
    }

    /// The slot of a flow: its ports and addresses mixed, the top bits taken.
    private static func slot(_ first: Endpoint, _ second: Endpoint) -> Int {
        Int(truncatingIfNeeded: mix(mix(0, first), second) >> (64 - UInt64(slotBits)))
    }

    private static func mix(_ mixed: UInt64, _ endpoint: Endpoint) -> UInt64 {
        var value = UInt64(endpoint.port)
        switch endpoint.address {
        case .v4(let address): value ^= UInt64(address) << 16
        case .v6(let high, let low): value ^= high ^ (low << 16) ^ (low >> 32)
        }
        return (mixed ^ value) &* 0x9E37_79B9_7F4A_7C15
    }

    /// This thread's memo, made on first use and released when the thread ends.
    static var current: CommunityIDMemo {
        if let stored = pthread_getspecific(threadKey) {
            return Unmanaged<CommunityIDMemo>.fromOpaque(stored).takeUnretainedValue()
        }
        let memo = CommunityIDMemo()
        pthread_setspecific(threadKey, Unmanaged.passRetained(memo).toOpaque())
        return memo
    }
}

/// The thread-local slot of `CommunityIDMemo.current`; its destructor releases a thread's memo when it exits.
private let threadKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { stored in
        guard let stored else { return }
        Unmanaged<CommunityIDMemo>.fromOpaque(stored).release()
    }
    precondition(status == 0, "pthread_key_create failed")
    return key
}()
