import Foundation

/// Runs a reference implementation from PyPI. The module is installed with pip when it is missing; if that fails
/// the test fails (it does not skip): an oracle that silently goes away would leave the check asserting nothing.
public enum PythonOracle {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func run(_ script: String, module: String, input: String) throws -> String {
        if try execute(["-c", "import \(module)"], input: "").status != 0 {
            _ = try execute(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", module], input: "")
        }
        let result = try execute(["-c", script], input: input)
        guard result.status == 0 else {
            throw Failure(description: "python3 with \(module) failed (\(result.status)): \(result.errors)")
        }
        return result.output
    }

    private static func execute(_ arguments: [String], input: String) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
    }
}
