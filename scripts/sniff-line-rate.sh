#!/usr/bin/env bash
# Manual measurement (not a test): `ftpscope sniff` at line rate. Replays captures with `tcpreplay --topspeed` onto
# one end of a veth pair between two network namespaces made here (nothing leaves them) while `ftpscope sniff` runs
# on the other end under /usr/bin/time -v; prints its final summary (libpcap's drop counts), its resident memory
# sampled every second, and its peak memory. Memory is judged after the first 65 s: connection records are kept
# until their timeouts (60 s for an unanswered attempt), so a replay of new hosts each loop fills them for a minute
# before memory can level off; the growth from then to the end is what the verdict line gives. tcpreplay's failed
# writes are packets that never reached the sniffer (libpcap's "dropped" does not count them), printed as a share.
#
#   sudo scripts/sniff-line-rate.sh [FTPSCOPE] [LOOPS] [CAPTURE...]
#
# Defaults: .build/release/ftpscope, 2000 loops, every Ethernet IPv4 capture of samples/ concatenated. Each loop
# gets new IP addresses (tcpreplay --unique-ip), so every loop is new sessions and new connections: memory that grows
# with the loops is a leak. RATE=--pps=20000 (any tcpreplay rate option) replaces --topspeed; THREADS=4 runs the
# sniffer with --threads 4 (its default otherwise); BUFFER=128 runs it with --buffer-size 128 (MiB of kernel capture
# buffer; 32 by default); SNIFF_ARGS adds options to the sniffer (word-split), e.g. SNIFF_ARGS="--bruteforce-window 30".
# Needs root, tcpreplay, mergecap.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=netns.sh
source scripts/netns.sh
FTPSCOPE=${1:-.build/release/ftpscope}
LOOPS=${2:-2000}
shift $(( $# > 2 ? 2 : $# ))
[[ $(id -u) == 0 ]] || { echo "must run as root" >&2; exit 2; }
for tool in ip tcpreplay mergecap /usr/bin/time; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }; done
THREADS=${THREADS:-}
[[ -z $THREADS || $THREADS =~ ^[0-9]+$ ]] || { echo "THREADS: give a number" >&2; exit 2; }
read -r -a SNIFF_ARGS <<<"${SNIFF_ARGS:-}"
BUFFER=${BUFFER:-}
[[ -z $BUFFER || $BUFFER =~ ^[0-9]+$ ]] || { echo "BUFFER: give a number of MiB" >&2; exit 2; }
# One lab at a time on this machine: other scripts and tests build namespaces too.
exec 9>/tmp/ftpscope-lab.lock
flock -w 300 9 || { echo "the lab lock /tmp/ftpscope-lab.lock is held by another run" >&2; exit 1; }

NS_A="fsniff-lr-$$-a"
NS_B="fsniff-lr-$$-b"
WORK=$(mktemp -d /tmp/fsniff-lr.XXXXXX)
cleanup() {
    set +e
    netns_teardown
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [[ $# -gt 0 ]]; then captures=("$@"); else
    captures=()
    for f in samples/*.pcap; do [[ $f == *ipv6* ]] || captures+=("$f"); done
fi
mergecap -a -F pcap -w "$WORK/all.pcap" "${captures[@]}"
# -n: without it tcpdump looks up every address in DNS, which takes minutes on a large capture.
per_loop=$(tcpdump -n -r "$WORK/all.pcap" 2>/dev/null | wc -l)
echo "replaying $per_loop packets x $LOOPS loops${THREADS:+, sniff --threads $THREADS}${BUFFER:+, --buffer-size $BUFFER}${SNIFF_ARGS[*]:+, sniff ${SNIFF_ARGS[*]}}"

netns_add "$NS_A"
netns_add "$NS_B"
veth_pair "$NS_A" eth0 "$NS_B" eth0

ip netns exec "$NS_B" /usr/bin/time -v -o "$WORK/time.txt" "$FTPSCOPE" sniff --interface eth0 ${THREADS:+--threads "$THREADS"} ${BUFFER:+--buffer-size "$BUFFER"} ${SNIFF_ARGS[@]+"${SNIFF_ARGS[@]}"} \
    >"$WORK/sniff.out" 2>"$WORK/sniff.err" &
TIMEPID=$!
netns_track "$TIMEPID"
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/sniff.err" 2>/dev/null && break; sleep 0.1; done
SNIFF=$(pgrep -P "$TIMEPID")

( while kill -0 "$SNIFF" 2>/dev/null; do
      echo "$(date +%s) $(ps -o rss= -p "$SNIFF" 2>/dev/null)" >>"$WORK/rss.txt"
      sleep 1
  done ) &
netns_track $!

start=$(date +%s.%N)
ip netns exec "$NS_A" tcpreplay --intf1=eth0 ${RATE:---topspeed} --loop="$LOOPS" --unique-ip "$WORK/all.pcap" >"$WORK/replay.txt" 2>&1
end=$(date +%s.%N)
sleep 2
kill -INT "$SNIFF"
wait "$TIMEPID" || true

grep -E "Actual|Rated|Statistics|Successful|Failed" "$WORK/replay.txt" || cat "$WORK/replay.txt"
echo "replay took $(echo "$end - $start" | bc) s"
echo "--- sniff summary"
sed -n '/^Stopped by/,$p' "$WORK/sniff.out"
echo "--- streamed lines: $(grep -c . "$WORK/sniff.out")"
echo "--- RSS (KiB) once a second:"
awk '{print $2}' "$WORK/rss.txt" | tr '\n' ' '; echo
grep -E "Maximum resident|Elapsed|Percent of CPU" "$WORK/time.txt"
# Packets tcpreplay could not write (the veth's queue was full): lost before the sniffer, so not in its counts.
awk '/Successful packets:/ {ok=$3} /Failed packets:/ {bad=$3}
     END {if (ok + bad > 0) printf "tcpreplay failed writes: %d of %d packets (%.2f %%)\n", bad, ok + bad, 100 * bad / (ok + bad)}' \
    "$WORK/replay.txt"
# The memory verdict, from the first sample at or after 65 s to the last.
awk 'NR == 1 {t0 = $1} $2 != "" {last = $2; lt = $1 - t0; if (!from && $1 - t0 >= 65) {from = $2; ft = $1 - t0}}
     END {if (from) printf "RSS after the timeouts: %.1f MiB at %d s -> %.1f MiB at %d s (%+.1f MiB)\n", from / 1024, ft, last / 1024, lt, (last - from) / 1024;
          else print "RSS after the timeouts: the run was shorter than 65 s; give more loops to judge memory"}' "$WORK/rss.txt"
