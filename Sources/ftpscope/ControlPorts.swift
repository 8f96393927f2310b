import ArgumentParser
import Foundation

/// `--ports LIST` of `analyze`, `sniff` and `compare`: comma-separated TCP ports, at least one.
func parseControlPorts(_ list: String) throws -> Set<UInt16> {
    var result: Set<UInt16> = []
    for part in list.split(separator: ",") {
        let text = part.trimmingCharacters(in: .whitespaces)
        guard let port = UInt16(text), port > 0 else {
            throw ValidationError("--ports: '\(text)' is not a TCP port (1-65535)")
        }
        result.insert(port)
    }
    guard !result.isEmpty else { throw ValidationError("--ports: give at least one port") }
    return result
}
