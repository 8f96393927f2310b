// swift-tools-version: 6.0
import PackageDescription

/// Release builds of the per-packet modules and of the outputs skip Swift's dynamic exclusivity checks: the
/// profile of a 2 GB capture showed them at about a fifth of all instructions, and of the output thread on a
/// control-heavy one at about 5 %. Debug builds (and so the tests) keep them.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "ftpscope",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ftpscope", targets: ["ftpscope"]),
        .library(name: "FTPScope", targets: ["FTPScope"]),
        // The pipeline's stages one by one, for the fuzz targets in Fuzz/ (a separate package so the main build
        // is untouched by the sanitizers).
        .library(name: "NetworkTypes", targets: ["NetworkTypes"]),
        .library(name: "PacketDecoding", targets: ["PacketDecoding"]),
        .library(name: "IPReassembly", targets: ["IPReassembly"]),
        .library(name: "TCPReassembly", targets: ["TCPReassembly"]),
        .library(name: "FTPProtocol", targets: ["FTPProtocol"]),
        .library(name: "FTPAnalysis", targets: ["FTPAnalysis"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // libpcap, through pkg-config; the only system dependency besides zlib.
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // mimalloc (Debian libmimalloc-dev), the program's allocator: the reader, analysis and output threads
        // hand records to each other, and glibc's free() of another thread's chunk takes that arena's lock
        // (futex wake-ups and sleeps on every hand-over); mimalloc frees them lock-free. docs/threads.md.
        .systemLibrary(name: "CMimalloc", providers: [.apt(["libmimalloc-dev"])]),
        // A FILE* over zlib so libpcap reads gzip-compressed captures (and stdin) without a temporary file.
        .target(
            name: "CGzip",
            linkerSettings: [.linkedLibrary("z")]
        ),
        .target(name: "NetworkTypes", swiftSettings: hotPath),
        .target(name: "PacketCapture", dependencies: ["CPcap", "CGzip", "NetworkTypes"], swiftSettings: hotPath),
        .target(name: "PacketDecoding", dependencies: ["NetworkTypes"], swiftSettings: hotPath),
        // IPv4/IPv6 fragments → datagrams, between the decoder and TCP (issue 16).
        .target(name: "IPReassembly", dependencies: ["NetworkTypes", "PacketDecoding"], swiftSettings: hotPath),
        // A cache prefetch hint (a static inline C function: Swift has no spelling for it), for the analysis loop's
        // look-ahead over a batch the reader thread filled (DecodedBatch.prefetch).
        .systemLibrary(name: "CPrefetch"),
        .target(name: "TCPReassembly", dependencies: ["NetworkTypes", "PacketDecoding"], swiftSettings: hotPath),
        .target(name: "FTPProtocol", dependencies: ["NetworkTypes"], swiftSettings: hotPath),
        .target(
            name: "FTPAnalysis", dependencies: ["NetworkTypes", "TCPReassembly", "FTPProtocol", "CommunityID"],
            swiftSettings: hotPath),
        // Community ID v1 flow hashes, for joining our records with other tools'. Its own single-block SHA-1:
        // the message is at most 40 bytes, and swift-crypto's general hasher cost several times the compression.
        .target(name: "CommunityID", dependencies: ["NetworkTypes", "CSHA1Block"], swiftSettings: hotPath),
        // SHA-1's compression on the x86 SHA extensions (a C target: Swift has no intrinsics for them), chosen at
        // run time by a CPUID check; CommunityID keeps its portable Swift compression for other CPUs.
        .target(name: "CSHA1Block"),
        .target(
            name: "Reports", dependencies: ["FTPAnalysis", "FTPProtocol", "NetworkTypes", "CommunityID", "CPrefetch"],
            swiftSettings: hotPath),
        // Writes data-channel payload to files (--extract) with SHA-256; the only user of swift-crypto.
        .target(
            name: "FileExtraction",
            dependencies: [
                "FTPAnalysis", "FTPProtocol", "NetworkTypes", "Reports", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "FTPScope",
            dependencies: [
                "PacketCapture", "PacketDecoding", "IPReassembly", "TCPReassembly", "FTPProtocol", "FTPAnalysis",
                "Reports", "NetworkTypes", "FileExtraction", "CPrefetch",
            ],
            swiftSettings: hotPath
        ),
        // `ftpscope compare`: several captures of the same traffic as one story. Reads the analysis model
        // through one adapter file (SessionView.swift).
        .target(
            name: "VantageComparison",
            dependencies: [
                "FTPScope", "FTPAnalysis", "FTPProtocol", "NetworkTypes", "TCPReassembly", "PacketCapture", "Reports",
            ]
        ),
        .executableTarget(
            name: "ftpscope",
            dependencies: [
                "FTPScope", "FTPAnalysis", "Reports", "VantageComparison", "CMimalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["NetworkTypes", "AllocationCounter"], path: "Tests/TestSupport"),
        // Counts the test process's heap allocations (tests that the hot path allocates nothing per packet).
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        // A timeline writer that keeps rows, shared by the tests of the timeline sink and of whole runs.
        .target(name: "TimelineTestSupport", dependencies: ["Reports"], path: "Tests/TimelineTestSupport"),
        .testTarget(name: "NetworkTypesTests", dependencies: ["NetworkTypes", "TestSupport"]),
        // swift-crypto's SHA-1 is the outside oracle for CommunityID's own.
        .testTarget(
            name: "CommunityIDTests",
            dependencies: [
                "CommunityID", "NetworkTypes", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Every test target declares each module it imports (checked by `--explicit-target-dependency-import-check`).
        .testTarget(name: "PacketCaptureTests", dependencies: ["PacketCapture", "NetworkTypes", "TestSupport"]),
        .testTarget(name: "PacketDecodingTests", dependencies: ["PacketDecoding", "NetworkTypes", "TestSupport"]),
        .testTarget(
            name: "IPReassemblyTests", dependencies: ["IPReassembly", "PacketDecoding", "NetworkTypes", "TestSupport"]),
        .testTarget(
            name: "TCPReassemblyTests", dependencies: ["TCPReassembly", "PacketDecoding", "NetworkTypes", "TestSupport"]),
        .testTarget(name: "FTPProtocolTests", dependencies: ["FTPProtocol", "NetworkTypes", "TestSupport"]),
        .testTarget(
            name: "FTPAnalysisTests",
            dependencies: ["FTPAnalysis", "TCPReassembly", "PacketDecoding", "NetworkTypes", "TestSupport"]),
        .testTarget(
            name: "ReportsTests",
            dependencies: [
                "Reports", "FTPAnalysis", "FTPProtocol", "FTPScope", "NetworkTypes", "TestSupport", "TimelineTestSupport",
            ]),
        .testTarget(
            name: "FileExtractionTests",
            dependencies: [
                "FileExtraction", "FTPAnalysis", "FTPScope", "Reports", "NetworkTypes", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .testTarget(name: "VantageComparisonTests", dependencies: ["VantageComparison", "FTPScope"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "FTPScope", "FTPAnalysis", "Reports", "IPReassembly", "TCPReassembly", "PacketDecoding", "PacketCapture",
                "NetworkTypes", "TestSupport", "TimelineTestSupport",
            ],
            exclude: ["Baselines"]),
    ],
    swiftLanguageModes: [.v6]
)
