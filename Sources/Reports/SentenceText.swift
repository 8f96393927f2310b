#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import NetworkTypes

/// A sentence built by string interpolation straight into UTF-8 bytes, in one byte buffer the thread reuses.
///
/// The verdict explanations (`CauseWording`) are a few hundred characters of literals around endpoints, addresses
/// and numbers. Built as `String` interpolation, every literal piece went through the string's generic append
/// (about 430 instructions a piece), every endpoint and address through a `String` of its own: some 9 000
/// instructions a sentence, a twentieth of the output thread on the control-heavy benchmark. Built into an array
/// per piece, each literal still cost about 130 instructions (the array's generic append) and each piece an
/// allocation or two: 3 800 instructions a wording, 8.2 M on the output thread for `c01.pcap`. Here a literal is
/// a copy of its static bytes and an endpoint is written digit by digit where it goes, all into the thread's
/// `SentenceScratch`; a piece is a range of it. The text is the one `String` interpolation gave: the same
/// `description` of every value.
///
/// A piece is valid until the scratch is emptied (`SentenceScratch.begin`, when the next verdict is worded).
/// Pieces nest as interpolation nests them: one made while another is being built (an argument that is itself
/// an interpolation, or a function making one) lies after the outer piece's bytes, which takes it where it lies
/// when it comes right after them and moves it down otherwise; what the arguments wrote and left unused is
/// dropped when the outer piece writes on.
struct SentenceText: ExpressibleByStringInterpolation, CustomStringConvertible {
    private enum Storage {
        /// A literal's static bytes (no copy until a sentence takes it).
        case literal(StaticString)
        /// A range of the thread's scratch.
        case written(Range<Int>)
    }

    private let storage: Storage

    init(stringLiteral value: StaticString) { storage = .literal(value) }

    init(stringInterpolation: Interpolation) {
        stringInterpolation.scratch.pointee.count = stringInterpolation.end
        storage = .written(stringInterpolation.start..<stringInterpolation.end)
    }

    /// Bytes of UTF-8.
    var count: Int {
        switch storage {
        case .literal(let literal): return literal.utf8CodeUnitCount
        case .written(let range): return range.count
        }
    }

    var isEmpty: Bool { count == 0 }

