import NetworkTypes

/// Why a data-channel announcement could not be read. Malformed announcements are data for the detectors.
public enum AnnouncementError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No numbers (or no recognisable announcement) at all.
    case missingNumbers
    /// The list has this many fields where the form needs another count.
    case wrongFieldCount(Int)
    /// A field that is not a number in 0...255 (negative, too large, empty, not digits); the field as sent.
    case numberOutOfRange(String)
    /// An EPRT/EPSV delimiter outside ASCII 33...126, or delimiters that do not frame the fields.
    case badDelimiter
    /// An address family other than 1/2 (EPRT, 229) or 4/6 (LPRT, 228); the value as sent.
    case badAddressFamily(String)
    /// An address that does not parse or does not match its family (for LPRT, a bad host length); as sent.
    case badAddress(String)
    /// A port that is not a number in 0...65535 (for LPRT, a port length other than 2); as sent.
    case badPort(String)

    /// A short English explanation.
    public var description: String {
        switch self {
        case .missingNumbers: return "no address and port in the announcement"
        case .wrongFieldCount(let count): return "wrong number of fields (\(count))"
        case .numberOutOfRange(let field): return "field \"\(field)\" is not a number in 0-255"
        case .badDelimiter: return "bad or missing delimiter"
        case .badAddressFamily(let family): return "unknown address family \"\(family)\""
        case .badAddress(let address): return "bad address \"\(address)\""
        case .badPort(let port): return "bad port \"\(port)\""
        }
    }
}

/// An endpoint announced for a data connection by PORT/EPRT/LPRT or a 227/228/229 reply.
public struct AnnouncedEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The announced host; nil means "the control connection's peer": the 229 form without an address
    /// (RFC 2428 section 3), or an unspecified address (`0.0.0.0`, `::`) sent literally (see `hostWasUnspecified`).
    public var host: IPAddress?
    /// The announced port.
    public var port: UInt16
    /// True when `0.0.0.0` or `::` was sent literally (some servers behind NAT do this in 227 to mean "my
    /// control address"); `host` is then nil.
    public var hostWasUnspecified: Bool

    /// Creates an announced endpoint.
    public init(host: IPAddress?, port: UInt16, hostWasUnspecified: Bool = false) {
        self.host = host
        self.port = port
        self.hostWasUnspecified = hostWasUnspecified
    }

    /// The endpoint to expect a connection to, taking `controlPeer` when no host was announced.
    public func endpoint(controlPeer: IPAddress) -> Endpoint {
        Endpoint(address: host ?? controlPeer, port: port)
    }

    /// `192.0.2.1:1234`, `[2001:db8::1]:1234`, or `*:1234` when the host is the control peer.
    public var description: String {
        guard let host else { return "*:\(port)" }
        return Endpoint(address: host, port: port).description
    }
}

/// Parsers for data-channel announcements: RFC 959 PORT and 227, RFC 2428 EPRT and 229, RFC 1639 LPRT and 228.
///
/// Tolerant where real implementations vary (spaces, where the numbers sit in reply text), strict about
/// values: every number is range-checked, so garbage yields an `AnnouncementError`, never a wrong endpoint.
public enum DataChannelParser {
    /// Longest text the reply scanners look at; announcements sit in the first few dozen characters.
    public static let maxScannedLength = 1024

    /// PORT `h1,h2,h3,h4,p1,p2` (RFC 959 section 4.1.2); spaces around the numbers are tolerated.
    public static func parsePORT(_ argument: String) -> Result<AnnouncedEndpoint, AnnouncementError> {
        var text = argument
        if let endpoint = text.withUTF8(wellFormedPORT) { return .success(endpoint) }
        return generalPORT(argument)
    }

