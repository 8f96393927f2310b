#!/usr/bin/env bash
# Installs what ftpscope needs beside the Swift toolchain: libpcap's headers (and pkg-config, zlib's headers,
# mimalloc).
# Does nothing when they are already there; uses sudo when not run as root.
set -euo pipefail
need=()
command -v pkg-config >/dev/null || need+=(pkg-config)
[ -e /usr/include/pcap/pcap.h ] || need+=(libpcap-dev)
[ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)
# The program's allocator (Package.swift: the reader, analysis and output threads free each other's records).
[ -e /usr/include/mimalloc.h ] || need+=(libmimalloc-dev)
command -v gzip >/dev/null || need+=(gzip)
# `script` (a pseudo-terminal for the 80-column test of the text summary, Tests/EndToEndTests/TerminalTests.swift).
command -v script >/dev/null || need+=(bsdutils)
# `man` renders the committed page docs/ftpscope.1 (Tests/EndToEndTests/ManualTests.swift).
command -v man >/dev/null || need+=(man-db)
[ ${#need[@]} -eq 0 ] && exit 0
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq "${need[@]}"
