#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import FTPAnalysis
import NetworkTypes

/// The explanations of verdicts worded lately on this thread.
///
/// One failed transfer is worded three or four times: its timeline row, its place in the JSON document, and its
/// finding's row and entry when the session ends, each from the same `DataVerdict`. Wording is a pure function of
/// the verdict, and building its sentences (a few hundred characters of interpolation) cost about 10 000
/// instructions each time on the control-heavy benchmark.
///
/// A direct-mapped table of 1 024 slots, like `EndpointTextCache`: a cheap fingerprint of the verdict (its endpoints,
/// SYN count, reply code) picks the slot, and a full comparison confirms it, so a wrong answer is
/// impossible and a collision only costs a wording made again. Hashing the whole verdict, or scanning a list and
/// copying each entry to compare it, cost more than the wording saved. Each output thread keeps its own table
/// (thread-local storage): no lock, no plumbing through the sinks; fixed memory per thread.
final class WordingMemo {
    /// A verdict's explanation as bytes: the whole sentence (`CauseWording.Wording.sentence`) and where its three
    /// parts lie in it, so a `Wording` is cut from it when asked for. The writers read the sentence in place: made
    /// a `String` (allocated, copied, released when the slot was worded again) it cost about 2 000 instructions a
    /// failed transfer on the control-heavy benchmark, and the parts kept beside it three arrays more.
    struct Explanation {
        /// The sentence's UTF-8. Its storage stays with the slot: wording another verdict there writes over it,
        /// allocating only for a longer sentence than any the slot held.
        var bytes: [UInt8] = []
        /// False when the verdict has nothing to explain (`make` gave nil).
        var explains = false
        /// Where the parts lie in `bytes` (an empty part: an empty range).
        var opener = 0..<0
        var facts = 0..<0
        var why = 0..<0

        /// Writes `parts` over what the slot held: the parts that are not empty, with a space between each two.
        mutating func fill(with parts: CauseWording.Parts?) {
            bytes.removeAll(keepingCapacity: true)
            guard let parts else {
                explains = false
                (opener, facts, why) = (0..<0, 0..<0, 0..<0)
                return
            }
            explains = true
            bytes.reserveCapacity(parts.opener.count + parts.facts.count + parts.why.count + 2)
            opener = add(parts.opener)
            facts = add(parts.facts)
            why = add(parts.why)
        }

        private mutating func add(_ part: SentenceText) -> Range<Int> {
            guard !part.isEmpty else { return bytes.count..<bytes.count }
            if !bytes.isEmpty { bytes.append(UInt8(ascii: " ")) }
            let start = bytes.count
            part.withBytes { bytes.append(contentsOf: $0) }
            return start..<bytes.count
        }

        /// The parts as `CauseWording.Wording` makes them public; nil when there is nothing to explain.
        var wording: CauseWording.Wording? {
            guard explains else { return nil }
            func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
            return CauseWording.Wording(opener: text(opener), facts: text(facts), why: text(why))
        }
    }

    // 1 024 slots, not 256: the JSON document words a transfer when its session ends, after the timeline worded
    // it at its row, and at 256 slots one in five of those had been pushed out by then on the control-heavy
    // benchmark (each wording made again, 8 000 instructions). About 400 KB per output thread.
    private static let slotBits = 10
    private static let slotCount = 1 << slotBits
    // Three parallel tables read in place through their pointers (an optional entry struct was copied whole to
    // be compared). A slot's verdict and explanation are initialised once `filled` says so.
    private let filled: UnsafeMutablePointer<Bool>
    private let fingerprints: UnsafeMutablePointer<UInt64>
    private let verdicts: UnsafeMutablePointer<DataVerdict>
    private let explanations: UnsafeMutablePointer<Explanation>

    private init() {
        filled = .allocate(capacity: Self.slotCount)
        filled.initialize(repeating: false, count: Self.slotCount)
        fingerprints = .allocate(capacity: Self.slotCount)
        fingerprints.initialize(repeating: 0, count: Self.slotCount)
        verdicts = .allocate(capacity: Self.slotCount)
        explanations = .allocate(capacity: Self.slotCount)
    }

    deinit {
        for slot in 0..<Self.slotCount where filled[slot] {
            (verdicts + slot).deinitialize(count: 1)
            (explanations + slot).deinitialize(count: 1)
        }
        filled.deallocate()
        fingerprints.deallocate()
        verdicts.deallocate()
        explanations.deallocate()
    }