    /// `parsePORT` without the fast path: the reading that names what is wrong.
    static func generalPORT(_ argument: String) -> Result<AnnouncedEndpoint, AnnouncementError> {
        let fields = argument.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        if fields.count == 1 && trimmed(fields[0]).isEmpty { return .failure(.missingNumbers) }
        guard fields.count == 6 else { return .failure(.wrongFieldCount(fields.count)) }
        var octets: [UInt8] = []
        octets.reserveCapacity(6)
        for field in fields {
            switch octet(field) {
            case .success(let value): octets.append(value)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(endpointV4(octets))
    }

    /// 227 reply text: the first run of six comma-separated numbers anywhere in it.
    ///
    /// RFC 959 does not fix the format of the 227 text (RFC 1123 section 4.1.2.6 warns clients to scan for the
    /// numbers), so `Entering Passive Mode (h1,...,p2).`, `=h1,...,p2`, bare numbers, spaces after commas and a
    /// leading `227 ` code are all accepted. A run that is not six valid numbers is skipped in favour of a later
    /// valid one; if none is valid, the first six-field run's error (or the first run's count) is reported.
    public static func parse227(_ text: String) -> Result<AnnouncedEndpoint, AnnouncementError> {
        var reply = text
        if let endpoint = reply.withUTF8(wellFormed227) { return .success(endpoint) }
        return general227(text)
    }

    /// `parse227` without the fast path: the reading that names what is wrong.
    static func general227(_ text: String) -> Result<AnnouncedEndpoint, AnnouncementError> {
        scanRuns(text) { fields in
            guard fields.count == 6 else { return .failure(.wrongFieldCount(fields.count)) }
            var octets: [UInt8] = []
            for field in fields {
                switch octet(field[...]) {
                case .success(let value): octets.append(value)
                case .failure(let error): return .failure(error)
                }
            }
            return .success(endpointV4(octets))
        }
    }

    /// EPRT `<d>proto<d>address<d>port<d>` (RFC 2428 section 2): `d` is any character in ASCII 33...126,
    /// proto 1 is IPv4 and 2 is IPv6, and the address must be of that family.
    public static func parseEPRT(_ argument: String) -> Result<AnnouncedEndpoint, AnnouncementError> {
        var text = argument
        if let endpoint = text.withUTF8(wellFormedEPRT) { return .success(endpoint) }
        return generalEPRT(argument)
    }

    /// `parseEPRT` without the fast path: the reading that names what is wrong.
    static func generalEPRT(_ argument: String) -> Result<AnnouncedEndpoint, AnnouncementError> {
        let bytes = trimmed(argument.utf8[...])
        guard let delimiter = bytes.first else { return .failure(.missingNumbers) }
        guard isDelimiter(delimiter) else { return .failure(.badDelimiter) }
        let fields = bytes.split(separator: delimiter, omittingEmptySubsequences: false)
        if let error = framingError(fields) { return .failure(error) }
        return extendedEndpoint(
            family: string(fields[1]), address: string(fields[2]), port: string(fields[3]), addressRequired: true)
    }

    /// 229 reply text `(<d><d><d>port<d>)` (RFC 2428 section 3), any delimiter; also the full form
    /// `(<d>proto<d>address<d>port<d>)` a few servers send. An empty address means "the control peer".
    ///
    /// The parenthesised form is looked for first; without parentheses, the first `<d><d><d>digits<d>` run.
    public static func parse229(_ text: String) -> Result<AnnouncedEndpoint, AnnouncementError> {
        var reply = text
        if let endpoint = reply.withUTF8(wellFormed229) { return .success(endpoint) }
        return general229(text)
    }

    /// `parse229` without the fast path: the reading that names what is wrong.
    static func general229(_ text: String) -> Result<AnnouncedEndpoint, AnnouncementError> {
        let bytes = Array(text.utf8.prefix(maxScannedLength))
        var firstError: AnnouncementError?
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "("), index + 1 < bytes.count {
                let delimiter = bytes[index + 1]
                var close = index + 1
                while close < bytes.count && bytes[close] != UInt8(ascii: ")") { close += 1 }
                let inner = bytes[(index + 1)..<close]
                let result = extendedFromInner(inner, delimiter: delimiter)
                if case .success = result { return result }
                if firstError == nil, case .failure(let error) = result { firstError = error }
            }
            index += 1
        }
        // No parentheses (or none that worked): look for "<d><d><d>" followed by digits and "<d>".
        index = 0
        while index + 4 < bytes.count {
            let delimiter = bytes[index]
            if isDelimiter(delimiter), !isDigit(delimiter), bytes[index + 1] == delimiter, bytes[index + 2] == delimiter {
                var end = index + 3
                while end < bytes.count && isDigit(bytes[end]) { end += 1 }
                if end > index + 3, end < bytes.count, bytes[end] == delimiter {
                    return extendedFromInner(bytes[index...end], delimiter: delimiter)
                }
            }
            index += 1
        }
        return .failure(firstError ?? .missingNumbers)
    }

    /// LPRT `af,hal,h1,...,pal,p1,p2` (RFC 1639 section 2): af 4 with hal 4, af 6 with hal 16; pal 2.
    public static func parseLPRT(_ argument: String) -> Result<AnnouncedEndpoint, AnnouncementError> {
        let fields = argument.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        if fields.count == 1 && trimmed(fields[0]).isEmpty { return .failure(.missingNumbers) }
        return longEndpoint(fields)
    }

