/// The texts of recent control lines, handed out again when the same bytes come back, instead of a new `String`
/// per line.
///
/// Control channels repeat themselves: a server answers every transfer with the same `226 Transfer complete.` and
/// every CWD with the same `250 Directory successfully changed.`, greets every session alike, and a client names a
/// file in SIZE, MDTM and RETR in turn. A text longer than Swift's 15-byte inline string is a heap allocation,
/// and the analysis keeps it (in a record, which its event hands to another thread, where it is freed): found here
/// it costs a retain instead.
///
/// Direct-mapped by a hash of the bytes, with a fixed number of slots, so a lookup is constant time and memory is
/// bounded (`slotCount` texts of at most `maxLength` bytes). Only ASCII texts are kept: their `String` has exactly
/// the line's bytes, so a hit is checked byte for byte and gives what `FTPText.decode` would have given.
///
/// Not thread-safe: one per analysis (each worker of a sharded analysis has its own). `disabled`, which keeps
/// nothing and is never written, is what channels use when they are given none.
public final class ControlTextCache {
    /// Texts kept at once.
    public static let slotCount = 256
    /// Longest text kept (longer lines are rare and seldom repeat).
    public static let maxLength = 128
    /// Texts this short are inline `String`s: nothing to save.
    static let inlineLength = 15

    // Fixed storage read and written in place (arrays held by the class were retained and released at each
    // access, a few per line).
    private let texts: UnsafeMutablePointer<String>
    private let hashes: UnsafeMutablePointer<UInt64>

    private let enabled: Bool

    /// A cache that keeps nothing: every text is decoded anew. Never written, so shared by every thread.
    /// (A non-optional cache is passed down the channels: an optional one was retained and released around each
    /// line where it was unwrapped.)
    nonisolated(unsafe) public static let disabled = ControlTextCache(enabled: false)

    /// An empty cache.
    public convenience init() {
        self.init(enabled: true)
    }

    private init(enabled: Bool) {
        self.enabled = enabled
        let slots = enabled ? Self.slotCount : 0
        texts = .allocate(capacity: slots)
        texts.initialize(repeating: "", count: slots)
        hashes = .allocate(capacity: slots)
        hashes.initialize(repeating: 0, count: slots)
    }

    deinit {
        texts.deinitialize(count: enabled ? Self.slotCount : 0)
        texts.deallocate()
        hashes.deallocate()
    }

    /// The text of `bytes`, as `FTPText.decode` gives it.
    func text(_ bytes: ArraySlice<UInt8>) -> String {
        // No argument (most commands): nothing to decode.
        if bytes.isEmpty { return "" }
        guard enabled && bytes.count > Self.inlineLength && bytes.count <= Self.maxLength else {
            return FTPText.decode(bytes)
        }
        let found = bytes.withUnsafeBufferPointer { buffer -> String? in
            guard FTPText.isASCII(buffer) else { return nil }
            return text(ascii: UnsafeRawBufferPointer(buffer))
        }
        return found ?? FTPText.decode(bytes)
    }

    /// `text(_:)` when `cached`, else the text decoded anew (as `disabled` gives it), for a line whose text does not
    /// recur. One cache passed either way: choosing between it and `disabled` at the call made an owned reference
    /// to the chosen one (a retain and a release per reply).
    @inline(__always)
    func text(_ bytes: ArraySlice<UInt8>, cached: Bool) -> String {
        if cached { return text(bytes) }
        return bytes.isEmpty ? "" : FTPText.decode(bytes)
    }

    /// The text of ASCII bytes: the slot's text when it has these bytes, else a new one kept in the slot.
    private func text(ascii bytes: UnsafeRawBufferPointer) -> String {
        let hash = Self.hash(bytes)
        let slot = Int(truncatingIfNeeded: hash) & (Self.slotCount - 1)
        if hashes[slot] == hash && Self.equal(texts[slot], bytes) { return texts[slot] }
        let text = String(decoding: bytes, as: UTF8.self)
        texts[slot] = text
        hashes[slot] = hash
        return text
    }

    /// A 64-bit hash of the bytes, eight at a time (FNV-1a's step on words). The tail shorter than a word is
    /// hashed as the last eight bytes (overlapping bytes hashed already: the length is in the seed, so equal tails
    /// of texts of different lengths do not make them collide), not byte by byte, which cost about as much as the
    /// words before it for a typical text of 20 to 40 bytes; only a text shorter than a word is hashed bytewise.
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bytes.count)
        var index = 0
        while index + 8 <= bytes.count {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0x0000_0100_0000_01B3
            hash ^= hash >> 29
            index += 8
        }
        if index < bytes.count && bytes.count >= 8 {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self)) &* 0x0000_0100_0000_01B3
            hash ^= hash >> 29
            return hash == 0 ? 1 : hash
        }
        while index < bytes.count {
            hash = (hash ^ UInt64(bytes[index])) &* 0x0000_0100_0000_01B3
            index += 1
        }
        // 0 marks an empty slot.
        return hash == 0 ? 1 : hash
    }

    /// True when `text` holds exactly these bytes (compared eight at a time).
    private static func equal(_ text: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { stored in
            guard stored.count == bytes.count else { return false }
            let kept = UnsafeRawBufferPointer(stored)
            var index = 0
            while index + 8 <= bytes.count {
                if kept.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    != bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                {
                    return false
                }
                index += 8
            }
            if index < bytes.count && bytes.count >= 8 {
                // The tail as the final eight bytes (overlapping bytes already compared).
                return kept.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self)
                    == bytes.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self)
            }
            while index < bytes.count {
                if kept[index] != bytes[index] { return false }
                index += 1
            }
            return true
        } ?? false
    }
}
