internal import CSHA1Block

/// SHA-1 (FIPS 180-4, section 6.1) of a message that fits one 512-bit block after padding: at most 55 bytes,
/// because padding adds a `0x80` byte and the 8-byte message length (section 5.1.1).
///
/// Why not swift-crypto's `Insecure.SHA1`: a Community ID hashes at most 40 bytes, and the general-purpose hasher
/// (context set-up, buffering, finalisation, the digest type) made an ID cost about 3 100 instructions; this one
/// compression takes about 1 500 of the 2 200 an ID costs now. SHA-1 is used because the Community ID spec
/// requires it, not for security.
///
/// The compression runs on the CPU's SHA extensions where it has them (C target CSHA1Block: about 20 `sha1rnds4`
/// and the message instructions instead of 80 steps in general-purpose registers), else in portable Swift below.
enum SingleBlockSHA1 {
    /// The longest message that still fits one block with its padding.
    static let maximumLength = 55
    /// The digest length in bytes (160 bits).
    static let digestLength = 20

    /// Which code runs the compression.
    enum Implementation: CaseIterable, Sendable {
        /// The x86 SHA extensions (CSHA1Block); only where `hardwareAvailable`.
        case hardware
        /// Section 6.1.2 in Swift, on any CPU.
        case portable
    }

    /// True when this CPU has the SHA extensions (CPUID, asked once and cached by CSHA1Block).
    static var hardwareAvailable: Bool { csha1_hardware_available() != 0 }

    /// Hashes the first `length` bytes of `block` (64 bytes, owned by the caller) and writes the 20-byte digest
    /// over `block[0 ..< 20]`. The rest of `block` is scratch: it is overwritten with the padding.
    static func hash(_ block: UnsafeMutableRawPointer, length: Int) {
        hash(block, length: length, using: hardwareAvailable ? .hardware : .portable)
    }

    /// `hash(_:length:)` with the compression chosen by the caller (the tests run both); `.hardware` only where
    /// `hardwareAvailable`.
    static func hash(_ block: UnsafeMutableRawPointer, length: Int, using implementation: Implementation) {
        precondition(length >= 0 && length <= maximumLength, "a single SHA-1 block holds at most 55 message bytes")
        // Section 5.1.1: a 1 bit, zeros up to 448 bits, then the message length in bits as a 64-bit big-endian
        // integer.
        block.storeBytes(of: 0x80, toByteOffset: length, as: UInt8.self)
        (block + length + 1).initializeMemory(as: UInt8.self, repeating: 0, count: 56 - (length + 1))
        block.storeBytes(of: (UInt64(length) &* 8).bigEndian, toByteOffset: 56, as: UInt64.self)
        switch implementation {
        case .hardware:
            precondition(hardwareAvailable, "this CPU has no SHA extensions")
            csha1_hardware_single_block(block, block)
        case .portable:
            compressPortably(block)
        }
    }

    /// Section 6.1.2 for the padded `block`, from the initial hash value; the digest over `block[0 ..< 20]`.
    private static func compressPortably(_ block: UnsafeMutableRawPointer) {
        // Section 6.1.2, step 1: the message schedule W_0 ... W_79, 320 bytes on the stack. (The 16-word variant of
        // section 6.1.3 saves memory but needs t mod 16 on every access, which measured slower.)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { schedule in
            let w = schedule.baseAddress!
            // Section 3.1: words are big-endian.
            for t in 0 ..< 16 {
                w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
            }
            for t in 16 ..< 80 {
                w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1)
            }
            // Section 5.3.1: the initial hash value.
            var a: UInt32 = 0x6745_2301
            var b: UInt32 = 0xEFCD_AB89
            var c: UInt32 = 0x98BA_DCFE
            var d: UInt32 = 0x1032_5476
            var e: UInt32 = 0xC3D2_E1F0

            /// Five steps of section 6.1.2, step 3, from step t, with f_t and K_t (sections 4.1.1 and 4.2.1).
            /// Instead of shifting a...e down by one after every step (T = ...; e = d; d = c; c = ROTL^30(b);
            /// b = a; a = T), each step writes T over the variable that would become e and rotates b in place,
            /// and the next step reads the roles one variable further on: after five steps every variable is
            /// back in its role, with no copies in between.
            @inline(__always) func fiveSteps(
                _ t: Int, _ k: UInt32, _ f: (UInt32, UInt32, UInt32) -> UInt32
            ) {
                e = e &+ rotl(a, 5) &+ f(b, c, d) &+ k &+ w[t]
                b = rotl(b, 30)
                d = d &+ rotl(e, 5) &+ f(a, b, c) &+ k &+ w[t + 1]
                a = rotl(a, 30)
                c = c &+ rotl(d, 5) &+ f(e, a, b) &+ k &+ w[t + 2]
                e = rotl(e, 30)
                b = b &+ rotl(c, 5) &+ f(d, e, a) &+ k &+ w[t + 3]
                d = rotl(d, 30)
                a = a &+ rotl(b, 5) &+ f(c, d, e) &+ k &+ w[t + 4]
                c = rotl(c, 30)
            }
            // Section 4.1.1: Ch for steps 0...19, Parity for 20...39, Maj for 40...59, Parity for 60...79.
            for t in stride(from: 0, to: 20, by: 5) { fiveSteps(t, 0x5A82_7999) { x, y, z in (x & y) ^ (~x & z) } }
            for t in stride(from: 20, to: 40, by: 5) { fiveSteps(t, 0x6ED9_EBA1) { x, y, z in x ^ y ^ z } }
            for t in stride(from: 40, to: 60, by: 5) {
                fiveSteps(t, 0x8F1B_BCDC) { x, y, z in (x & y) ^ (x & z) ^ (y & z) }
            }
            for t in stride(from: 60, to: 80, by: 5) { fiveSteps(t, 0xCA62_C1D6) { x, y, z in x ^ y ^ z } }

            // Step 4 added to the initial hash value; the digest is H0 ... H4, big-endian (section 6.1.2).
            block.storeBytes(of: (0x6745_2301 &+ a).bigEndian, toByteOffset: 0, as: UInt32.self)
            block.storeBytes(of: (0xEFCD_AB89 &+ b).bigEndian, toByteOffset: 4, as: UInt32.self)
            block.storeBytes(of: (0x98BA_DCFE &+ c).bigEndian, toByteOffset: 8, as: UInt32.self)
            block.storeBytes(of: (0x1032_5476 &+ d).bigEndian, toByteOffset: 12, as: UInt32.self)
            block.storeBytes(of: (0xC3D2_E1F0 &+ e).bigEndian, toByteOffset: 16, as: UInt32.self)
        }
    }

    /// ROTL^n(x), section 3.2.
    @inline(__always) static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 {
        x << n | x >> (32 - n)
    }
}
