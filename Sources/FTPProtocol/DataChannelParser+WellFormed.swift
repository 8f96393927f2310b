import NetworkTypes

/// The common case of PORT and EPRT read straight from the argument's bytes: a well-formed announcement gives its
/// endpoint without splitting into arrays of substrings. Anything else returns nil, and the general parser (which
/// names what is wrong) takes over, so both paths accept exactly the same arguments.
extension DataChannelParser {
    /// `h1,h2,h3,h4,p1,p2` (RFC 959 section 4.1.2), each field 1 to 3 digits up to 255, spaces and tabs allowed
    /// around a field.
    static func wellFormedPORT(_ bytes: UnsafeBufferPointer<UInt8>) -> AnnouncedEndpoint? {
        var numbers: UInt64 = 0  // the six fields, eight bits each, first field highest
        var index = 0
        for field in 0..<6 {
            while index < bytes.count && isBlank(bytes[index]) { index += 1 }
            var value: UInt32 = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                guard digits < 3 else { return nil }
                value = value * 10 + UInt32(bytes[index] - 0x30)
                digits += 1
                index += 1
            }
            guard digits >= 1, value <= 255 else { return nil }
            while index < bytes.count && isBlank(bytes[index]) { index += 1 }
            numbers = numbers << 8 | UInt64(value)
            if field < 5 {
                guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else { return nil }
                index += 1
            }
        }
        guard index == bytes.count else { return nil }
        return sixNumberEndpoint(numbers)
    }

    /// `<d><af><d><address><d><port><d>` (RFC 2428 section 2) with family 1 or 2 and an address of that family.
    static func wellFormedEPRT(_ bytes: UnsafeBufferPointer<UInt8>) -> AnnouncedEndpoint? {
        var start = 0
        var end = bytes.count
        while start < end && isBlank(bytes[start]) { start += 1 }
        while end > start && isBlank(bytes[end - 1]) { end -= 1 }
        guard end - start >= 4 else { return nil }
        let delimiter = bytes[start]
        guard delimiter >= 33, delimiter <= 126, bytes[end - 1] == delimiter else { return nil }
        // The three delimiters inside: exactly two more between the first and the last.
        var marks = (0, 0)
        var found = 0
        for index in (start + 1)..<(end - 1) where bytes[index] == delimiter {
            found += 1
            if found == 1 { marks.0 = index } else if found == 2 { marks.1 = index } else { return nil }
        }
        guard found == 2, marks.0 == start + 2 else { return nil }
        let wantsV4: Bool
        switch bytes[start + 1] {
        case UInt8(ascii: "1"): wantsV4 = true
        case UInt8(ascii: "2"): wantsV4 = false
        default: return nil
        }
        let portStart = marks.1 + 1
        let portEnd = end - 1
        guard portEnd > portStart, portEnd - portStart <= 5 else { return nil }
        var port: UInt32 = 0
        for index in portStart..<portEnd {
            guard bytes[index] >= 0x30, bytes[index] <= 0x39 else { return nil }
            port = port * 10 + UInt32(bytes[index] - 0x30)
        }
        guard port <= 65535,
            let host = IPAddress(utf8: UnsafeBufferPointer(rebasing: bytes[(marks.0 + 1)..<marks.1])),
            host.isIPv4 == wantsV4
        else { return nil }
        return host.isUnspecified
            ? AnnouncedEndpoint(host: nil, port: UInt16(port), hostWasUnspecified: true)
            : AnnouncedEndpoint(host: host, port: UInt16(port))
    }

    /// A 227 reply whose first run of numbers is `h1,h2,h3,h4,p1,p2` (spaces allowed around the commas), the
    /// run the general scan would try first and accept. Any other shape (a lone number or a signed one before
    /// it, a seventh field) is left to the scan.
    static func wellFormed227(_ text: UnsafeBufferPointer<UInt8>) -> AnnouncedEndpoint? {
        let count = min(text.count, maxScannedLength)
        var index = 0
        while index < count && !isDigit(text[index]) {
            if text[index] == UInt8(ascii: "-") && index + 1 < count && isDigit(text[index + 1]) { return nil }
            index += 1
        }
        var numbers: UInt64 = 0  // the six fields, eight bits each, first field highest
        for field in 0..<6 {
            var value: UInt32 = 0
            var digits = 0
            while index < count && isDigit(text[index]) {
                guard digits < 3 else { return nil }
                value = value * 10 + UInt32(text[index] - 0x30)
                digits += 1
                index += 1
            }
            guard digits > 0, value <= 255 else { return nil }
            numbers = numbers << 8 | UInt64(value)
            while index < count && text[index] == 0x20 { index += 1 }
            let comma = index < count && text[index] == UInt8(ascii: ",")
            if field == 5 { guard !comma else { return nil } } else {
                guard comma else { return nil }
                index += 1
                while index < count && text[index] == 0x20 { index += 1 }
            }
        }
        return sixNumberEndpoint(numbers)
    }

    /// A 229 reply whose first `(` opens `(<d><d><d><port><d>)` (RFC 2428 section 3), the candidate the
    /// general reading would try first and accept.
    static func wellFormed229(_ text: UnsafeBufferPointer<UInt8>) -> AnnouncedEndpoint? {
        let count = min(text.count, maxScannedLength)
        guard let open = text[0..<count].firstIndex(of: UInt8(ascii: "(")), open + 6 < count else { return nil }
        let delimiter = text[open + 1]
        guard delimiter >= 33, delimiter <= 126, !isDigit(delimiter), delimiter != UInt8(ascii: ")"),
            text[open + 2] == delimiter, text[open + 3] == delimiter
        else { return nil }
        var index = open + 4
        var port: UInt32 = 0
        while index < count && isDigit(text[index]) {
            guard index - (open + 4) < 5 else { return nil }
            port = port * 10 + UInt32(text[index] - 0x30)
            index += 1
        }
        guard index > open + 4, port <= 65535, index + 1 < count, text[index] == delimiter,
            text[index + 1] == UInt8(ascii: ")")
        else { return nil }
        return AnnouncedEndpoint(host: nil, port: UInt16(port))
    }

    /// The endpoint of RFC 959's `h1,h2,h3,h4,p1,p2`, packed eight bits a field (the unspecified address stands
    /// for the control peer).
    private static func sixNumberEndpoint(_ numbers: UInt64) -> AnnouncedEndpoint {
        let host = IPAddress.v4(UInt32(truncatingIfNeeded: numbers >> 16))
        let port = UInt16(truncatingIfNeeded: numbers)
        return host.isUnspecified
            ? AnnouncedEndpoint(host: nil, port: port, hostWasUnspecified: true)
            : AnnouncedEndpoint(host: host, port: port)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
}
