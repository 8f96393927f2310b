#!/usr/bin/env bash
# The ftpscope benchmark (issue 8). One command, from anywhere in a clone:
#
#   Benchmarks/run.sh [--scale S] [--runs N] [--seed N] [--work DIR] [--tshark-runs K] [--skip-tshark-a]
#                     [--no-tshark] [--no-check] [--no-growth] [--threads "1 2 4"] [--no-threads] [--regenerate]
#
# Builds ftpscope (release), the generator and the libpcap floor; generates (a) data-heavy ≈2 GB·S,
# (b) control-heavy ≈300 MB·S, (c) mixed ≈1 GB·S and a pcapng copy of (c) into the work dir (default
# Benchmarks/.data, git-ignored); times the floor, ftpscope and tshark on each, alternating, median of N runs,
# peak RSS from /usr/bin/time -v; prints one table; then checks ftpscope's JSON against the generator's ground
# truth; runs ftpscope on (b) at S and 2·S in every output mode to see whether memory grows with the file; and
# times (b) and (a) with each --threads count, alternating. ftpscope is timed as issue 17 states it:
# `ftpscope analyze FILE --csv /dev/null --format json > /dev/null`. Never part of `swift test`.
set -euo pipefail

SCALE=1 RUNS=3 SEED=8 WORK="" TSHARK_RUNS="" SKIP_TSHARK_A=0 NO_TSHARK=0 NO_CHECK=0 NO_GROWTH=0 REGEN=0
THREADS="1 2 4" NO_THREADS=0
while [ $# -gt 0 ]; do
    case "$1" in
    --scale) SCALE="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --tshark-runs) TSHARK_RUNS="$2"; shift 2 ;;
    --skip-tshark-a) SKIP_TSHARK_A=1; shift ;;
    --no-tshark) NO_TSHARK=1; shift ;;
    --no-check) NO_CHECK=1; shift ;;
    --no-growth) NO_GROWTH=1; shift ;;
    --threads) THREADS="$2"; shift 2 ;;
    --no-threads) NO_THREADS=1; shift ;;
    --regenerate) REGEN=1; shift ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 64 ;;
    esac
