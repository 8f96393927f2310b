#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import CommunityID
import NetworkTypes

/// JSON written straight into a reused byte buffer, member by member, pretty (two spaces a level) or compact.
///
/// The `--format json` document has a member per command and per transfer: building a `JSONValue` tree for each
/// first (an array of key/value pairs, a string per endpoint and time) cost more than all of the analysis on
/// control-heavy captures. The writer produces the same bytes as `JSONValue.serialized` for the same members, so
/// either may write any part of a document.
///
/// The buffer is raw memory the writer owns (hence noncopyable): most pieces are a few bytes, and an array's
/// `append(contentsOf:)` (uniqueness and capacity checks, a call to memcpy) cost more than the bytes themselves.
/// It comes from `malloc` so that it can grow with `realloc`.
public struct JSONWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes written since the last `removeAll`.
    public private(set) var count = 0
    private let pretty: Bool
    /// Nesting depth of the container being written.
    private var depth: Int {
        didSet { indentation = pretty ? 2 * depth : 0 }
    }
    /// Spaces before a member at `depth` (none when compact), kept rather than worked out for every member.
    private var indentation = 0
    /// True until the open container has a member (so that an empty one is written `{}` / `[]`).
    private var empty = false
    /// Times written with the date and time of their second kept (`ISO8601Writer`).
    private var times = ISO8601Writer()
    /// Endpoints' text remembered across the documents this writer makes (see `EndpointTextCache`).
    private let endpoints = EndpointTextCache()

    /// A writer whose first value sits at nesting level `indent` (for a value inside a document written by hand).
    public init(pretty: Bool, indent: Int = 0, capacity: Int = 4096) {
        self.pretty = pretty
        depth = indent
        indentation = pretty ? 2 * indent : 0
        self.capacity = Swift.max(capacity, 64)
        base = JSONWriter.allocate(self.capacity)
    }

    deinit { free(base) }

    private static func allocate(_ capacity: Int) -> UnsafeMutablePointer<UInt8> {
        guard let memory = malloc(capacity) else { fatalError("out of memory for \(capacity) bytes of JSON") }
        return memory.assumingMemoryBound(to: UInt8.self)
    }

    /// The bytes written, for the duration of `body`.
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// The bytes written, as text.
    public var text: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }

    /// The bytes written, in an array of their own exact size.
    public func exactCopy() -> [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Empties the buffer, keeping its storage.
    public mutating func removeAll() { count = 0 }

    /// Bytes the buffer holds before it has to grow.
    public var reservedCapacity: Int { capacity }

    /// Empties the buffer and gives it room for `newCapacity` bytes: a new allocation unless it has that already.
    public mutating func removeAll(capacity newCapacity: Int) {
        count = 0
        let wanted = Swift.max(newCapacity, 64)
        guard wanted != capacity else { return }
        free(base)
        base = JSONWriter.allocate(wanted)
        capacity = wanted
    }

    /// Gives up the storage with what was written in it (a `malloc` block; the caller frees it or hands it on)
    /// and goes on, emptied, in `storage`: a `malloc` block of `capacity` bytes. The streamed document hands each
    /// session over this way rather than copying it out (`JSONBytesPool`).
    mutating func exchangeStorage(
        for storage: UnsafeMutablePointer<UInt8>, capacity newCapacity: Int
    ) -> (base: UnsafeMutablePointer<UInt8>, count: Int, capacity: Int) {
        precondition(newCapacity >= 64, "a writer's storage holds at least 64 bytes")
        let given = (base, count, capacity)
        base = storage
        capacity = newCapacity
        count = 0
        return given
    }

    // MARK: - Containers

    // Inlined, as `key` is: every command and transfer opens and closes an object, and the call cost about as
    // much as the few stores.
    @inline(__always) public mutating func beginObject() { open(0x7B) }
    @inline(__always) public mutating func endObject() { close(0x7D) }
    @inline(__always) public mutating func beginArray() { open(0x5B) }
    @inline(__always) public mutating func endArray() { close(0x5D) }

    /// Starts a member of the open object: separator, line break and indentation, the quoted key and colon.
    ///
    /// Inlined at every call: the name is a literal, so its length is a constant and the copy below becomes a few
    /// stores of immediate words. Called for every member of every command and transfer, the out-of-line version
    /// (a loop over the name's words, then its bytes) cost more than the bytes it wrote.
    @inline(__always)
    public mutating func key(_ name: StaticString) {
        let length = name.utf8CodeUnitCount
        let spaces = indentation
        // Comma, line break, indentation rounded up to whole words, quotes and the name rounded up, colon, space
        // (wrapping arithmetic: a literal's length and the indentation are far from overflowing).
        reserve(length &+ spaces &+ 32)
        var at = base + count
        putSeparator(at: &at, spaces: spaces)
        at.pointee = 0x22
        JSONWriter.copyLiteral(name.utf8Start, length, to: at + 1)
        at += length + 1
        // `":` and, when pretty, a space: one store of three bytes' worth (the third overwritten later if compact).
        UnsafeMutableRawPointer(at).storeBytes(of: 0x20_3A22 as UInt32, as: UInt32.self)
        at += pretty ? 3 : 2
        count = at - base
    }

    /// Copies `length` bytes of a literal to `target` in whole words, the last one overlapping the one before
    /// (never reading past the literal); with a constant `length` the loop unrolls into plain stores.
    @inline(__always)
    private static func copyLiteral(_ source: UnsafePointer<UInt8>, _ length: Int, to target: UnsafeMutablePointer<UInt8>) {
        let from = UnsafeRawPointer(source)
        let to = UnsafeMutableRawPointer(target)
        if length >= 8 {
            var offset = 0
            while offset + 8 < length {
                to.storeBytes(of: from.loadUnaligned(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self), toByteOffset: length - 8, as: UInt64.self)
        } else if length >= 4 {
            to.storeBytes(of: from.loadUnaligned(as: UInt32.self), as: UInt32.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self), toByteOffset: length - 4, as: UInt32.self)
        } else {
            for offset in 0..<length { target[offset] = source[offset] }
        }
    }

    /// Starts a member whose name is only known at run time (finding evidence), escaped as a string is.
    public mutating func key(text name: String) {
        separate()
        string(name)
        // `: ` stored whole and kept in part when compact (as in `key`).
        reserve(2)
        UnsafeMutableRawPointer(base + count).storeBytes(of: 0x203A as UInt16, as: UInt16.self)
        count += pretty ? 2 : 1
    }

    /// Starts an element of the open array.
    public mutating func element() { separate() }

    /// A line break after the document.
    public mutating func endLine() { byte(0x0A) }

    // MARK: - Values

    public mutating func null() { put("null") }
    public mutating func bool(_ value: Bool) { put(value ? "true" : "false") }
    public mutating func int(_ value: Int) { int(Int64(value)) }
    public mutating func int(_ value: Int64) {
        reserve(21)
        if value < 0 {
            base[count] = 0x2D
            count += 1
        }
        count += JSONWriter.writeUnsigned(value.magnitude, into: base + count)
    }
    public mutating func uint(_ value: UInt64) {
        reserve(20)
        count += JSONWriter.writeUnsigned(value, into: base + count)
    }

    /// `writeDecimal`'s digits, those of a number below 1000 stored directly: reply codes, SYN attempts, counts
    /// and most milliseconds are, and counting their digits first (a division a digit, twice) cost more.
    @inline(__always)
    static func writeUnsigned(_ value: UInt64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        if value < 10 {
            out[0] = 0x30 &+ UInt8(truncatingIfNeeded: value)
            return 1
        }
        if value < 100 {
            out[0] = 0x30 &+ UInt8(truncatingIfNeeded: value / 10)
            out[1] = 0x30 &+ UInt8(truncatingIfNeeded: value % 10)
            return 2
        }
        if value < 1000 {
            out[0] = 0x30 &+ UInt8(truncatingIfNeeded: value / 100)
            out[1] = 0x30 &+ UInt8(truncatingIfNeeded: value / 10 % 10)
            out[2] = 0x30 &+ UInt8(truncatingIfNeeded: value % 10)
            return 3
        }
        return writeDecimal(value, into: out)
    }
    /// A string, quoted and escaped as `Escaping.appendJSON` does: `"`, `\\`, C0 controls and DEL, and U+2028 /
    /// U+2029 (which end a line in JavaScript) as escapes; everything else as it is.
    ///
    /// Inlined (the work is in `quoted`): a call in between cost a sixth of a short string's bytes.
    @inline(__always)
    public mutating func string(_ value: String) {
        // Read where the string lies (a native string always has contiguous UTF-8; a small one is spilled to the
        // stack): `withUTF8` needs a mutable copy, which retained and released the storage of every string.
        if value.utf8.withContiguousStorageIfAvailable({ quoted($0) }) != nil { return }
        var copy = value
        copy.withUTF8 { quoted($0) }
    }

    /// A string given as its UTF-8 bytes (borrowed), written as `string` writes it.
    public mutating func string(utf8 bytes: UnsafeBufferPointer<UInt8>) { quoted(bytes) }

    /// `string`'s work on the UTF-8 bytes, kept out of the closure so that every caller shares one compiled body.
    ///
    /// Nearly all text needs no escape and is short (a verb, a status, a reply): it is checked and copied in whole
    /// words, the last one overlapping the one before and a text under eight bytes read as two overlapping
    /// halves, so no byte is handled alone and nothing past the text is read. The first word that may need an
    /// escape hands the rest to `escapedTail`.
    @inline(never)
    private mutating func quoted(_ utf8: UnsafeBufferPointer<UInt8>) {
        let total = utf8.count
        reserve(total + 16)
        base[count] = 0x22
        count += 1
        let target = UnsafeMutableRawPointer(base + count)
        let clean: Int
        if let source = utf8.baseAddress {
            clean = WordwiseCopy.copy(UnsafeRawPointer(source), total, to: target, unless: JSONEscapeFilter.self)
        } else {
            clean = 0
        }
        count += clean
        if clean < total { escapedTail(utf8, from: clean) }
        base[count] = 0x22
        count += 1
    }

    /// The bytes from `start` on, escaped as `string` says (reached only when one of them may need it).
    ///
    /// Byte by byte through the block flagged (`WordwiseCopy` hands over the sixteen bytes that may hold one) up
    /// to the first byte the filter looks for, then in whole words again: a reply that quotes a path (`257 "/pub"
    /// is the current directory`) went byte by byte from its first quote to its end, about 860 instructions a
    /// text. (Past that byte the filter flags nothing falsely: its false flags sit above a real one.)
    private mutating func escapedTail(_ utf8: UnsafeBufferPointer<UInt8>, from start: Int) {
        guard let source = utf8.baseAddress else { return }
        let total = utf8.count
        var index = start
        while index < total {
            let blockEnd = Swift.min(total, index + 16)
            while index < blockEnd {
                let code = utf8[index]
                index = escapedByte(utf8, at: index)
                if code < 0x20 || code == 0x22 || code == 0x5C || code == 0x7F || code == 0xE2 { break }
            }
            guard index < total else { break }
            reserve(total - index)
            let clean = WordwiseCopy.copy(
                UnsafeRawPointer(source + index), total - index, to: UnsafeMutableRawPointer(base + count),
                unless: JSONEscapeFilter.self)
            count += clean
            index += clean
        }
        // The closing quote's room (`quoted` reserved it for the text unescaped).
        reserve(1)
    }

    /// The byte at `index` written, escaped if it needs it (three bytes for U+2028 / U+2029), and the index of
    /// the next byte.
    @inline(__always)
    private mutating func escapedByte(_ utf8: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        let code = utf8[index]
        if code >= 0x20 && code != 0x22 && code != 0x5C && code != 0x7F {
            // E2 80 A8/A9 is U+2028/U+2029 (the only escaped characters beyond ASCII).
            if code == 0xE2, index + 2 < utf8.count, utf8[index + 1] == 0x80,
                utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9
            {
                unicodeEscape(utf8[index + 2] == 0xA8 ? 0x2028 : 0x2029)
                return index + 3
            }
            byte(code)
            return index + 1
        }
        switch code {
        case 0x22: put("\\\"")
        case 0x5C: put("\\\\")
        case 0x0A: put("\\n")
        case 0x0D: put("\\r")
        case 0x09: put("\\t")
        default: unicodeEscape(UInt16(code))
        }
        return index + 1
    }
    public mutating func string(_ value: StaticString) {
        byte(0x22)
        put(value)
        byte(0x22)
    }

    /// A vocabulary word (`JSONWords`: a literal with nothing to escape), quoted, copied in whole words.
    @inline(__always)
    mutating func word(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        reserve(length &+ 16)
        base[count] = 0x22
        JSONWriter.copyLiteral(text.utf8Start, length, to: base + count + 1)
        base[count + 1 + length] = 0x22
        count += length + 2
    }
    @inline(__always)
    public mutating func optional(_ value: String?) {
        if let value { string(value) } else { null() }
    }
    /// A number as `JSONValue.double` writes it (three decimals at most).
    public mutating func double(_ value: Double) {
        reserve(JSONWriter.numberRoom)
        if let length = JSONWriter.writeNumber(value, into: base + count) {
            count += length
            return
        }
        var scratch: [UInt8] = []
        JSONWriter.appendNumber(value, to: &scratch)
        scratch.withUnsafeBufferPointer { put($0) }
    }

    /// The milliseconds from `start` to `end`, as `double(start.milliseconds(to: end))` writes them.
    ///
    /// A capture's times are mostly whole microseconds: then the number is those microseconds as thousandths,
    /// written from the integer. (The double path gives the same digits: for |ns| < 2^52 the division and the
    /// scaling by 1000 are each off by at most half an ulp, under 2^-9 of a microsecond in all, so rounding
    /// the thousandths finds the microseconds again.) Other times take the double path.
    @inline(__always)
    public mutating func milliseconds(from start: Timestamp, to end: Timestamp) {
        let nanoseconds = start.nanoseconds(to: end)
        guard nanoseconds % 1000 == 0, nanoseconds.magnitude < 1 << 52 else {
            return double(start.milliseconds(to: end))
        }
        reserve(JSONWriter.numberRoom)
        count += JSONWriter.writeThousandths(nanoseconds / 1000, into: base + count)
    }

    /// A time as SPEC.md writes it (ISO 8601, microseconds), or null.
    ///
    /// A session's times fall mostly within a few seconds of each other: `ISO8601Writer` keeps the date and time
    /// of day of the last whole second written, and a time in the same second only gets its microseconds.
    @inline(__always)
    public mutating func time(_ value: Timestamp?) {
        guard let value else { return null() }
        reserve(Timestamp.iso8601MaximumLength + 2)
        base[count] = 0x22
        count += 1
        count += times.write(value, into: base + count)
        base[count] = 0x22
        count += 1
    }
    /// An endpoint as its `description` (`192.0.2.10:51234`, `[2001:db8::1]:21`), quoted; nothing to escape.
    public mutating func endpoint(_ value: Endpoint) {
        reserve(Endpoint.maximumDescriptionLength + 2)
        base[count] = 0x22
        count += 1
        count += endpoints.write(value, into: base + count)
        base[count] = 0x22
        count += 1
    }
    /// An address as its `description`, quoted; nothing to escape.
    public mutating func address(_ value: IPAddress) {
        reserve(IPAddress.maximumDescriptionLength + 2)
        base[count] = 0x22
        count += 1 + value.write(into: base + count + 1)
        base[count] = 0x22
        count += 1
    }
    /// The Community ID of the flow between `first` and `second`, as `string(CommunityID.v1(first, second))` writes
    /// it, quoted: its `1:` and base64 need no escape, so it is written in place, not copied through `quoted`'s
    /// checks.
    mutating func communityID(_ first: Endpoint, _ second: Endpoint) {
        reserve(CommunityID.v1Length + 2)
        base[count] = 0x22
        count += 1 + CommunityID.writeV1(first, second, into: base + count + 1)
        base[count] = 0x22
        count += 1
    }
    /// A value built as a tree (rare members: evidence, listings) at the current position.
    public mutating func value(_ value: JSONValue) {
        var text = value.serialized(pretty: pretty, indent: depth)
        text.withUTF8 { put($0) }
    }

    /// False when none of the eight bytes in `word` can need escaping in a string: no byte below 0x20, no `"`,
    /// `\\`, DEL or 0xE2 (the lead byte of U+2028/U+2029). The SWAR zero-byte tests (Hacker's Delight 6-1) may
    /// flag a byte beside a real match, never miss one, so a false answer is exact.
    @inline(__always)
    static func mayNeedEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ value: UInt64) -> UInt64 { (value &- ones) & ~value & highs }
        let below20 = (word &- ones &* 0x20) & ~word & highs
        let matches =
            hasZero(word ^ (ones &* 0x22)) | hasZero(word ^ (ones &* 0x5C)) | hasZero(word ^ (ones &* 0x7F))
            | hasZero(word ^ (ones &* 0xE2))
        return (below20 | matches) != 0
    }

    /// `mayNeedEscape` on two words at once.
    @inline(__always)
    static func mayNeedEscape(_ pair: SIMD2<UInt64>) -> Bool {
        let ones = SIMD2<UInt64>(repeating: 0x0101_0101_0101_0101)
        let highs = SIMD2<UInt64>(repeating: 0x8080_8080_8080_8080)
        func hasZero(_ value: SIMD2<UInt64>) -> SIMD2<UInt64> { (value &- ones) & ~value & highs }
        let below20 = (pair &- ones &* 0x20) & ~pair & highs
        let matches =
            hasZero(pair ^ (ones &* 0x22)) | hasZero(pair ^ (ones &* 0x5C)) | hasZero(pair ^ (ones &* 0x7F))
            | hasZero(pair ^ (ones &* 0xE2))
        let flagged = below20 | matches
        return (flagged[0] | flagged[1]) != 0
    }

    // MARK: - Bytes

    /// Room for `extra` more bytes: one comparison inline, the growth out of line (it happens a few times a run).
    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count &+ extra > capacity { grow(toHold: count + extra) }
    }

    @inline(never)
    private mutating func grow(toHold needed: Int) {
        var grown = capacity * 2
        while grown < needed { grown *= 2 }
        guard let moved = realloc(base, grown) else { fatalError("out of memory for \(grown) bytes of JSON") }
        base = moved.assumingMemoryBound(to: UInt8.self)
        capacity = grown
    }

    @inline(__always)
    private mutating func byte(_ value: UInt8) {
        reserve(1)
        base[count] = value
        count += 1
    }

    @inline(__always)
    private mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    private mutating func put(_ piece: StaticString) {
        put(UnsafeBufferPointer(start: piece.utf8Start, count: piece.utf8CodeUnitCount))
    }

    /// `\\uXXXX` with four lower-case hex digits.
    private mutating func unicodeEscape(_ value: UInt16) {
        let digits: StaticString = "0123456789abcdef"
        reserve(6)
        base[count] = 0x5C
        base[count + 1] = 0x75
        for (offset, shift) in [12, 8, 4, 0].enumerated() {
            base[count + 2 + offset] = digits.utf8Start[Int((value >> UInt16(shift)) & 0xF)]
        }
        count += 6
    }

    // MARK: - Layout

    @inline(__always)
    private mutating func open(_ bracket: UInt8) {
        byte(bracket)
        depth += 1
        empty = true
    }

    @inline(__always)
    private mutating func close(_ bracket: UInt8) {
        depth -= 1
        if !empty && pretty { newline() }
        empty = false
        byte(bracket)
    }

    private mutating func separate() {
        let spaces = indentation
        reserve(spaces &+ 24)
        var at = base + count
        putSeparator(at: &at, spaces: spaces)
        count = at - base
    }

    /// The comma before every member but the first and, when pretty, the line break and `spaces` of indentation,
    /// stored at `at` (room already reserved for the indentation rounded up to whole words) and stepped past.
    @inline(__always)
    private mutating func putSeparator(at: inout UnsafeMutablePointer<UInt8>, spaces: Int) {
        // Stored always and kept only when needed: a branch the processor cannot predict costs more than a byte.
        at.pointee = 0x2C
        at += empty ? 0 : 1
        empty = false
        if pretty {
            JSONWriter.putLineBreak(at, spaces: spaces)
            at += spaces + 1
        }
    }

    /// A line break and `spaces` spaces at `at`, a word at a time: the first word is the break and seven spaces,
    /// the rest whole words of spaces (the room reserved allows up to fifteen bytes more). Up to fifteen spaces
    /// (every member of a session, its commands and its transfers) the two words are stored outright: the loop
    /// with its checks was a fifth of writing a member's key.
    @inline(__always)
    private static func putLineBreak(_ at: UnsafeMutablePointer<UInt8>, spaces: Int) {
        let raw = UnsafeMutableRawPointer(at)
        raw.storeBytes(of: 0x2020_2020_2020_200A as UInt64, as: UInt64.self)
        raw.storeBytes(of: 0x2020_2020_2020_2020 as UInt64, toByteOffset: 8, as: UInt64.self)
        guard spaces >= 16 else { return }
        var offset = 16
        while offset <= spaces {
            raw.storeBytes(of: 0x2020_2020_2020_2020 as UInt64, toByteOffset: offset, as: UInt64.self)
            offset &+= 8
        }
    }

    private mutating func newline() {
        let spaces = indentation
        reserve(spaces &+ 24)
        JSONWriter.putLineBreak(base + count, spaces: spaces)
        count += spaces + 1
    }
}

