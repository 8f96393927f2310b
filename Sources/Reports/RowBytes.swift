import NetworkTypes

/// The bytes of the timeline row being encoded, written through a raw pointer.
///
/// `[UInt8].append` checks that the array is uniquely referenced and has room at every call; a row of 28 cells
/// made some 30 such calls, a fifth of encoding a CSV row on the control-heavy benchmark. Here a cell makes one
/// room check (`ensure`) and then writes unchecked. One buffer per timeline sink, reused for every row; it gives
/// memory back when a huge row has grown it (`removeAll`).
public final class RowBytes {
    /// Bytes written since the last `removeAll`.
    public private(set) var count = 0
    private var capacity: Int
    private var storage: UnsafeMutablePointer<UInt8>

    /// Kept after `removeAll`: a buffer grown past it by one huge row shrinks back.
    private let retainedCapacity: Int

    /// An empty buffer with room for `capacity` bytes; it keeps that much (16 KiB at least) when emptied.
    public init(capacity: Int = 1024) {
        self.capacity = max(capacity, 64)
        retainedCapacity = max(capacity, 16 * 1024)
        storage = .allocate(capacity: self.capacity)
    }

    deinit { storage.deallocate() }

    /// The bytes written, valid until the next change.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: count) }

    /// Forgets what was written.
    public func removeAll() {
        count = 0
        guard capacity > retainedCapacity else { return }
        storage.deallocate()
        capacity = retainedCapacity
        storage = .allocate(capacity: capacity)
    }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    public func ensure(_ extra: Int) {
        if extra > capacity - count { grow(toHold: count + extra) }
    }

    /// One byte.
    @inline(__always)
    public func append(_ byte: UInt8) {
        ensure(1)
        storage[count] = byte
        count += 1
    }

    /// Two bytes (a CSV line end, a JSON escape).
    @inline(__always)
    public func append(_ first: UInt8, _ second: UInt8) {
        ensure(2)
        storage[count] = first
        storage[count + 1] = second
        count += 2
    }

    /// Borrowed bytes.
    @inline(__always)
    public func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        ensure(bytes.count)
        (storage + count).update(from: base, count: bytes.count)
        count += bytes.count
    }

    /// Borrowed raw bytes.
    public func append(_ bytes: UnsafeRawBufferPointer) { append(bytes.assumingMemoryBound(to: UInt8.self)) }

    /// A string's UTF-8.
    public func append(_ text: String) {
        // Read where it lies: `withUTF8` needs a mutable copy, which retained and released the string.
        if text.utf8.withContiguousStorageIfAvailable({ append($0) }) != nil { return }
        var text = text
        text.withUTF8 { append($0) }
    }

    /// A literal's UTF-8 (a JSON member name with its quotes, a fixed word).
    @inline(__always)
    public func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    /// Room for `maximum` more bytes at the end: where they go. Keep what was written there with `advance(by:)`.
    /// For writers that keep state in a class (the timeline's text caches): handing them a closure, as
    /// `write(atMost:)` does, made the closure retain and release the cache around every cell.
    @inline(__always)
    public func reserve(_ maximum: Int) -> UnsafeMutablePointer<UInt8> {
        ensure(maximum)
        return storage + count
    }

    /// Keeps `written` bytes written at `reserve`'s pointer.
    @inline(__always)
    public func advance(by written: Int) { count += written }

    /// Lets `body` write at most `maximum` bytes at the end and keeps the count it returns.
    @inline(__always)
    public func write(atMost maximum: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        ensure(maximum)
        count += body(storage + count)
    }

    private func grow(toHold needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newStorage.update(from: storage, count: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }
}

extension RowBytes {
    /// A number as `JSONWriter.appendNumber` writes it (the CSV and JSON Lines timelines agree with the JSON
    /// document): from integers when it can be, else through the general path.
    func appendNumber(_ value: Double) {
        var written = false
        write(atMost: JSONWriter.numberRoom) { position in
            guard let length = JSONWriter.writeNumber(value, into: position) else { return 0 }
            written = true
            return length
        }
        guard !written else { return }
        var bytes: [UInt8] = []
        JSONWriter.appendNumber(value, to: &bytes)
        bytes.withUnsafeBufferPointer { append($0) }
    }
}

/// Where the escapers write: a byte array, or a timeline row's buffer (`Escaping.appendJSON`).
protocol ByteAppending {
    mutating func appendByte(_ byte: UInt8)
    mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>)
}

extension Array: ByteAppending where Element == UInt8 {
    mutating func appendByte(_ byte: UInt8) { append(byte) }
    mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) { append(contentsOf: bytes) }
}

extension RowBytes: ByteAppending {
    func appendByte(_ byte: UInt8) { append(byte) }
    func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) { append(bytes) }
}

extension RowBytes {
    /// An integer in decimal, with a leading `-` when it is negative.
    ///
    /// Through `JSONWriter.writeUnsigned`, which stores a number below 1000 (reply codes, retransmissions, most
    /// counts) directly: `writeDecimal` counted its digits first, about 85 instructions a cell.
    @inline(__always)
    func appendDecimal(_ value: Int64) {
        let position = reserve(21)
        guard value < 0 else {
            advance(by: JSONWriter.writeUnsigned(value.magnitude, into: position))
            return
        }
        position[0] = 0x2D
        advance(by: 1 + JSONWriter.writeUnsigned(value.magnitude, into: position + 1))
    }

    /// An endpoint as `description` writes it, through the writer's cache when it has one.
    func append(_ endpoint: Endpoint, cache: EndpointTextCache?) {
        let position = reserve(Endpoint.maximumDescriptionLength)
        if let cache {
            advance(by: cache.write(endpoint, into: position))
        } else {
            advance(by: endpoint.write(into: position))
        }
    }
}