    /// 228 reply text (the LPSV reply, RFC 1639 section 2): `Entering Long Passive Mode (af,hal,h...,pal,p...)`;
    /// the first comma-separated run of numbers that forms a valid long address.
    public static func parse228(_ text: String) -> Result<AnnouncedEndpoint, AnnouncementError> {
        scanRuns(text) { fields in longEndpoint(fields) }
    }

    /// True for the argument of `EPSV ALL` (RFC 2428 section 4), after which PORT/EPRT/LPRT/PASV are refused.
    public static func isEPSVAll(_ argument: String) -> Bool {
        // Nearly every EPSV has no argument, or a protocol number: shorter than `ALL`, judged without the
        // trimming below (a few hundred instructions per EPSV answered).
        if argument.utf8.count < 3 { return false }
        let bytes = trimmed(argument.utf8[...])
        return bytes.count == 3 && bytes.map { $0 & 0xDF }.elementsEqual("ALL".utf8)
    }

    // MARK: - Shared pieces

    private static func endpointV4(_ octets: [UInt8]) -> AnnouncedEndpoint {
        let host = IPAddress.v4(octets[0], octets[1], octets[2], octets[3])
        let port = UInt16(octets[4]) << 8 | UInt16(octets[5])
        return host.isUnspecified
            ? AnnouncedEndpoint(host: nil, port: port, hostWasUnspecified: true)
            : AnnouncedEndpoint(host: host, port: port)
    }

    /// The RFC 1639 layout, from already-split fields.
    private static func longEndpoint<C: BidirectionalCollection<UInt8>>(_ fields: [C]) -> Result<
        AnnouncedEndpoint, AnnouncementError
    > {
        var numbers: [UInt8] = []
        numbers.reserveCapacity(fields.count)
        for field in fields {
            switch octet(field) {
            case .success(let value): numbers.append(value)
            case .failure(let error): return .failure(error)
            }
        }
        guard numbers.count >= 2 else { return .failure(.wrongFieldCount(numbers.count)) }
        let family = numbers[0]
        let hostLength = Int(numbers[1])
        switch (family, hostLength) {
        case (4, 4), (6, 16): break
        case (4, _), (6, _): return .failure(.badAddress("host length \(hostLength)"))
        default: return .failure(.badAddressFamily(String(family)))
        }
        guard numbers.count > 2 + hostLength else { return .failure(.wrongFieldCount(numbers.count)) }
        let portLength = Int(numbers[2 + hostLength])
        guard portLength == 2 else { return .failure(.badPort("port length \(portLength)")) }
        guard numbers.count == 3 + hostLength + portLength else { return .failure(.wrongFieldCount(numbers.count)) }
        guard let host = IPAddress(networkBytes: numbers[2..<(2 + hostLength)]) else {
            return .failure(.badAddress("host length \(hostLength)"))
        }
        let port = UInt16(numbers[3 + hostLength]) << 8 | UInt16(numbers[4 + hostLength])
        return host.isUnspecified
            ? .success(AnnouncedEndpoint(host: nil, port: port, hostWasUnspecified: true))
            : .success(AnnouncedEndpoint(host: host, port: port))
    }

    /// Reads the text between 229's parentheses: `|||port|` or `|proto|address|port|`.
    private static func extendedFromInner(_ inner: ArraySlice<UInt8>, delimiter: UInt8) -> Result<
        AnnouncedEndpoint, AnnouncementError
    > {
        guard isDelimiter(delimiter) else { return .failure(.badDelimiter) }
        let fields = inner.split(separator: delimiter, omittingEmptySubsequences: false)
        if let error = framingError(fields) { return .failure(error) }
        return extendedEndpoint(
            family: string(fields[1]), address: string(fields[2]), port: string(fields[3]), addressRequired: false)
    }

    /// Checks the RFC 2428 framing: `|1|a|p|` splits into `""`, `1`, `a`, `p`, `""`, so the opening and the
    /// closing delimiter must both be present and exactly three fields sit between them.
    private static func framingError<C: Collection>(_ pieces: [C]) -> AnnouncementError? {
        guard pieces.count >= 2, let first = pieces.first, first.isEmpty, let last = pieces.last, last.isEmpty else {
            return .badDelimiter
        }
        return pieces.count == 5 ? nil : .wrongFieldCount(pieces.count - 2)
    }