done

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
WORK="${WORK:-$BENCH/.data}"
mkdir -p "$WORK/bin"
WORK="$(cd "$WORK" && pwd)"
say() { printf '== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- tools (Debian/Ubuntu packages when missing)
need=()
command -v cc >/dev/null || need+=(gcc libc6-dev)
[ -x /usr/bin/time ] || need+=(time)
command -v tshark >/dev/null || need+=(tshark)
command -v editcap >/dev/null || need+=(wireshark-common)
command -v python3 >/dev/null || need+=(python3)
{ [ -f /usr/include/pcap/pcap.h ] || pkg-config --exists libpcap 2>/dev/null; } || need+=(libpcap-dev)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing ${need[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "run.sh: missing ${need[*]}; install them (apt-get install ${need[*]}) and run again" >&2
        exit 1
    fi
fi

# ---------------------------------------------------------------- build
say "building ftpscope (swift build -c release)"
(cd "$ROOT" && swift build -c release >&2)
FTPSCOPE="$(cd "$ROOT" && swift build -c release --show-bin-path)/ftpscope"
say "building the generator and the floor"
cc -O2 -o "$WORK/bin/ftpgen" "$BENCH/gen/ftpgen.c" -lm
cc -O2 -o "$WORK/bin/pcap_floor" "$BENCH/floor/pcap_floor.c" $(pkg-config --cflags --libs libpcap 2>/dev/null || echo -lpcap)
FLOOR="$WORK/bin/pcap_floor"

# ---------------------------------------------------------------- data
# name profile scale
gen() {
    local name="$1" profile="$2" scale="$3"
    local stamp="$WORK/$name.stamp" want="$profile scale=$scale seed=$SEED gen=$(cksum <"$BENCH/gen/ftpgen.c")"
    if [ $REGEN = 0 ] && [ -f "$WORK/$name.pcap" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return; fi
    say "generating $name ($profile, scale $scale)"
    "$WORK/bin/ftpgen" --profile "$profile" --scale "$scale" --seed "$SEED" \
        --out "$WORK/$name.pcap" --truth "$WORK/$name.truth.json"
    echo "$want" >"$stamp"
    rm -f "$WORK/$name.pcapng"
}
gen a-data data "$SCALE"
gen b-control control "$SCALE"
gen c-mixed mixed "$SCALE"
if [ ! -f "$WORK/c-mixed.pcapng" ]; then
    say "writing the pcapng copy of (c) (editcap -F pcapng)"
    editcap -F pcapng "$WORK/c-mixed.pcap" "$WORK/c-mixed.pcapng"
fi
SCALE2="$(python3 -c "print($SCALE*2)")"
[ $NO_GROWTH = 1 ] || gen b-control-2x control "$SCALE2"

# ---------------------------------------------------------------- commands
FTP_LABEL="ftpscope --csv --json"
# $1 file; FTP_ARGS (output options, default the issue's) and FTP_THREADS (empty: the default) may change the run.
run_ftpscope() {
    local threads=()
    [ -n "${FTP_THREADS:-}" ] && threads=(--threads "$FTP_THREADS")
    # shellcheck disable=SC2086
    "$FTPSCOPE" analyze "$1" ${FTP_ARGS:---csv /dev/null --format json} "${threads[@]}" >"${FTP_OUT:-/dev/null}"
}
run_floor() { "$FLOOR" "$1" >/dev/null; }
run_tshark() {
    tshark -r "$1" -Y ftp -T fields -e frame.time_epoch -e ip.src -e ftp.request.command -e ftp.request.arg \
        -e ftp.response.code >/dev/null 2>&1
}

FTP_OUT=/dev/null FTP_ARGS="" FTP_THREADS=""
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
# tool file run → one line: file tool seconds peak_rss_kb
measure() {
    local tool="$1" file="$2" tv="$WORK/time.out" t0 t1
    export -f run_floor run_ftpscope run_tshark
    export FLOOR FTPSCOPE FTP_OUT FTP_ARGS FTP_THREADS
    t0=$EPOCHREALTIME
    /usr/bin/time -v -o "$tv" bash -c "run_$tool \"\$0\"" "$file" || { echo "run.sh: $tool failed on $file" >&2; }
    t1=$EPOCHREALTIME
    local rss
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
    echo -e "$(basename "$file")\t$tool\t$(python3 -c "print(f'{$t1-$t0:.3f}')")\t$rss" >>"$RESULTS"
}

FILES=("$WORK/a-data.pcap" "$WORK/b-control.pcap" "$WORK/c-mixed.pcap" "$WORK/c-mixed.pcapng")
TSHARK_RUNS="${TSHARK_RUNS:-$RUNS}"
say "timing: $RUNS runs each (tshark: $TSHARK_RUNS, once on (a)); the machine is shared, so expect noise"
for f in "${FILES[@]}"; do
    sync
    cat "$f" >/dev/null  # warm the page cache: every tool reads from memory, not from disk
    for ((r = 1; r <= RUNS; r++)); do
        measure floor "$f"
        measure ftpscope "$f"
        if [ $NO_TSHARK = 0 ]; then
            case "$(basename "$f")" in
            a-data.pcap) if [ $SKIP_TSHARK_A = 0 ] && [ $r = 1 ]; then measure tshark "$f"; fi ;;
            *) if [ $r -le "$TSHARK_RUNS" ]; then measure tshark "$f"; fi ;;
            esac
        fi
        say "$(basename "$f") run $r done"
    done
done

PACKETS="$WORK/packets.tsv"
: >"$PACKETS"
for f in "${FILES[@]}"; do
    echo -e "$(basename "$f")\t$(stat -c %s "$f")\t$("$FLOOR" "$f" | cut -d' ' -f1)" >>"$PACKETS"
done

echo
echo "ftpscope benchmark — scale $SCALE, seed $SEED, median of $RUNS runs (tshark: see runs column); $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p')"
echo "ftpscope timed as: ftpscope analyze FILE --csv /dev/null --format json > /dev/null (default --threads, $(nproc) here)"
python3 - "$RESULTS" "$PACKETS" "$FTP_LABEL" <<'EOF'
import sys, statistics, collections
res = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f, tool, sec, rss = line.rstrip("\n").split("\t")
    res[(f, tool)].append((float(sec), int(rss or 0)))
meta = {}
for line in open(sys.argv[2]):
    f, size, pk = line.split("\t")
    meta[f] = (int(size), int(pk))
label = {"floor": "libpcap floor", "ftpscope": sys.argv[3], "tshark": "tshark -Y ftp"}
hdr = ["file", "size MB", "packets", "tool", "runs", "time s", "MB/s", "packets/s", "peak RSS MiB", "× floor", "× tshark"]
rows = []
for f in meta:
    size, pk = meta[f]
    med = {t: statistics.median(s for s, _ in v) for (ff, t), v in res.items() if ff == f}
    for t in ("floor", "ftpscope", "tshark"):
        v = res.get((f, t))
        if not v:
            continue
        sec = med[t]
        rss = max(r for _, r in v) / 1024
        rf = f"{sec / med['floor']:.2f}" if "floor" in med and t != "floor" else ""
        rt = f"{sec / med['tshark']:.3f}" if "tshark" in med and t == "ftpscope" else ""
        rows.append([f, f"{size / 1e6:.0f}", f"{pk}", label[t], str(len(v)), f"{sec:.2f}",
                     f"{size / 1e6 / sec:.0f}", f"{pk / sec / 1e6:.2f} M", f"{rss:.1f}", rf, rt])
w = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
print("| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(hdr)) + " |")
print("|" + "|".join("-" * (x + 2) for x in w) + "|")
for r in rows:
    print("| " + " | ".join(c.ljust(w[i]) if i < 4 else c.rjust(w[i]) for i, c in enumerate(r)) + " |")
EOF

# ---------------------------------------------------------------- correctness at scale
if [ $NO_CHECK = 0 ]; then
    echo
    echo "correctness: ftpscope --format json vs the generator's ground truth"
    for f in a-data.pcap b-control.pcap c-mixed.pcap c-mixed.pcapng; do
        truthf="$WORK/${f%%.*}.truth.json"
        "$FTPSCOPE" analyze "$WORK/$f" --format json >"$WORK/$f.ftpscope.json" || true
        printf '%-16s ' "$f"
        python3 "$BENCH/check_truth.py" "$truthf" "$WORK/$f.ftpscope.json" --show 5 || true
    done
fi

# ---------------------------------------------------------------- memory when the file doubles
if [ $NO_GROWTH = 0 ]; then
    echo
    echo "growth: peak RSS of ftpscope on (b) at scale $SCALE and $SCALE2, in every output mode (standard output,"
    echo "  the text summary unless --format json replaces it, goes to /dev/null)"
    printf '  %-34s %14s %14s %8s\n' "output" "b-control" "b-control-2x" "ratio"
    for mode in "--format json" "--csv /dev/null" "--jsonl /dev/null" "--jsonl /dev/null --schema ecs" \
        "--format text" "--report /dev/null" "--csv /dev/null --format json"; do
        FTP_ARGS="$mode"
        peaks=()
        for f in b-control.pcap b-control-2x.pcap; do
            measure ftpscope "$WORK/$f"
            peaks+=("$(cut -f4 <<<"$(tail -1 "$RESULTS")")")
        done
        FTP_ARGS=""
        printf '  %-34s %10.1f MiB %10.1f MiB %8.3f\n' "$mode" "$(python3 -c "print(${peaks[0]}/1024)")" \
            "$(python3 -c "print(${peaks[1]}/1024)")" "$(python3 -c "print(${peaks[1]}/${peaks[0]})")"
    done
    if [ $NO_CHECK = 0 ]; then
        "$FTPSCOPE" analyze "$WORK/b-control-2x.pcap" --format json >"$WORK/b-control-2x.pcap.ftpscope.json"
        printf '  correctness on the doubled file: '
        python3 "$BENCH/check_truth.py" "$WORK/b-control-2x.truth.json" "$WORK/b-control-2x.pcap.ftpscope.json" --show 5 || true
    fi
fi

# ---------------------------------------------------------------- threads
if [ $NO_THREADS = 0 ]; then
    echo
    echo "threads: ftpscope ($FTP_LABEL) with --threads $THREADS, alternating, median of $RUNS; $(nproc) CPUs"
    THREADS_RESULTS="$WORK/threads.tsv"
    : >"$THREADS_RESULTS"
    for f in b-control.pcap a-data.pcap; do
        for ((r = 1; r <= RUNS; r++)); do
            for t in $THREADS; do
                FTP_THREADS="$t"
                measure ftpscope "$WORK/$f"
                echo -e "$t\t$(tail -1 "$RESULTS")" >>"$THREADS_RESULTS"
            done
        done
    done
    FTP_THREADS=""
    python3 - "$THREADS_RESULTS" <<'EOF'
import sys, statistics, collections
res = collections.defaultdict(list)
for line in open(sys.argv[1]):
    t, f, _, sec, rss = line.rstrip("\n").split("\t")
    res[(f, int(t))].append((float(sec), int(rss or 0)))
for f in sorted({f for f, _ in res}):
    counts = sorted(t for ff, t in res if ff == f)
    base = statistics.median(s for s, _ in res[(f, counts[0])])
    for t in counts:
        med = statistics.median(s for s, _ in res[(f, t)])
        rss = max(r for _, r in res[(f, t)]) / 1024
        print(f"  {f:<16} --threads {t:<2} {med:7.2f} s  {base / med:5.2f}x the speed of --threads {counts[0]}  peak {rss:6.1f} MiB")
EOF
fi
