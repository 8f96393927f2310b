import NetworkTypes
import TCPReassembly

/// A transfer's data connections (`TransferFacts.connections`), in order: the first held inline, an array only
/// once there are two.
///
/// Nearly every transfer has one connection or none. As an array, the one connection was a heap block of its own
/// per transfer (7 106 on c01, made on the analysis thread, the critical path, and freed on the output thread, so
/// it came back cold to the analysis thread's allocator). Inline, the record lies in the transfer's fields, which
/// are one allocation already.
///
/// When there is one, it is `only` and `multiple` is empty; from the second on, all are in `multiple` (the first
/// moved there), so the records always lie contiguously (`withUnsafeBufferPointer`). `hasOnly` says which without
/// matching the optional on its case (matching an optional this large copied all of it, 424 bytes, first), and the
/// hot readers reach the record by its address (`record(_:of:)`, `withRecords(of:_:)`): `only` is an optional, so
/// that no connection costs nothing to make (a blank record built into every transfer cost more than the
/// allocation it saved), and an optional's payload lies at its start (Swift's layout of a single-payload enum: the
/// case tag follows the payload), so the record's address is the optional's.
public struct DataConnections: Sendable, RandomAccessCollection, MutableCollection {
    /// The only connection, when `hasOnly`; nil otherwise.
    @usableFromInline var only: DataConnectionRecord?
    /// True when `only` holds the only connection.
    @usableFromInline var hasOnly = false
    /// All of them, when there are two or more; empty otherwise.
    @usableFromInline var multiple: [DataConnectionRecord] = []

    /// No connection.
    public init() {}

    /// These connections, in order.
    public init(_ records: [DataConnectionRecord]) {
        for record in records { append(record) }
    }

    @inlinable public var startIndex: Int { 0 }

    @inlinable public var endIndex: Int { hasOnly ? 1 : multiple.count }

    @inlinable public var isEmpty: Bool { !hasOnly && multiple.isEmpty }

    @inlinable public var count: Int { hasOnly ? 1 : multiple.count }

    /// The record at `position`. A getter and a setter, as `Array`'s subscript reads (inlined, a field read through
    /// it loads that field): `_read` and `_modify` coroutines were not inlined everywhere, and each call allocated
    /// its frame on the heap.
    @inlinable public subscript(position: Int) -> DataConnectionRecord {
        @inline(__always) get {
            if hasOnly {
                precondition(position == 0, "DataConnections index out of range")
                return only.unsafelyUnwrapped
            }
            return multiple[position]
        }
        set {
            if hasOnly {
                precondition(position == 0, "DataConnections index out of range")
                only = newValue
            } else {
                multiple[position] = newValue
            }
        }
    }

    /// Adds a connection after the others.
    mutating func append(_ record: consuming DataConnectionRecord) {
        if hasOnly {
            // The second: both go to the array, the first moved there.
            multiple.reserveCapacity(2)
            hasOnly = false
            multiple.append(only.take().unsafelyUnwrapped)
            multiple.append(record)
        } else if multiple.isEmpty {
            only = record
            hasOnly = true
        } else {
            multiple.append(record)
        }
    }

    /// Calls `body` with the records, contiguous and in order (the inline one lent where it lies).
    @inlinable public func withUnsafeBufferPointer<Result>(
        _ body: (UnsafeBufferPointer<DataConnectionRecord>) throws -> Result
    ) rethrows -> Result {
        if hasOnly {
            return try withUnsafePointer(to: only) { optional in
                let record = UnsafeRawPointer(optional).assumingMemoryBound(to: DataConnectionRecord.self)
                return try body(UnsafeBufferPointer(start: record, count: 1))
            }
        }
        return try multiple.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the records to be changed in place, contiguous and in order.
    mutating func withUnsafeMutableBufferPointer<Result>(
        _ body: (inout UnsafeMutableBufferPointer<DataConnectionRecord>) throws -> Result
    ) rethrows -> Result {
        if hasOnly {
            return try withUnsafeMutablePointer(to: &only) { optional in
                let record = UnsafeMutableRawPointer(optional).assumingMemoryBound(to: DataConnectionRecord.self)
                var buffer = UnsafeMutableBufferPointer(start: record, count: 1)
                return try body(&buffer)
            }
        }
        return try multiple.withUnsafeMutableBufferPointer(body)
    }

    /// The record at `index` of the connections at `connections`, where it lies: a field read through it loads that
    /// field alone (`connections[index].field` copied the whole record first, its references retained: the getter
    /// chooses between the inline record and the array). Valid while the connections are neither written nor
    /// freed (`Transfer.connection(at:)`).
    @inlinable static func record(
        _ index: Int, of connections: UnsafePointer<DataConnections>
    ) -> UnsafePointer<DataConnectionRecord> {
        if connections.pointee.hasOnly {
            precondition(index == 0, "DataConnections index out of range")
            return onlyAddress(connections)
        }
        precondition(index >= 0 && index < connections.pointee.multiple.count, "DataConnections index out of range")
        // The array's storage outlives the call: it is the connections', which the caller does not write.
        return connections.pointee.multiple.withUnsafeBufferPointer { $0.baseAddress! + index }
    }

    /// Where `only`'s record lies in the connections at `connections`, by its offset (the optional's payload is at
    /// its start): reached as `&connections.pointee.only`, the whole value was copied to a temporary first.
    @inlinable @inline(__always) static func onlyAddress(
        _ connections: UnsafePointer<DataConnections>
    ) -> UnsafePointer<DataConnectionRecord> {
        (UnsafeRawPointer(connections) + MemoryLayout<DataConnections>.offset(of: \DataConnections.only)!)
            .assumingMemoryBound(to: DataConnectionRecord.self)
    }

    /// Calls `body` with the records of the connections at `connections`, where they lie (`withUnsafeBufferPointer`
    /// lends a copy of the inline record, as a method of the value).
    @inlinable static func withRecords<Result>(
        of connections: UnsafePointer<DataConnections>,
        _ body: (UnsafeBufferPointer<DataConnectionRecord>) throws -> Result
    ) rethrows -> Result {
        if connections.pointee.hasOnly {
            return try body(UnsafeBufferPointer(start: onlyAddress(connections), count: 1))
        }
        return try connections.pointee.multiple.withUnsafeBufferPointer(body)
    }

    // Usable from the outputs' module, for `Transfer.observedIndex` and `SettledTransfer.observedIndex` inlined there.
    /// Where the primary observed connection is (`TransferFacts.observedIndex`) among the connections at
    /// `connections`: the one that carried data, else the last attempt. Static, on their address: a getter of the
    /// value, called where the connections lie, copied all of them (the inline record) first.
    @inlinable static func observedIndex(of connections: UnsafePointer<DataConnections>) -> Int? {
        // Nearly every transfer has one connection or none; the comparison is for the rest.
        if connections.pointee.hasOnly { return 0 }
        return connections.pointee.multiple.withUnsafeBufferPointer { observedIndex(in: $0) }
    }

    /// See `observedIndex(of:)`: among these records.
    @inlinable static func observedIndex(in records: UnsafeBufferPointer<DataConnectionRecord>) -> Int? {
        if records.count < 2 { return records.isEmpty ? nil : 0 }
        return records.indices.max { lhs, rhs in
            (records[lhs].originatorBytes + records[lhs].responderBytes, records[lhs].firstTime.nanoseconds)
                < (records[rhs].originatorBytes + records[rhs].responderBytes, records[rhs].firstTime.nanoseconds)
        }
    }
}
