import NetworkTypes
import PacketDecoding

/// A slot of `FlowTable`: the flow's hash and the connection, whose first cache line holds the flow's endpoints
/// (`TCPConnectionFields.packedOriginator`). Sixteen bytes, four to a cache line, where the endpoints made a slot
/// 64: the slot array is a quarter the size, and the endpoints are compared in the line of the connection the
/// segment goes on to use anyway. Measured neutral in time on the control-heavy benchmark: the slot's load had
/// been most of `TCPReassembler.process`'s stalls, and the connection's load, next in line, took them over
/// (docs/threads.md, "Ninth session").
struct FlowSlot {
    var hash: UInt64
    /// Retained by the table while the slot holds it; nil for an empty slot.
    var connection: Unmanaged<TCPConnection>?
}

/// The reassembler's connections by flow: open addressing with linear probing over fixed-size keys, looked up in
/// either direction at once.
///
/// Why not `[FlowKey: TCPConnection]`: every segment looks its connection up, and the dictionary hashes the key with
/// SipHash, compares `IPAddress` enums, needs the key in canonical order first and hands back a retained reference.
/// Here the hash is `FlowHash` (PacketDecoding), symmetric, so the segment's own (source, destination) finds the
/// slot, and computed with the segment by the decoder (offline on the reader thread, `TCPSegment.flowHash`); the
/// slot's order (originator first) tells the direction; and the table owns one reference per connection, lent
/// without retain/release (`TCPReassembler.process`). Deletion shifts the probe chain back (no tombstones), so
/// lookups stay short however many connections come and go. At most half full. Where the slot order could show
/// (`forEach` at the end of input), the caller sorts by serial.
final class FlowTable {
    private(set) var slots: UnsafeMutablePointer<FlowSlot>
    private(set) var capacity: Int
    private var shift: UInt64
    /// Connections held.
    private(set) var count = 0

    init(capacity wanted: Int) {
        var size = 16
        while size < wanted * 2 { size <<= 1 }
        capacity = size
        shift = UInt64(64 - size.trailingZeroBitCount)
        slots = FlowTable.allocate(size)
    }

    deinit {
        removeAll()
        slots.deallocate()
    }

    private static func allocate(_ size: Int) -> UnsafeMutablePointer<FlowSlot> {
        let pointer = UnsafeMutablePointer<FlowSlot>.allocate(capacity: size)
        pointer.initialize(repeating: FlowSlot(hash: 0, connection: nil), count: size)
        return pointer
    }

    /// The slot holding the connection between `source` and `destination` (either way round), whose
    /// `FlowHash` is `wanted`, or -1; `forward` is true when `source` is the originator.
    @inline(__always) func find(
        _ wanted: UInt64, _ source: PackedEndpoint, _ destination: PackedEndpoint, forward: inout Bool
    ) -> Int {
        let mask = capacity - 1
        var index = Int(truncatingIfNeeded: wanted >> shift)
        while true {
            let slot = slots[index]
            guard let held = slot.connection else { return -1 }
            if slot.hash == wanted {
                // The hash is symmetric: the flow is this connection's either way round, or another's that collides.
                let match = held._withUnsafeGuaranteedRef { connection -> Int8 in
                    let originator = connection.packedOriginator
                    let responder = connection.packedResponder
                    if originator == source && responder == destination { return 1 }
                    if originator == destination && responder == source { return -1 }
                    return 0
                }
                if match != 0 {
                    forward = match > 0
                    return index
                }
            }
            index = (index + 1) & mask
        }
    }

    /// The connection in a slot `find` returned, not retained: valid while the table holds it.
    @inline(__always) func connection(at index: Int) -> Unmanaged<TCPConnection> {
        slots[index].connection.unsafelyUnwrapped
    }

    /// The connection of a flow key (either direction), if held.
    func connection(for flow: FlowKey) -> TCPConnection? {
        var forward = false
        let source = PackedEndpoint(flow.source)
        let destination = PackedEndpoint(flow.destination)
        let index = find(FlowHash.of(source, destination), source, destination, forward: &forward)
        return index < 0 ? nil : slots[index].connection?.takeUnretainedValue()
    }

    /// Adds a connection, whose flow's `FlowHash` is `hash` (the segment's that made it); its flow must not be held
    /// already.
    func insert(_ connection: TCPConnection, hash: UInt64) {
        assert(hash == FlowHash.of(connection.packedOriginator, connection.packedResponder))
        if (count + 1) * 2 > capacity { grow() }
        place(FlowSlot(hash: hash, connection: Unmanaged.passRetained(connection)))
        count += 1
    }

    private func place(_ slot: FlowSlot) {
        let mask = capacity - 1
        var index = Int(truncatingIfNeeded: slot.hash >> shift)
        while slots[index].connection != nil { index = (index + 1) & mask }
        slots[index] = slot
    }

    private func grow() {
        let old = slots
        let oldCapacity = capacity
        capacity *= 2
        shift -= 1
        slots = FlowTable.allocate(capacity)
        for index in 0..<oldCapacity where old[index].connection != nil { place(old[index]) }
        old.deallocate()
    }

    /// Removes `connection` if the table holds it (and not another connection of the same flow).
    func remove(_ connection: TCPConnection) {
        var forward = false
        let originator = connection.packedOriginator
        let responder = connection.packedResponder
        let index = find(FlowHash.of(originator, responder), originator, responder, forward: &forward)
        guard index >= 0, slots[index].connection?.toOpaque() == Unmanaged.passUnretained(connection).toOpaque() else {
            return
        }
        let held = slots[index].connection
        // Backward shift: each later entry of the probe chain moves into the hole unless the hole lies before its
        // home slot, so every entry stays reachable from its home without tombstones.
        let mask = capacity - 1
        var hole = index
        var next = (index + 1) & mask
        while slots[next].connection != nil {
            let home = Int(truncatingIfNeeded: slots[next].hash >> shift)
            if (next - home) & mask >= (next - hole) & mask {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole].connection = nil
        count -= 1
        held?.release()
    }

    /// Every connection held, in slot order.
    func forEach(_ body: (TCPConnection) -> Void) {
        for index in 0..<capacity {
            if let held = slots[index].connection { body(held.takeUnretainedValue()) }
        }
    }

    /// Empties the table.
    func removeAll() {
        for index in 0..<capacity {
            if let held = slots[index].connection {
                slots[index].connection = nil
                held.release()
            }
        }
        count = 0
    }
}