/// Bytes held in a `JSONBytesPool` block (a session of the JSON document, on its way to the output or held), or
/// in memory of their own; given back to the pool (or freed) with the last reference.
public final class JSONBytes {
    let base: UnsafeMutablePointer<UInt8>
    /// How many.
    public let count: Int
    /// Where the storage goes back to (`JSONBytesPool`), and its size class there; nil: freed.
    private let pool: JSONBytesPool?
    private let sizeClass: Int

    init(base: UnsafeMutablePointer<UInt8>, count: Int, pool: JSONBytesPool? = nil, sizeClass: Int = 0) {
        self.base = base
        self.count = count
        self.pool = pool
        self.sizeClass = sizeClass
    }

    deinit {
        if let pool {
            pool.give(base, sizeClass: sizeClass)
        } else {
            free(base)
        }
    }

    /// The bytes, for the duration of `body`.
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }
}

/// The bytes a JSON string may need escaped, for `WordwiseCopy`.
enum JSONEscapeFilter: WordFilter {
    @inline(__always) static func mayFlag(_ word: UInt64) -> Bool { JSONWriter.mayNeedEscape(word) }
    @inline(__always) static func mayFlag(_ pair: SIMD2<UInt64>) -> Bool { JSONWriter.mayNeedEscape(pair) }
}
