#!/usr/bin/env bash
# Instruction and allocation profile of ftpscope on small (a)- and (b)-style captures (callgrind, heaptrack).
#
#   Benchmarks/profile.sh [--scale S]       (default 0.005: ≈15 MB data-heavy, ≈1.7 MB control-heavy)
#
# Valgrind 3.19 (Debian 12) cannot read the DWARF 5 parts of the release binary ("unhandled dwarf2 abbrev form
# code 0x25"), so callgrind runs on a copy with the debug sections stripped (symbols stay; function-level
# attribution, no line numbers). `--toggle-collect` on OfflineAnalysis.run separates the per-packet pipeline from
# the report rendering. Results go to WORK/prof/.
set -euo pipefail
SCALE=0.005
[ "${1:-}" = --scale ] && SCALE="$2"
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
WORK="$BENCH/.data"
P="$WORK/prof"
mkdir -p "$P" "$WORK/bin"
for t in valgrind heaptrack; do command -v $t >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq $t >/dev/null; }; done
(cd "$ROOT" && swift build -c release >&2)
BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)/ftpscope"
objcopy --strip-debug "$BIN" "$P/ftpscope.nodebug"
cc -O2 -o "$WORK/bin/ftpgen" "$BENCH/gen/ftpgen.c" -lm
cc -O2 -o "$WORK/bin/pcap_floor" "$BENCH/floor/pcap_floor.c" -lpcap
"$WORK/bin/ftpgen" --profile data --scale "$SCALE" --out "$P/a.pcap" --truth "$P/a.json"
"$WORK/bin/ftpgen" --profile control --scale "$SCALE" --out "$P/b.pcap" --truth "$P/b.json"
RUN="$(nm "$P/ftpscope.nodebug" | awk '$2 == "T" && $3 ~ /^\$s8FTPScope15OfflineAnalysisO3run.*FZ$/ {print $3}')"
dm() { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }
for x in a b; do
    pk="$("$WORK/bin/pcap_floor" "$P/$x.pcap" | cut -d' ' -f1)"
    valgrind --tool=callgrind --callgrind-out-file="$P/cg.$x.all" "$P/ftpscope.nodebug" analyze "$P/$x.pcap" \
        --format json >/dev/null 2>"$P/cg.$x.all.log"
    valgrind --tool=callgrind --callgrind-out-file="$P/cg.$x.run" --toggle-collect="$RUN" \
        "$P/ftpscope.nodebug" analyze "$P/$x.pcap" --format json >/dev/null 2>"$P/cg.$x.run.log"
    valgrind --tool=callgrind --callgrind-out-file="$P/cg.$x.floor" "$WORK/bin/pcap_floor" "$P/$x.pcap" \
        >/dev/null 2>"$P/cg.$x.floor.log"
    ir() { awk '/I   refs:/ {gsub(",", "", $4); print $4}' "$1"; }
    all=$(ir "$P/cg.$x.all.log") run=$(ir "$P/cg.$x.run.log") fl=$(ir "$P/cg.$x.floor.log")
    echo "== $x: $pk packets; instructions per packet: floor $((fl / pk)), ftpscope pipeline (OfflineAnalysis.run)" \
        "$((run / pk)), whole ftpscope --format json $((all / pk))"
    echo "-- top functions by own instructions, pipeline only"
    callgrind_annotate "$P/cg.$x.run" 2>/dev/null | sed -n '/file:function/,$p' | sed -n '3,22p' | dm |
        sed 's/\[\/.*\/\([^/]*\)\]$/[\1]/' | cut -c1-160
    echo "-- inclusive, pipeline only"
    callgrind_annotate --inclusive=yes "$P/cg.$x.run" 2>/dev/null | sed -n '/file:function/,$p' | sed -n '3,30p' |
        dm | sed 's/\[\/.*\/\([^/]*\)\]$/[\1]/' | cut -c1-160
    heaptrack -o "$P/ht.$x" "$P/ftpscope.nodebug" analyze "$P/$x.pcap" --format json >/dev/null 2>&1 || true
    echo "-- allocations (heaptrack): $(heaptrack_print "$P/ht.$x.zst" 2>/dev/null | grep '^calls to allocation')"
    heaptrack_print -n 30 -s 400 "$P/ht.$x.zst" 2>/dev/null | dm | python3 "$BENCH/heaptrack_sites.py" 12 | cut -c1-220
done
