/// Big-endian field reads over borrowed packet bytes.
///
/// Every parser step checks that the bytes it is about to read are present before reading them; these readers
/// check again so that a missed check can never read outside the buffer. In debug builds (tests, fuzzing) a
/// missed check traps through `assertionFailure`, so it is found; in release builds it reads as zero, which the
/// parser's own length checks then reject.
struct PacketBytes {
    let buffer: UnsafeRawBufferPointer

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    /// Number of captured bytes.
    var count: Int { buffer.count }

    /// True when `length` bytes starting at `offset` are inside the buffer (overflow-safe).
    @inline(__always) func has(_ length: Int, at offset: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= buffer.count && length <= buffer.count &- offset
    }

    @inline(__always) func u8(_ offset: Int) -> UInt8 {
        guard has(1, at: offset) else {
            assertionFailure("unchecked read of 1 byte at \(offset) in \(buffer.count)")
            return 0
        }
        return buffer.load(fromByteOffset: offset, as: UInt8.self)
    }

    @inline(__always) func u16(_ offset: Int) -> UInt16 {
        guard has(2, at: offset) else {
            assertionFailure("unchecked read of 2 bytes at \(offset) in \(buffer.count)")
            return 0
        }
        return UInt16(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always) func u32(_ offset: Int) -> UInt32 {
        guard has(4, at: offset) else {
            assertionFailure("unchecked read of 4 bytes at \(offset) in \(buffer.count)")
            return 0
        }
        return UInt32(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always) func u64(_ offset: Int) -> UInt64 {
        guard has(8, at: offset) else {
            assertionFailure("unchecked read of 8 bytes at \(offset) in \(buffer.count)")
            return 0
        }
        return UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
