import NetworkTypes

/// A sentence built by string interpolation straight into UTF-8 bytes, made a `String` once at the end.
///
/// The verdict explanations (`CauseWording`) are a few hundred characters of literals around endpoints, addresses
/// and numbers. Built as `String` interpolation, every literal piece went through the string's generic append
/// (about 430 instructions a piece), every endpoint and address through a `String` of its own: some 9 000
/// instructions a sentence, a twentieth of the output thread on the control-heavy benchmark. Here a literal is a
/// copy of its static bytes and an endpoint is written digit by digit where it goes. The text is the one
/// `String` interpolation gave: the same `description` of every value.
struct SentenceText: ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The UTF-8 written.
    var bytes: [UInt8]

    init(stringLiteral value: StaticString) {
        bytes = []
        value.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    init(stringInterpolation: Interpolation) { bytes = stringInterpolation.bytes }

    /// The text as a `String`.
    var string: String { String(decoding: bytes, as: UTF8.self) }

    /// The text, so that a sentence interpolated into a `String` reads as itself.
    var description: String { string }

    struct Interpolation: StringInterpolationProtocol {
        var bytes: [UInt8] = []

        init(literalCapacity: Int, interpolationCount: Int) {
            bytes.reserveCapacity(literalCapacity + 24 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: StaticString) {
            literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }

        mutating func appendInterpolation(_ text: String) {
            if text.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
                bytes.append(contentsOf: text.utf8)
            }
        }

        mutating func appendInterpolation(_ text: Substring) {
            if text.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
                bytes.append(contentsOf: text.utf8)
            }
        }

        /// A part made before, copied as bytes.
        mutating func appendInterpolation(_ text: SentenceText) { bytes.append(contentsOf: text.bytes) }

        /// As `description` writes it.
        mutating func appendInterpolation(_ endpoint: Endpoint) { endpoint.appendDescription(to: &bytes) }

        /// As `description` writes it.
        mutating func appendInterpolation(_ address: IPAddress) {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: IPAddress.maximumDescriptionLength) { buffer in
                let length = address.write(into: buffer.baseAddress!)
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<length]))
            }
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
                appendDecimal(value, to: &bytes)
            } else {
                appendInterpolation(String(number))
            }
        }
    }
}