    /// `body` given the UTF-8, where it lies (valid only during `body`).
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        switch storage {
        case .literal(let literal):
            return body(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        case .written(let range):
            let base = SentenceScratch.current.pointee.base
            return body(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
        }
    }

    /// The text as a `String`.
    var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    /// The text, so that a sentence interpolated into a `String` reads as itself.
    var description: String { string }

    struct Interpolation: StringInterpolationProtocol {
        /// The thread's scratch (`SentenceScratch.current`), which lives as long as the thread.
        let scratch: UnsafeMutablePointer<SentenceScratch>
        /// Where this piece's bytes begin and end in the scratch.
        let start: Int
        var end: Int

        init(literalCapacity: Int, interpolationCount: Int) {
            scratch = SentenceScratch.current
            start = scratch.pointee.count
            end = start
        }

        /// Room for `count` bytes right after the piece's bytes, dropping whatever the arguments left after them.
        private mutating func room(_ count: Int) -> UnsafeMutablePointer<UInt8> {
            scratch.pointee.count = end
            return scratch.pointee.reserve(count)
        }

        private mutating func append(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count > 0 else { return }
            let out = room(bytes.count)
            UnsafeMutableRawPointer(out).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            end += bytes.count
            scratch.pointee.count = end
        }

        mutating func appendLiteral(_ literal: StaticString) {
            append(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        }

        mutating func appendInterpolation(_ text: String) {
            var text = text
            text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
        }

        mutating func appendInterpolation(_ text: Substring) {
            var text = text
            text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
        }

        /// A piece made before or while this one is built: taken where it lies when it follows this one's bytes
        /// (made by an argument), else copied after them.
        mutating func appendInterpolation(_ text: SentenceText) {
            switch text.storage {
            case .literal(let literal):
                appendLiteral(literal)
            case .written(let range):
                guard !range.isEmpty else { return }
                if range.lowerBound == end {
                    end = range.upperBound
                } else if range.lowerBound > end {
                    // Made by an argument after other bytes it left: moved down over them.
                    let base = scratch.pointee.base
                    UnsafeMutableRawPointer(base + end).copyMemory(
                        from: base + range.lowerBound, byteCount: range.count)
                    end += range.count
                } else {
                    // Made before this piece began (it lies before `start`): copied, the source read after the
                    // scratch has grown (growing moves it).
                    let out = room(range.count)
                    UnsafeMutableRawPointer(out).copyMemory(
                        from: scratch.pointee.base + range.lowerBound, byteCount: range.count)
                    end += range.count
                }
                scratch.pointee.count = end
            }
        }

        /// As `description` writes it.
        mutating func appendInterpolation(_ endpoint: Endpoint) {
            end += endpoint.write(into: room(Endpoint.maximumDescriptionLength))
            scratch.pointee.count = end
        }

        /// As `description` writes it.
        mutating func appendInterpolation(_ address: IPAddress) {
            end += address.write(into: room(IPAddress.maximumDescriptionLength))
            scratch.pointee.count = end
        }

        /// A peer's address, or "the peer" when it is not known.
        mutating func appendInterpolation(peer address: IPAddress?) {
            if let address {
                appendInterpolation(address)
            } else {
                appendLiteral("the peer")
            }
        }

        /// Anything else as `String` interpolation writes it (`String(describing:)` takes the same route).
        mutating func appendInterpolation<Value>(_ value: Value) {
            appendInterpolation(String(describing: value))
        }

        /// In decimal, as `description` writes it.
        mutating func appendInterpolation<Number: BinaryInteger>(_ number: Number) {
            if let value = Int64(exactly: number) {
                let out = room(21)
                var length = 0
                if value < 0 {
                    out[0] = UInt8(ascii: "-")
                    length = 1
                }
                end += length + writeDecimal(value.magnitude, into: out + length)
                scratch.pointee.count = end
            } else {
                appendInterpolation(String(number))
            }
        }
    }
}

/// The thread's byte buffer for `SentenceText`: grown as a sentence needs and never shrunk, emptied when a verdict
/// is worded afresh (`begin`). A few hundred bytes, kept for the thread's life. Reached through a plain pointer
/// (`current`), not a class reference: a reference to it cost a retain and a release per literal appended.
struct SentenceScratch {
    /// The bytes; moves when the buffer grows, so pieces keep offsets, not pointers.
    private(set) var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes in use.
    var count = 0

    private init() {
        capacity = 2048
        base = .allocate(capacity: capacity)
    }

    /// Empties the buffer for a new sentence: every piece made before is invalid from here on.
    mutating func begin() { count = 0 }

    /// Room for `extra` bytes at `count` (not counted until the caller moves `count` on).
    @inline(__always)
    mutating func reserve(_ extra: Int) -> UnsafeMutablePointer<UInt8> {
        if count + extra > capacity { grow(count + extra) }
        return base + count
    }

    private mutating func grow(_ needed: Int) {
        let larger = max(capacity * 2, needed)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        moved.initialize(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = larger
    }

    /// This thread's scratch, made on first use and freed when the thread ends.
    static var current: UnsafeMutablePointer<SentenceScratch> {
        if let stored = pthread_getspecific(threadKey) { return stored.assumingMemoryBound(to: SentenceScratch.self) }
        let scratch = UnsafeMutablePointer<SentenceScratch>.allocate(capacity: 1)
        scratch.initialize(to: SentenceScratch())
        pthread_setspecific(threadKey, scratch)
        return scratch
    }
}

/// The thread-local slot of `SentenceScratch.current`; its destructor frees a thread's scratch when it exits.
private let threadKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { stored in
        guard let stored else { return }
        let scratch = stored.assumingMemoryBound(to: SentenceScratch.self)
        scratch.pointee.base.deallocate()
        scratch.deinitialize(count: 1)
        scratch.deallocate()
    }
    precondition(status == 0, "pthread_key_create failed")
    return key
}()
