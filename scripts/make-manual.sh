#!/usr/bin/env bash
# Regenerates docs/ftpscope.1 from the ArgumentParser definitions with swift-argument-parser's generate-manual tool,
# built from the package's own resolved dependency into its own scratch directory (nothing fetched). The test
# Tests/EndToEndTests/ManualTests.swift makes the page the same way and fails when the committed one differs.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product ftpscope
swift build --package-path .build/checkouts/swift-argument-parser --scratch-path .build/manual-generator \
    --product generate-manual -c release
.build/manual-generator/release/generate-manual .build/debug/ftpscope --output-directory docs
