// Fuzz target: the data-channel argument and reply parsers (PORT, EPRT, LPRT, 227, 228, 229, 257, 150, 213) and
// path resolution. The first byte picks the parser; the rest is the argument or reply text.
#if canImport(Glibc)
import Glibc
#endif
import FTPProtocol
import FuzzSupport

/// libFuzzer's entry point: parses the text with the chosen parser and checks what a success promises.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let selector = data[0]
    let bytes = UnsafeBufferPointer(start: data + 1, count: size - 1)
    // Through FTPLine, as the analyzer does: invalid UTF-8 is escaped, never lost.
    let text = FTPLine(bytes: Array(bytes)).text
    let result: Result<AnnouncedEndpoint, AnnouncementError>?
    switch selector % 10 {
    case 0: result = DataChannelParser.parsePORT(text)
    case 1: result = DataChannelParser.parseEPRT(text)
    case 2: result = DataChannelParser.parseLPRT(text)
    case 3: result = DataChannelParser.parse227(text)
    case 4: result = DataChannelParser.parse229(text)
    case 5: result = DataChannelParser.parse228(text)
    case 6:
        _ = ReplyParsing.parse257Path(text)
        result = nil
    case 7:
        _ = ReplyParsing.parse150Size(text)
        _ = ReplyParsing.parse213Size(text)
        result = nil
    case 8:
        // Path resolution against a working directory: split the input at the first NUL.
        let parts = text.split(separator: "\0", maxSplits: 1, omittingEmptySubsequences: false)
        let resolved = ReplyParsing.resolvePath(String(parts[0]), cwd: parts.count > 1 ? String(parts[1]) : nil)
        _ = resolved.count
        result = nil
    default:
        _ = DataChannelParser.isEPSVAll(text)
        result = nil
    }
    if case .success(let endpoint) = result {
        // A parsed endpoint must print (reports do), and a 229 reads back the same from its own canonical text:
        // `(|||port|)` (RFC 2428 section 3), or the full `(|af|address|port|)` some servers send. (The first
        // version of this check said a 229 never has a host; the fuzzer found the full form, which the parser
        // accepts on purpose: see DataChannelParserTests, "229".)
        _ = endpoint.description
        if selector % 10 == 4 {
            let canonical = endpoint.host.map { "(|\($0.isIPv4 ? 1 : 2)|\($0)|\(endpoint.port)|)" } ?? "(|||\(endpoint.port)|)"
            guard case .success(let again) = DataChannelParser.parse229(canonical) else {
                failCheck("229 endpoint \(endpoint) does not read back from \(canonical)")
            }
            check(again.host == endpoint.host && again.port == endpoint.port, "229 round trip changed \(endpoint)")
        }
    }
    return 0
}
