// swift-tools-version: 6.0
// libFuzzer targets for ftpscope's parsers (issue 6). A separate package so the main build never sees the
// sanitizer flags. Build and run with `Fuzz/run.sh [seconds]`; see docs/hostile-input.md.
import Foundation
import PackageDescription

// Every target is a libFuzzer entry point (`LLVMFuzzerTestOneInput`), not a program with a `main`: libFuzzer
// supplies `main`, so the Swift file must be compiled as a library.
let fuzzFlags: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

// The main package, by path. SwiftPM names a path dependency after its directory (the checkout's name, whatever it
// is), so products are looked up under that name. When the checkout's directory is itself called `fuzz` it clashes
// with this package's own name; run.sh avoids that by building a copy of this package from a directory called
// `ftpscope-fuzz` and passing the main package's absolute path in FTPSCOPE_ROOT.
let ftpscopeRoot = Context.environment["FTPSCOPE_ROOT"] ?? ".."
let ftpscopePackage = URL(
    fileURLWithPath: ftpscopeRoot.hasPrefix("/") ? ftpscopeRoot : Context.packageDirectory + "/" + ftpscopeRoot
).standardizedFileURL.lastPathComponent.lowercased()

let package = Package(
    name: "ftpscope-fuzz",
    dependencies: [.package(path: ftpscopeRoot)],
    targets: [
        // The invariant helpers every target shares.
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "FuzzDecoder",
            dependencies: [
                "FuzzSupport",
                .product(name: "PacketDecoding", package: ftpscopePackage),
                .product(name: "NetworkTypes", package: ftpscopePackage),
            ],
            swiftSettings: fuzzFlags),
        .executableTarget(
            name: "FuzzControl",
            dependencies: [
                "FuzzSupport",
                .product(name: "FTPProtocol", package: ftpscopePackage),
                .product(name: "FTPAnalysis", package: ftpscopePackage),
                .product(name: "TCPReassembly", package: ftpscopePackage),
                .product(name: "PacketDecoding", package: ftpscopePackage),
                .product(name: "NetworkTypes", package: ftpscopePackage),
            ],
            swiftSettings: fuzzFlags),
        .executableTarget(
            name: "FuzzDataChannel",
            dependencies: ["FuzzSupport", .product(name: "FTPProtocol", package: ftpscopePackage)],
            swiftSettings: fuzzFlags),
        .executableTarget(
            name: "FuzzIPReassembly",
            dependencies: [
                "FuzzSupport",
                .product(name: "IPReassembly", package: ftpscopePackage),
                .product(name: "PacketDecoding", package: ftpscopePackage),
                .product(name: "NetworkTypes", package: ftpscopePackage),
            ],
            swiftSettings: fuzzFlags),
        .executableTarget(
            name: "FuzzReassembler",
            dependencies: [
                "FuzzSupport",
                .product(name: "TCPReassembly", package: ftpscopePackage),
                .product(name: "PacketDecoding", package: ftpscopePackage),
                .product(name: "NetworkTypes", package: ftpscopePackage),
            ],
            swiftSettings: fuzzFlags),
    ],
    swiftLanguageModes: [.v6]
)
