import NetworkTypes

/// One endpoint in fixed-size words: the address in two 64-bit halves (IPv4 in the low half) and the family and
/// port in a third, so comparing two endpoints is three integer compares instead of a switch over `IPAddress`.
struct PackedEndpoint: Equatable {
    var high: UInt64
    var low: UInt64
    /// Family (4 or 6) above the port, so an IPv4 address never equals the IPv6 address `::a.b.c.d`.
    var meta: UInt64

    @inline(__always) init(_ endpoint: Endpoint) {
        switch endpoint.address {
        case .v4(let value):
            high = 0
            low = UInt64(value)
            meta = 4 << 16 | UInt64(endpoint.port)
        case .v6(let upper, let lower):
            high = upper
            low = lower
            meta = 6 << 16 | UInt64(endpoint.port)
        }
    }

    /// A mix of the three words and the table's seed; added for both endpoints, so the flow's hash does not depend
    /// on its direction. The xor-shifts make it non-linear: a plain product would make the sum depend only on the
    /// sum of the two endpoints' words, and the data connections between two hosts would share a handful of slots.
    @inline(__always) func mixed(_ seed: UInt64) -> UInt64 {
        var x = (high &* 0x9E37_79B9_7F4A_7C15 ^ low ^ meta << 40) ^ seed
        x = (x ^ x >> 31) &* 0xBF58_476D_1CE4_E5B9
        return x ^ x >> 29
    }
}

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
/// Here the hash is two multiplies per endpoint, symmetric, so the segment's own (source, destination) finds the
/// slot; the slot's order (originator first) tells the direction; and the table owns one reference per connection,
/// lent without retain/release (`TCPReassembler.process`). Deletion shifts the probe chain back (no tombstones), so
/// lookups stay short however many connections come and go. At most half full. Where the slot order could show
/// (`forEach` at the end of input), the caller sorts by serial.
final class FlowTable {
    private(set) var slots: UnsafeMutablePointer<FlowSlot>
    private(set) var capacity: Int
    private var shift: UInt64
    /// Connections held.
    private(set) var count = 0
    /// Random per table: the hash is not keyed like SipHash, but without the seed a capture cannot be built to
    /// put its flows in one probe chain (docs/hostile-input.md). Slot order never reaches an output.
    private let seed = UInt64.random(in: .min ... .max)

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

    @inline(__always) func hash(_ a: PackedEndpoint, _ b: PackedEndpoint) -> UInt64 {
        let sum = a.mixed(seed) &+ b.mixed(seed)
        return (sum ^ sum >> 31) &* 0x94D0_49BB_1331_11EB
    }

    /// The slot holding the connection between `source` and `destination` (either way round), or -1; `forward` is
    /// true when `source` is the originator.
    @inline(__always) func find(_ source: PackedEndpoint, _ destination: PackedEndpoint, forward: inout Bool) -> Int {
        let mask = capacity - 1
        let wanted = hash(source, destination)
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
        let index = find(PackedEndpoint(flow.source), PackedEndpoint(flow.destination), forward: &forward)
        return index < 0 ? nil : slots[index].connection?.takeUnretainedValue()
    }

    /// Adds a connection; its flow must not be held already.
    func insert(_ connection: TCPConnection) {
        if (count + 1) * 2 > capacity { grow() }
        place(FlowSlot(
            hash: hash(connection.packedOriginator, connection.packedResponder),
            connection: Unmanaged.passRetained(connection)))
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
        let index = find(connection.packedOriginator, connection.packedResponder, forward: &forward)
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
