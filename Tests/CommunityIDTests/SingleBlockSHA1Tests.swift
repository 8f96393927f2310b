import Crypto
import TestSupport
import Testing

@testable import CommunityID

/// The single-block SHA-1 against swift-crypto's `Insecure.SHA1` (BoringSSL's SHA-1): an implementation from
/// outside the project, so a slip in the padding, the schedule or a round constant cannot agree with itself.
@Suite struct SingleBlockSHA1Tests {
    /// Our digest of `message` (at most 55 bytes), through the same 64-byte block the Community ID uses.
    private func ours(_ message: [UInt8]) -> [UInt8] {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { block in
            // Garbage after the message: the padding must overwrite it, not rely on zeros.
            for index in 0 ..< 64 { block[index] = 0xA5 }
            for (index, byte) in message.enumerated() { block[index] = byte }
            SingleBlockSHA1.hash(block.baseAddress!, length: message.count)
            return Array(block[0 ..< SingleBlockSHA1.digestLength])
        }
    }

    private func reference(_ message: [UInt8]) -> [UInt8] {
        Array(Insecure.SHA1.hash(data: message))
    }

    @Test func matchesSwiftCryptoOnRandomMessagesOfEveryLength() {
        var generator = SplitMix64(seed: 0x5A1_0B10C)
        for length in 0 ... SingleBlockSHA1.maximumLength {
            for _ in 0 ..< 64 {
                let message = (0 ..< length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
                #expect(ours(message) == reference(message), "length \(length): \(message)")
            }
        }
    }

    @Test func matchesSwiftCryptoOnUniformMessages() {
        // All-zero and all-one bytes: the padding's 0x80 and length must still be told apart from the message.
        for length in 0 ... SingleBlockSHA1.maximumLength {
            for byte: UInt8 in [0x00, 0x80, 0xFF] {
                let message = [UInt8](repeating: byte, count: length)
                #expect(ours(message) == reference(message), "length \(length) of \(byte)")
            }
        }
    }

    @Test func fipsExamples() {
        // FIPS 180-2 appendix A.1 ("abc") and the well-known digest of the empty message.
        #expect(ours(Array("abc".utf8)) == hex("a9993e364706816aba3e25717850c26c9cd0d89d"))
        #expect(ours([]) == hex("da39a3ee5e6b4b0d3255bfef95601890afd80709"))
    }

    private func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.utf8)
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0 ..< $0 + 2], as: UTF8.self), radix: 16)!
        }
    }
}
