#!/usr/bin/env bash
# Live replay for the integration test (Tests/EndToEndTests/LiveSniffTests.swift); also runs by hand:
#
#   sudo scripts/live-sniff-replay.sh .build/debug/ftpscope OUTDIR TAG SAMPLE LOOPS THREADS...
#
# Builds two network namespaces joined by a veth pair (nothing leaves them), starts one `ftpscope sniff --threads N
# --jsonl OUTDIR/threads-N.jsonl` per N on the same end, all at once, so that every sniffer sees the same packets
# with the same kernel timestamps; replays SAMPLE LOOPS times from the other end with `tcpreplay --topspeed
# --unique-ip` (each loop on new addresses, so the sessions spread over host pairs and so over workers); then sends
# SIGINT to every sniffer, or with END=unplug deletes their interface (a capture failure ends them). Writes into OUTDIR, per N: threads-N.out / .err / .jsonl / .rc / .tasks (standard
# output and error, the JSON Lines timeline, the exit status, its thread count once listening), and
# threads-N.before.jsonl, the timeline as it stood just before the end. SNIFF_ARGS adds options to every sniffer
# (word-split); SETTLE is how long to wait after the replay before the end, in seconds (1 by default). Everything
# it creates is removed on exit, whatever happens.
set -euo pipefail
# shellcheck source=netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

usage="usage: live-sniff-replay.sh FTPSCOPE OUTDIR TAG SAMPLE LOOPS THREADS..."
FTPSCOPE=${1:?$usage}
OUT=${2:?$usage}
TAG=${3:?$usage}
SAMPLE=${4:?$usage}
LOOPS=${5:?$usage}
shift 5
[[ $# -gt 0 ]] || { echo "$usage" >&2; exit 2; }
for threads in "$@" "$LOOPS"; do [[ $threads =~ ^[0-9]+$ ]] || { echo "$usage" >&2; exit 2; }; done
END=${END:-sigint}
SETTLE=${SETTLE:-1}
[[ $SETTLE =~ ^[0-9]+$ ]] || { echo "SETTLE: give whole seconds" >&2; exit 2; }
read -r -a SNIFF_ARGS <<<"${SNIFF_ARGS:-}"
[[ $END == sigint || $END == unplug ]] || { echo "END: sigint or unplug" >&2; exit 2; }
NS_A="fsniff-$TAG-a"
NS_B="fsniff-$TAG-b"

log() { printf '[live-replay %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[[ $(id -u) == 0 ]] || { echo "must run as root (network namespaces)" >&2; exit 2; }
for tool in ip tcpreplay flock; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }; done
[[ -x $FTPSCOPE ]] || { echo "no executable at $FTPSCOPE" >&2; exit 2; }
[[ -r $SAMPLE ]] || { echo "can't read $SAMPLE" >&2; exit 2; }

# One lab at a time on this machine: other scripts and tests build namespaces too.
exec 9>/tmp/ftpscope-lab.lock
flock -w 120 9 || { echo "the lab lock /tmp/ftpscope-lab.lock is held by another run" >&2; exit 1; }

cleanup() {
    local rc=$?
    set +e
    netns_teardown
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$OUT"
netns_add "$NS_A"
netns_add "$NS_B"
veth_pair "$NS_A" eth0 "$NS_B" eth0

declare -A SNIFF=()
for threads in "$@"; do
    rm -f "$OUT/threads-$threads".{out,err,jsonl,rc}
    ip netns exec "$NS_B" "$FTPSCOPE" sniff --interface eth0 --threads "$threads" --jsonl "$OUT/threads-$threads.jsonl" ${SNIFF_ARGS[@]+"${SNIFF_ARGS[@]}"} \
        >"$OUT/threads-$threads.out" 2>"$OUT/threads-$threads.err" &
    SNIFF[$threads]=$!
    netns_track "${SNIFF[$threads]}"
done
for threads in "$@"; do
    for _ in $(seq 1 100); do
        grep -q "listening on" "$OUT/threads-$threads.err" 2>/dev/null && break
        kill -0 "${SNIFF[$threads]}" 2>/dev/null || break
        sleep 0.1
    done
    grep -q "listening on" "$OUT/threads-$threads.err" \
        || { cat "$OUT/threads-$threads.err" >&2; echo "sniffer --threads $threads did not start" >&2; exit 1; }
    # Its threads, all started by now (the test checks that 4 means sharded workers).
    ls "/proc/${SNIFF[$threads]}/task" | wc -l >"$OUT/threads-$threads.tasks"
done

log "replaying $SAMPLE x $LOOPS"
ip netns exec "$NS_A" tcpreplay --intf1=eth0 --topspeed --loop="$LOOPS" --unique-ip "$SAMPLE" >"$OUT/replay.txt" 2>&1
# Let the last batches reach every sniffer (libpcap's timeout is 100 ms), and what waits for time settle.
sleep "$SETTLE"
for threads in "$@"; do cp "$OUT/threads-$threads.jsonl" "$OUT/threads-$threads.before.jsonl"; done

if [[ $END == unplug ]]; then
    log "deleting the sniffers' interface"
    ip -n "$NS_B" link del eth0
else
    for threads in "$@"; do kill -INT "${SNIFF[$threads]}"; done
fi
for threads in "$@"; do
    rc=0
    for _ in $(seq 1 100); do kill -0 "${SNIFF[$threads]}" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "${SNIFF[$threads]}" 2>/dev/null; then
        log "sniffer --threads $threads still running 10 s after the end ($END)"
        kill -9 "${SNIFF[$threads]}"
    fi
    wait "${SNIFF[$threads]}" || rc=$?
    echo "$rc" >"$OUT/threads-$threads.rc"
    log "sniffer --threads $threads exited with $rc"
done
