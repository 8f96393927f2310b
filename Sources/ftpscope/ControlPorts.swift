import ArgumentParser

/// `--ports LIST` of `analyze`, `sniff` and `compare`: comma-separated TCP ports, at least one.
func parseControlPorts(_ list: String) throws -> Set<UInt16> {
    var result: Set<UInt16> = []
    for part in list.split(separator: ",") {
        let text = part.trimmedOfBlanks
        guard let port = UInt16(text), port > 0 else {
            throw ValidationError("--ports: '\(text)' is not a TCP port (1-65535)")
        }
        result.insert(port)
    }
    guard !result.isEmpty else { throw ValidationError("--ports: give at least one port") }
    return result
}

extension StringProtocol {
    /// Without the spaces and tabs (any Unicode blank but line breaks) at either end, as users type lists.
    var trimmedOfBlanks: String {
        let isBlank = { (character: Character) in character.isWhitespace && !character.isNewline }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
