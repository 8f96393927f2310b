#!/usr/bin/env bash
# Regenerates docs/ftpscope.1 from the ArgumentParser definitions with swift-argument-parser's generate-manual
# plugin (built from the package's own dependency, nothing fetched). Tests/EndToEndTests/ManualTests.swift fails
# when an option is missing from the committed page.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product ftpscope
swift package plugin --allow-writing-to-package-directory generate-manual >/dev/null || true
tool=$(find .build -name generate-manual-tool -type f -perm -u+x | head -1)
"$tool" .build/debug/ftpscope --output-directory docs
