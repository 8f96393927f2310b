/// Reading addresses from text: dotted-quad IPv4 and RFC 4291 section 2.2 IPv6, from the UTF-8 bytes.
///
/// Byte by byte, without splitting into substrings: EPRT and 229 announcements carry an address in every data
/// command of an active session, and the substring version spent more on generic metadata and arrays than on
/// the digits.
extension IPAddress {
    /// Parses dotted-quad IPv4 or RFC 4291 text IPv6 (with `::` and an embedded IPv4 tail); nil if invalid.
    public init?(_ text: some StringProtocol) {
        var text = String(text)  // no copy for a String; the byte readers below are the hot path's
        guard let address = text.withUTF8({ IPAddress(utf8: $0) }) else { return nil }
        self = address
    }

    /// Parses an address from its UTF-8 text; nil if it is neither form.
    public init?(utf8 text: UnsafeBufferPointer<UInt8>) {
        if let v4 = IPAddress.parseV4(text, 0, text.count) {
            self = .v4(v4)
        } else if let (high, low) = IPAddress.parseV6(text) {
            self = .v6(high, low)
        } else {
            return nil
        }
    }

    /// Four decimal octets of 1 to 3 digits each (leading zeros allowed), separated by dots.
    static func parseV4(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt32? {
        var value: UInt32 = 0
        var octets = 0
        var index = start
        while true {
            var octet: UInt32 = 0
            var digits = 0
            while index < end, let digit = decimalDigit(text[index]) {
                octet = octet * 10 + digit
                digits += 1
                index += 1
                if digits > 3 { return nil }
            }
            guard digits > 0, octet <= 255 else { return nil }
            value = value << 8 | octet
            octets += 1
            if index == end { return octets == 4 ? value : nil }
            guard text[index] == UInt8(ascii: "."), octets < 4 else { return nil }
            index += 1
        }
    }

    /// Eight groups of 1 to 4 hex digits, one run of zero groups possibly written `::`, and possibly an IPv4
    /// tail in place of the last two groups.
    static func parseV6(_ text: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        guard text.count <= 45, text.contains(UInt8(ascii: ":")) else { return nil }
        var gap: Int?  // where `::` starts
        var index = 0
        while index + 1 < text.count {
            if text[index] == UInt8(ascii: ":") && text[index + 1] == UInt8(ascii: ":") {
                guard gap == nil, index + 2 >= text.count || text[index + 2] != UInt8(ascii: ":") else { return nil }
                gap = index
                index += 2
                continue
            }
            index += 1
        }
        var groups = InlineArray<8, UInt16>(repeating: 0)
        if let gap {
            var tail = InlineArray<8, UInt16>(repeating: 0)
            guard let head = parseGroups(text, 0, gap, allowV4Tail: false, into: &groups),
                let tailCount = parseGroups(text, gap + 2, text.count, allowV4Tail: true, into: &tail),
                head + tailCount <= 7
            else { return nil }
            for offset in 0..<tailCount { groups[8 - tailCount + offset] = tail[offset] }
        } else {
            guard parseGroups(text, 0, text.count, allowV4Tail: true, into: &groups) == 8 else { return nil }
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for group in 0..<4 {
            high = high << 16 | UInt64(groups[group])
            low = low << 16 | UInt64(groups[group + 4])
        }
        return (high, low)
    }

    /// Reads the colon-separated groups of `text[start..<end]` into `groups` from its start; returns how many
    /// (an IPv4 tail counts two), or nil when a group is empty, too long, not hex, or there are more than 8.
    private static func parseGroups(
        _ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, allowV4Tail: Bool,
        into groups: inout InlineArray<8, UInt16>
    ) -> Int? {
        if start == end { return 0 }
        var count = 0
        var pieceStart = start
        while true {
            var pieceEnd = pieceStart
            var hasDot = false
            while pieceEnd < end && text[pieceEnd] != UInt8(ascii: ":") {
                if text[pieceEnd] == UInt8(ascii: ".") { hasDot = true }
                pieceEnd += 1
            }
            let isLast = pieceEnd == end
            if allowV4Tail && isLast && hasDot {
                guard count <= 6, let v4 = parseV4(text, pieceStart, pieceEnd) else { return nil }
                groups[count] = UInt16(truncatingIfNeeded: v4 >> 16)
                groups[count + 1] = UInt16(truncatingIfNeeded: v4)
                count += 2
            } else {
                guard count < 8, pieceEnd > pieceStart, pieceEnd - pieceStart <= 4 else { return nil }
                var group: UInt16 = 0
                for position in pieceStart..<pieceEnd {
                    guard let digit = hexDigit(text[position]) else { return nil }
                    group = group << 4 | digit
                }
                groups[count] = group
                count += 1
            }
            if isLast { return count }
            pieceStart = pieceEnd + 1
        }
    }

    private static func decimalDigit(_ byte: UInt8) -> UInt32? {
        byte >= 0x30 && byte <= 0x39 ? UInt32(byte - 0x30) : nil
    }

    private static func hexDigit(_ byte: UInt8) -> UInt16? {
        switch byte {
        case 0x30...0x39: return UInt16(byte - 0x30)
        case 0x41...0x46: return UInt16(byte - 0x41 + 10)
        case 0x61...0x66: return UInt16(byte - 0x61 + 10)
        default: return nil
        }
    }
}
