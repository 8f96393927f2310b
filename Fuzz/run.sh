#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for SECONDS (default 20) on its seed corpus.
#   Fuzz/run.sh [SECONDS] [TARGET...]      targets: FuzzDecoder FuzzControl FuzzDataChannel FuzzReassembler
#                                                   FuzzIPReassembly
# Corpora grow in Fuzz/.corpus/TARGET (seeded from samples/ and Zeek's FTP fuzzer corpus each run); a crashing
# input is written to Fuzz/artifacts/ and the script exits 1. Reproduce one with
#   SWIFT_BACKTRACE=enable=no Fuzz/.build/scratch/release/TARGET Fuzz/artifacts/TARGET-crash-…
# FUZZ_ASAN=0 builds without AddressSanitizer (in .build/scratch-noasan): two to three times the executions per
# second for long campaigns. Swift's own checks (bounds, overflow, unwrapping) still trap, so crashes are still
# found; ASan adds the unsafe-pointer code paths (buffers handed to libpcap and the reassembler).
# FUZZ_MAX_LEN=N caps the input size of every target run (defaults below): shorter inputs run faster.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzDecoder FuzzControl FuzzDataChannel FuzzReassembler FuzzIPReassembly)

# SwiftPM names a package after its directory: a checkout whose directory is called `fuzz` would clash with this
# package. So the build runs on a copy of this package in .build/ftpscope-fuzz (a stable path, so builds are
# incremental), with the main package's absolute path in FTPSCOPE_ROOT (see Package.swift).
root="$(cd .. && pwd)"
copy=.build/ftpscope-fuzz
mkdir -p "$copy"
rsync -a --delete Package.swift Sources "$copy/" 2>/dev/null || { rm -rf "$copy"/Sources; cp -R Package.swift Sources "$copy/"; }
if [ "${FUZZ_ASAN:-1}" = 0 ]; then
    build=(swift build --package-path "$copy" --scratch-path .build/scratch-noasan -c release --sanitize=fuzzer
        --disable-dead-strip -Xswiftc -sanitize=fuzzer)
else
    build=(swift build --package-path "$copy" --scratch-path .build/scratch -c release --sanitize=fuzzer --sanitize=address --disable-dead-strip
        -Xswiftc -sanitize=fuzzer,address)
fi
# SwiftPM's own sanitizer flags make it link libFuzzer's main instead of the executable's. But it passes them to
# swiftc as two flags, `-sanitize=fuzzer -sanitize=address`, and the last one wins: no coverage instrumentation
# (libFuzzer then finds "no interesting inputs"). The combined -Xswiftc flag comes after them and restores it.
# Dead stripping is off so the linker cannot drop the coverage counters' sections.
FTPSCOPE_ROOT="$root" "${build[@]}" 2>&1 | grep -v "ld.gold: warning: Cannot export local symbol" || true
bin="$(FTPSCOPE_ROOT="$root" "${build[@]}" --show-bin-path)"

zeek_zip="../../shared/corpus/zeek/fuzz/ftp-corpus.zip"
[ -f "$zeek_zip" ] || zeek_zip=/work/shared/corpus/zeek/fuzz/ftp-corpus.zip
[ -f "$zeek_zip" ] || zeek_zip="${FTPSCOPE_ZEEK_FUZZ_ZIP:-}"
python3 seed.py .corpus ${zeek_zip:+"$zeek_zip"} >/dev/null
mkdir -p artifacts

status=0
for target in "${targets[@]}"; do
    case "$target" in
        FuzzReassembler | FuzzIPReassembly) max_len=4096 ;;
        FuzzDecoder) max_len=2048 ;;
        FuzzControl) max_len=4096 ;;
        *) max_len=1024 ;;
    esac
    # A long campaign may cap input sizes lower: shorter inputs run several times faster per execution.
    max_len="${FUZZ_MAX_LEN:-$max_len}"
    echo "== $target: ${seconds}s"
    # One process, one core; ASan's leak check is off because the targets keep nothing between inputs and
    # Swift's runtime metadata caches look like leaks to it.
    if ! SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$bin/$target" ".corpus/$target" -max_total_time="$seconds" -max_len="$max_len" \
        -rss_limit_mb=2048 -timeout=10 -artifact_prefix="artifacts/$target-" -print_final_stats=1 2>"artifacts/$target.log"
    then
        # What libFuzzer said, so a CI log shows the reason without the artifacts directory.
        grep -E "ERROR: libFuzzer|ERROR: AddressSanitizer|SUMMARY|invariant broken|Fatal error|Test unit written|Base64" \
            "artifacts/$target.log" | head -8 | sed 's/^/   /' || true
        # The targets are deterministic and single-threaded: an input that fails again is a real defect; one that
        # does not (a timeout or out-of-memory verdict on an overloaded machine) is reported but does not fail.
        artifact="$(grep -oE "artifacts/$target-[a-z-]+[0-9a-f]+" "artifacts/$target.log" | tail -1 || true)"
        if [ -n "$artifact" ] && [ -f "$artifact" ] &&
            SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 timeout 120 "$bin/$target" "$artifact" -timeout=60 \
                >"artifacts/$target.replay.log" 2>&1; then
            echo "!! $target: the failing input ($artifact) passes when run again: not a defect of the target"
        else
            status=1
            echo "!! $target found a crash: see Fuzz/artifacts/$target.log (input: ${artifact:-none written})"
        fi
    fi
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "artifacts/$target.log" | tail -2 || true
done
exit $status
