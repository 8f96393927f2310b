import Foundation
import Testing

/// Shell completion as a user meets it (issue 18): the bash script ftpscope generates, loaded into a real bash,
/// completes capture files, output paths, statuses and interfaces.
@Suite struct CompletionTests {
    /// What bash offers for `words` (the last one is the word being completed), run in `directory`.
    static func complete(_ words: [String], in directory: URL = Paths.repositoryRoot) throws -> [String] {
        let executable = try #require(BrokenCaptureCLITests.executable, "the ftpscope executable is built")
        let quoted = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let script = """
            source <('\(executable.path)' --generate-completion-script bash) || exit 3
            COMP_WORDS=(\(quoted)); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
            # bash calls a completion function with the command, the word being completed and the one before.
            _ftpscope "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "bash ran the completion script")
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).sorted()
    }

    @Test func captureArgumentsCompleteToCaptureFiles() throws {
        let samples = Paths.repositoryRoot.appendingPathComponent("samples")
        #expect(try Self.complete(["ftpscope", "analyze", "active-nat-i"], in: samples) == ["active-nat-illegal-port.pcap"])
        // pcap, gzip-compressed pcap and pcapng alike.
        #expect(try Self.complete(["ftpscope", "analyze", "passive-vsftpd"], in: samples)
            == ["passive-vsftpd-any.pcapng", "passive-vsftpd.pcap", "passive-vsftpd.pcap.gz"])
        // Only captures (and folders to walk into), not the scripts beside them.
        #expect(FileManager.default.fileExists(atPath: samples.appendingPathComponent("make-field-samples.sh").path))
        #expect(try Self.complete(["ftpscope", "analyze", "make-"], in: samples) == [])
        #expect(try Self.complete(["ftpscope", "compare", "passive-not-forwarded-s"], in: samples)
            == ["passive-not-forwarded-server-side.pcap"])
    }

    @Test func outputOptionsCompletePaths() throws {
        #expect(try Self.complete(["ftpscope", "analyze", "x.pcap", "--csv", "READ"]) == ["README.md"])
        #expect(try Self.complete(["ftpscope", "analyze", "x.pcap", "--extract", "sampl"]) == ["samples"])
    }

    @Test func statusCompletesToTheStatusWords() throws {
        #expect(try Self.complete(["ftpscope", "analyze", "x.pcap", "--status", "not_"]) == ["not_captured", "not_seen"])
        #expect(try Self.complete(["ftpscope", "analyze", "x.pcap", "--status", "fa"]) == ["failed"])
    }

    @Test func interfaceCompletesToTheMachinesInterfaces() throws {
        #expect(try Self.complete(["ftpscope", "sniff", "-i", "l"]).contains("lo"))
        #expect(try Self.complete(["ftpscope", "sniff", "--interface", "an"]) == ["any"])
    }
}
