/// What the first bytes of an input say it is.
enum FileFormat: Equatable {
    /// Classic pcap; `nanosecond` for the a1b23c4d magic.
    case pcap(nanosecond: Bool)
    /// pcapng; `nanosecond` when the first interface's `if_tsresol` is finer than microseconds.
    case pcapng(nanosecond: Bool)
    /// Not a capture libpcap reads.
    case other

    /// Classifies the first bytes of a (decompressed) input.
    static func sniff(_ bytes: [UInt8]) -> FileFormat {
        guard bytes.count >= 4 else { return .other }
        let big = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
        switch big {
        case 0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_CD34, 0x34CD_B2A1: return .pcap(nanosecond: false)
        case 0xA1B2_3C4D, 0x4D3C_B2A1: return .pcap(nanosecond: true)
        case 0x0A0D_0D0A: return .pcapng(nanosecond: pcapngFirstInterfaceIsFine(bytes))
        default: return .other
        }
    }

    /// Reads the `if_tsresol` option of the first Interface Description Block, when it lies within
    /// `bytes`; true when it is finer than a microsecond.
    static func pcapngFirstInterfaceIsFine(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 12 else { return false }
        let littleEndian: Bool
        switch (bytes[8], bytes[9], bytes[10], bytes[11]) {
        case (0x4D, 0x3C, 0x2B, 0x1A): littleEndian = true
        case (0x1A, 0x2B, 0x3C, 0x4D): littleEndian = false
        default: return false
        }
        func u32(_ at: Int) -> Int? {
            guard at >= 0, at + 4 <= bytes.count else { return nil }
            let b = (UInt32(bytes[at]), UInt32(bytes[at + 1]), UInt32(bytes[at + 2]), UInt32(bytes[at + 3]))
            return Int(littleEndian ? b.3 << 24 | b.2 << 16 | b.1 << 8 | b.0 : b.0 << 24 | b.1 << 16 | b.2 << 8 | b.3)
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= bytes.count else { return nil }
            let b = (UInt16(bytes[at]), UInt16(bytes[at + 1]))
            return Int(littleEndian ? b.1 << 8 | b.0 : b.0 << 8 | b.1)
        }
        // Walk blocks after the section header until the first IDB (type 1).
        guard var offset = u32(4), offset >= 28 else { return false }
        while let type = u32(offset), let length = u32(offset + 4), length >= 12, length % 4 == 0 {
            if type == 1 {
                let end = offset + length - 4
                var option = offset + 16
                while let code = u16(option), let optionLength = u16(option + 2), code != 0 {
                    if code == 9, optionLength >= 1, option + 4 < end, option + 4 < bytes.count {
                        let value = bytes[option + 4]
                        let exponent = Int(value & 0x7F)
                        return value & 0x80 == 0 ? exponent > 6 : exponent >= 20
                    }
                    option += 4 + (optionLength + 3) / 4 * 4
                    if option >= end { break }
                }
                return false
            }
            if type == 0x0A0D_0D0A { return false }
            offset += length
        }
        return false
    }

    /// `not a capture file (starts with 50 4b 03 04, a ZIP archive?)` and the like, for bytes that
    /// `sniff` classified as `.other`. `insideGzip` words it for decompressed data.
    static func describeNonCapture(_ bytes: [UInt8], insideGzip: Bool) -> String {
        if bytes.isEmpty {
            return insideGzip ? "gzip-compressed, but empty inside" : "empty file"
        }
        if bytes.count < 4 {
            let what = "too short to be a capture file (\(bytes.count) byte\(bytes.count == 1 ? "" : "s"))"
            return insideGzip ? "gzip-compressed, but " + what : what
        }
        let hex = bytes.prefix(4).map { hexByte($0) }.joined(separator: " ")
        var text = "starts with " + hex
        if let name = knownName(bytes) { text += ", " + name }
        return insideGzip
            ? "gzip-compressed, but not a capture file (decompressed data \(text))"
            : "not a capture file (\(text))"
    }

    static func hexByte(_ byte: UInt8) -> String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }

    /// A guess at what the file is, from its magic number.
    static func knownName(_ bytes: [UInt8]) -> String? {
        func starts(_ magic: [UInt8]) -> Bool { bytes.count >= magic.count && Array(bytes.prefix(magic.count)) == magic }
        if starts([0x1F, 0x8B]) { return "gzip data?" }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return "a ZIP archive?" }
        if starts([0x7F, 0x45, 0x4C, 0x46]) { return "an ELF executable?" }
        if starts([0x42, 0x5A, 0x68]) { return "bzip2-compressed? decompress it first" }
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A]) { return "xz-compressed? decompress it first" }
        if starts([0x28, 0xB5, 0x2F, 0xFD]) { return "zstd-compressed? decompress it first" }
        if starts([0x25, 0x50, 0x44, 0x46]) { return "a PDF document?" }
        if starts(Array("snoop".utf8)) { return "a snoop capture? convert it with editcap" }
        if starts([0x0A, 0x0D, 0x0D, 0x0A]) { return "pcapng" }
        let sample = bytes.prefix(64)
        if sample.allSatisfy({ ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            return "text?"
        }
        return nil
    }
}
