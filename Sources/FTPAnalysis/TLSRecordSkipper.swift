/// Follows TLS record framing (RFC 8446 section 5.1: type 20–23, version 3.x, 16-bit length) over a byte
/// stream, so a protected control channel can be skipped without decrypting it and the point where it stops
/// being TLS — after CCC (RFC 4217 section 12), when the channel returns to clear text — can be found.
struct TLSRecordSkipper {
    private var headerFill = 0
    private var lengthHigh: UInt8 = 0
    private var bodyRemaining = 0

    /// TLS records are at most 2^14 bytes plus expansion (RFC 8446 section 5.2).
    static let maxRecordLength = 16_384 + 2_048

    /// Consumes TLS records; returns the offset at which the bytes stop looking like TLS, or nil if all of
    /// `data` was TLS.
    mutating func consume(_ data: UnsafeRawBufferPointer) -> Int? {
        var index = 0
        while index < data.count {
            if bodyRemaining > 0 {
                let step = min(bodyRemaining, data.count - index)
                index += step
                bodyRemaining -= step
                continue
            }
            let byte = data[index]
            switch headerFill {
            case 0:
                guard (20...23).contains(byte) else { return index }
            case 1:
                guard byte == 3 else { return index }
            case 3:
                lengthHigh = byte
            case 4:
                let length = Int(lengthHigh) << 8 | Int(byte)
                guard length <= TLSRecordSkipper.maxRecordLength else { return index }
                bodyRemaining = length
                headerFill = -1
            default:
                break
            }
            headerFill += 1
            index += 1
        }
        return nil
    }
}