    /// The RFC 2428 fields, shared by EPRT and 229.
    private static func extendedEndpoint(family: String, address: String, port portText: String, addressRequired: Bool)
        -> Result<AnnouncedEndpoint, AnnouncementError>
    {
        guard let port = portNumber(portText) else { return .failure(.badPort(portText)) }
        if address.isEmpty && !addressRequired {
            // 229 leaves family and address empty: the server's control address (RFC 2428 section 3).
            guard family.isEmpty || family == "1" || family == "2" else { return .failure(.badAddressFamily(family)) }
            return .success(AnnouncedEndpoint(host: nil, port: port))
        }
        let wantsV4: Bool
        switch family {
        case "1": wantsV4 = true
        case "2": wantsV4 = false
        default: return .failure(.badAddressFamily(family))
        }
        guard let host = IPAddress(address), host.isIPv4 == wantsV4 else { return .failure(.badAddress(address)) }
        return host.isUnspecified
            ? .success(AnnouncedEndpoint(host: nil, port: port, hostWasUnspecified: true))
            : .success(AnnouncedEndpoint(host: host, port: port))
    }

    /// Finds runs of comma-separated numbers in reply text and returns the first one `accept` takes.
    ///
    /// A run starts at a digit or a `-` before a digit (so negative numbers are reported, not skipped) that does
    /// not follow another digit, and continues while a comma (with optional spaces around it) follows a token.
    private static func scanRuns(
        _ text: String, _ accept: ([ArraySlice<UInt8>]) -> Result<AnnouncedEndpoint, AnnouncementError>
    ) -> Result<AnnouncedEndpoint, AnnouncementError> {
        let bytes = Array(text.utf8.prefix(maxScannedLength))
        var firstError: AnnouncementError?
        var index = 0
        while index < bytes.count {
            let startsNumber =
                isDigit(bytes[index])
                || (bytes[index] == UInt8(ascii: "-") && index + 1 < bytes.count && isDigit(bytes[index + 1]))
            if !startsNumber || (index > 0 && isDigit(bytes[index - 1])) {
                index += 1
                continue
            }
            var fields: [ArraySlice<UInt8>] = []
            var cursor = index
            while true {
                let tokenStart = cursor
                if cursor < bytes.count && (bytes[cursor] == UInt8(ascii: "-") || bytes[cursor] == UInt8(ascii: "+")) {
                    cursor += 1
                }
                while cursor < bytes.count && isDigit(bytes[cursor]) { cursor += 1 }
                fields.append(bytes[tokenStart..<cursor])
                var next = cursor
                while next < bytes.count && bytes[next] == 0x20 { next += 1 }
                guard next < bytes.count && bytes[next] == UInt8(ascii: ",") else { break }
                cursor = next + 1
                while cursor < bytes.count && bytes[cursor] == 0x20 { cursor += 1 }
            }
            if fields.count >= 2 {
                let result = accept(fields)
                switch result {
                case .success: return result
                case .failure(let error):
                    // Prefer the error of a run with a plausible length over "wrong count" of an earlier one.
                    if firstError == nil || (firstError.map(isCountError) == true && !isCountError(error)) {
                        firstError = error
                    }
                }
            }
            index = max(cursor, index + 1)
        }
        return .failure(firstError ?? .missingNumbers)
    }

    private static func isCountError(_ error: AnnouncementError) -> Bool {
        if case .wrongFieldCount = error { return true }
        return false
    }

    /// A field holding a number in 0...255, spaces around it allowed; digits are not accumulated past 3 so
    /// 20-digit fields cannot overflow.
    private static func octet<C: BidirectionalCollection<UInt8>>(_ field: C) -> Result<UInt8, AnnouncementError> {
        let digits = trimmed(field)
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy(isDigit) else {
            return .failure(.numberOutOfRange(string(digits)))
        }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard value <= 255 else { return .failure(.numberOutOfRange(string(digits))) }
        return .success(UInt8(value))
    }

    private static func portNumber(_ text: String) -> UInt16? {
        let digits = text.utf8
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy(isDigit) else { return nil }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        return value <= 65535 ? UInt16(value) : nil
    }

    private static func trimmed<C: BidirectionalCollection<UInt8>>(_ field: C) -> C.SubSequence {
        var slice = field[...]
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return slice
    }

    private static func string<C: Collection<UInt8>>(_ bytes: C) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    /// RFC 2428 section 2: the delimiter is a character in ASCII 33...126.
    private static func isDelimiter(_ byte: UInt8) -> Bool { (33...126).contains(byte) }
}
