import Crypto
import Foundation
import TestSupport
import Testing

@testable import CommunityID

/// The single-block SHA-1 against swift-crypto's `Insecure.SHA1` (BoringSSL's SHA-1): an implementation from
/// outside the project, so a slip in the padding, the schedule or a round constant cannot agree with itself.
/// Both compressions are checked where the CPU has the SHA extensions; where it has not, the portable one alone,
/// and `hardwarePathCoverage` says so.
@Suite struct SingleBlockSHA1Tests {
    /// The compressions this CPU can run: the portable one always, the hardware one where CPUID reports it.
    private var implementations: [SingleBlockSHA1.Implementation] {
        SingleBlockSHA1.hardwareAvailable ? [.hardware, .portable] : [.portable]
    }

    /// Our digest of `message` (at most 55 bytes), through the same 64-byte block the Community ID uses, with the
    /// compression `hash(_:length:)` picks, or with `implementation`.
    private func ours(_ message: [UInt8], using implementation: SingleBlockSHA1.Implementation? = nil) -> [UInt8] {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { block in
            // Garbage after the message: the padding must overwrite it, not rely on zeros.
            for index in 0 ..< 64 { block[index] = 0xA5 }
            for (index, byte) in message.enumerated() { block[index] = byte }
            if let implementation {
                SingleBlockSHA1.hash(block.baseAddress!, length: message.count, using: implementation)
            } else {
                SingleBlockSHA1.hash(block.baseAddress!, length: message.count)
            }
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
                let expected = reference(message)
                #expect(ours(message) == expected, "length \(length): \(message)")
                for implementation in implementations {
                    #expect(ours(message, using: implementation) == expected, "\(implementation), length \(length)")
                }
            }
        }
    }

    /// The hardware and the portable compression give the same digest for every message length, with bytes that
    /// differ from position to position and from message to message (each length's messages also differ in one
    /// byte, so a lane or word-order slip in either shows).
    @Test func hardwareAndPortableAgreeOnEveryLength() {
        #expect(
            implementations.contains(.portable),
            SingleBlockSHA1.hardwareAvailable
                ? "checked the hardware and the portable compression"
                : "this CPU has no SHA extensions: checked the portable compression only")
        var generator = SplitMix64(seed: 0xC0FF_EE51)
        for length in 0 ... SingleBlockSHA1.maximumLength {
            let base = (0 ..< length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            for position in 0 ..< max(length, 1) {
                var message = base
                if length > 0 { message[position] ^= UInt8(truncatingIfNeeded: position &* 37 &+ 1) }
                let expected = reference(message)
                let digests = implementations.map { ours(message, using: $0) }
                for (implementation, digest) in zip(implementations, digests) {
                    #expect(digest == expected, "\(implementation), length \(length), byte \(position) changed")
                }
            }
        }
    }

    #if os(Linux) && arch(x86_64)
        /// CPUID's answer agrees with the kernel's: /proc/cpuinfo lists `sha_ni` (with `ssse3`, `sse4_1`) exactly
        /// when the hardware compression can run, so its checks above are neither silently off on a CPU that has
        /// the extensions nor on one that has not.
        @Test func hardwareDetectionAgreesWithTheKernel() throws {
            let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
            let flagsLine = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
            let flags = Set(flagsLine.split(separator: " ").map(String.init))
            let kernelSays = flags.isSuperset(of: ["sha_ni", "ssse3", "sse4_1"])
            #expect(
                SingleBlockSHA1.hardwareAvailable == kernelSays,
                "/proc/cpuinfo says the SHA extensions are \(kernelSays ? "present" : "absent")")
        }
    #endif

    @Test func matchesSwiftCryptoOnUniformMessages() {
        // All-zero and all-one bytes: the padding's 0x80 and length must still be told apart from the message.
        for length in 0 ... SingleBlockSHA1.maximumLength {
            for byte: UInt8 in [0x00, 0x80, 0xFF] {
                let message = [UInt8](repeating: byte, count: length)
                for implementation in implementations {
                    #expect(
                        ours(message, using: implementation) == reference(message),
                        "\(implementation), length \(length) of \(byte)")
                }
            }
        }
    }

    @Test func fipsExamples() {
        // FIPS 180-2 appendix A.1 ("abc") and the well-known digest of the empty message.
        for implementation in implementations {
            #expect(ours(Array("abc".utf8), using: implementation) == hex("a9993e364706816aba3e25717850c26c9cd0d89d"))
            #expect(ours([], using: implementation) == hex("da39a3ee5e6b4b0d3255bfef95601890afd80709"))
        }
    }

    private func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.utf8)
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0 ..< $0 + 2], as: UTF8.self), radix: 16)!
        }
    }
}
