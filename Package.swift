// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "ftpscope",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ftpscope", targets: ["ftpscope"]),
        .library(name: "FTPScope", targets: ["FTPScope"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        // libpcap, through pkg-config; the only system dependency besides zlib.
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // A FILE* over zlib so libpcap reads gzip-compressed captures (and stdin) without a temporary file.
        .target(
            name: "CGzip",
            linkerSettings: [.linkedLibrary("z")]
        ),
        .target(name: "NetworkTypes"),
        .target(name: "PacketCapture", dependencies: ["CPcap", "CGzip", "NetworkTypes"]),
        .target(name: "PacketDecoding", dependencies: ["NetworkTypes"]),
        .target(name: "TCPReassembly", dependencies: ["NetworkTypes", "PacketDecoding"]),
        .target(name: "FTPProtocol", dependencies: ["NetworkTypes"]),
        .target(name: "FTPAnalysis", dependencies: ["NetworkTypes", "TCPReassembly", "FTPProtocol"]),
        .target(name: "Reports", dependencies: ["FTPAnalysis", "NetworkTypes"]),
        .target(
            name: "FTPScope",
            dependencies: [
                "PacketCapture", "PacketDecoding", "TCPReassembly", "FTPProtocol", "FTPAnalysis", "Reports",
                "NetworkTypes",
            ]
        ),
        .executableTarget(
            name: "ftpscope",
            dependencies: ["FTPScope", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "TestSupport", dependencies: ["NetworkTypes"], path: "Tests/TestSupport"),
        .testTarget(name: "NetworkTypesTests", dependencies: ["NetworkTypes"]),
        .testTarget(name: "PacketCaptureTests", dependencies: ["PacketCapture", "TestSupport"]),
        .testTarget(name: "PacketDecodingTests", dependencies: ["PacketDecoding", "TestSupport"]),
        .testTarget(name: "TCPReassemblyTests", dependencies: ["TCPReassembly", "PacketDecoding", "TestSupport"]),
        .testTarget(name: "FTPProtocolTests", dependencies: ["FTPProtocol"]),
        .testTarget(name: "FTPAnalysisTests", dependencies: ["FTPAnalysis", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "FTPAnalysis", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["FTPScope", "TestSupport"], exclude: ["Baselines"]),
    ],
    swiftLanguageModes: [.v6]
)