    /// `body` given the whole sentence explaining `verdict` (`CauseWording.diagnosis`) where it lies in the memo,
    /// made by `make` unless the verdict was worded lately; nil, without calling `body`, when there is nothing to
    /// explain. The bytes are valid only during `body`, which must not word another verdict.
    func withSentence<Result>(
        of verdict: DataVerdict, make: (DataVerdict) -> CauseWording.Parts?,
        _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result? {
        let explanation = explanations + slot(of: verdict, make: make)
        guard explanation.pointee.explains else { return nil }
        return explanation.pointee.bytes.withUnsafeBufferPointer(body)
    }

    /// The parts of the explanation of `verdict`, made by `make` unless the verdict was worded lately.
    func wording(of verdict: DataVerdict, make: (DataVerdict) -> CauseWording.Parts?) -> CauseWording.Wording? {
        explanations[slot(of: verdict, make: make)].wording
    }

    /// The slot holding the explanation of `verdict`, made there by `make` unless it was there already.
    private func slot(of verdict: DataVerdict, make: (DataVerdict) -> CauseWording.Parts?) -> Int {
        let fingerprint = Self.fingerprint(of: verdict)
        let slot = Int(truncatingIfNeeded: fingerprint >> (64 - UInt64(Self.slotBits)))
        if filled[slot] {
            if fingerprints[slot] == fingerprint,
                Self.sameBytes(verdicts + slot, verdict) || verdicts[slot] == verdict
            {
                return slot
            }
            // The explanation stays, to be written over in place (its buffer kept).
            (verdicts + slot).deinitialize(count: 1)
        } else {
            (explanations + slot).initialize(to: Explanation())
        }
        let parts = make(verdict)
        filled[slot] = true
        fingerprints[slot] = fingerprint
        (verdicts + slot).initialize(to: verdict)
        (explanations + slot).pointee.fill(with: parts)
        return slot
    }

    /// True when the stored verdict is `verdict` byte for byte: then it is the same value (the same strings, the
    /// same numbers), and wording being a pure function of the verdict, its wording is the same. The usual hit is
    /// the very verdict worded before, copied again from the same transfer (the JSON document after the timeline,
    /// a finding after its transfer): its bytes are the same, and comparing them is a tenth of `==` field by field
    /// (about 680 instructions on the control-heavy benchmark). Bytes that differ (padding, an equal string in
    /// another buffer) only send the comparison on to `==`.
    @inline(__always)
    private static func sameBytes(_ stored: UnsafePointer<DataVerdict>, _ verdict: borrowing DataVerdict) -> Bool {
        withUnsafePointer(to: verdict) { memcmp(stored, $0, MemoryLayout<DataVerdict>.size) == 0 }
    }

    /// Mixes what most often tells two verdicts apart; equal verdicts always have equal fingerprints.
    private static func fingerprint(of verdict: DataVerdict) -> UInt64 {
        let start =
            UInt64(truncatingIfNeeded: verdict.evidence.synAttempts) &* 0x1_0000
            &+ UInt64(truncatingIfNeeded: verdict.evidence.reply?.code ?? 0)
        return mix(mix(start, verdict.evidence.announced), verdict.evidence.observed)
    }

    private static func mix(_ mixed: UInt64, _ endpoint: Endpoint?) -> UInt64 {
        guard let endpoint else { return (mixed &+ 1) &* 0x9E37_79B9_7F4A_7C15 }
        var value = UInt64(endpoint.port)
        switch endpoint.address {
        case .v4(let address): value ^= UInt64(address) << 16
        case .v6(let high, let low): value ^= high ^ (low << 16) ^ (low >> 32)
        }
        return (mixed ^ value) &* 0x9E37_79B9_7F4A_7C15
    }

    /// This thread's memo, made on first use and released when the thread ends.
    static var current: WordingMemo {
        if let stored = pthread_getspecific(threadKey) {
            return Unmanaged<WordingMemo>.fromOpaque(stored).takeUnretainedValue()
        }
        let memo = WordingMemo()
        pthread_setspecific(threadKey, Unmanaged.passRetained(memo).toOpaque())
        return memo
    }
}

/// The thread-local slot of `WordingMemo.current`; its destructor releases a thread's memo when the thread exits.
private let threadKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { stored in
        guard let stored else { return }
        Unmanaged<WordingMemo>.fromOpaque(stored).release()
    }
    precondition(status == 0, "pthread_key_create failed")
    return key
}()
