#!/usr/bin/env bash
# Live sniffing scenario for the integration test (Tests/EndToEndTests/LiveSniffTests.swift); also runs by hand:
#
#   sudo scripts/live-sniff-scenario.sh .build/debug/ftpscope OUTDIR [TAG [THREADS]]
#
# Builds two network namespaces joined by a veth pair on a documentation network (client 203.0.113.10, server
# 203.0.113.21; nothing leaves them), starts vsftpd in the server namespace and `ftpscope sniff` on the client's
# interface, then runs real clients:
#   1. lftp: login, cd, ls and get in passive mode, bye               -> transfers completed
#   2. curl: active mode (PORT) into ports the client's firewall rejects with RST -> transfer refused
#   3. lftp: login and ls, then stays connected                      -> still open when SIGINT arrives
# and sends SIGINT to the sniffer while session 3 is open. THREADS, when given, is the sniffer's --threads (4 and
# more shard its analysis by host pair). Writes into OUTDIR:
#   sniff.out / sniff.err   the sniffer's standard output and error
#   before-sigint.out      its standard output just before SIGINT (what was streamed while the sessions ran)
#   sniff.rc                its exit status
# Everything it creates (namespaces, processes, the FTP user, temporary files) is removed on exit, whatever happens.
set -euo pipefail
# shellcheck source=netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

FTPSCOPE=${1:?usage: live-sniff-scenario.sh FTPSCOPE OUTDIR [TAG [THREADS]]}
OUT=${2:?usage: live-sniff-scenario.sh FTPSCOPE OUTDIR [TAG [THREADS]]}
TAG=${3:-$$}
THREADS=${4:-}
[[ -z $THREADS || $THREADS =~ ^[0-9]+$ ]] || { echo "THREADS: give a number" >&2; exit 2; }
NS_C="fsniff-$TAG-c"
NS_S="fsniff-$TAG-s"
FTP_USER="fsn$TAG"
FTP_USER=${FTP_USER:0:31}
FTP_PASS="sniff-pass-$TAG"
CLIENT=203.0.113.10
SERVER=203.0.113.21

log() { printf '[live-sniff %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[[ $(id -u) == 0 ]] || { echo "must run as root (network namespaces, vsftpd)" >&2; exit 2; }
for tool in ip vsftpd curl lftp iptables useradd chpasswd; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
[[ -x $FTPSCOPE ]] || { echo "no executable at $FTPSCOPE" >&2; exit 2; }

# One lab at a time on this machine: other scripts and tests build namespaces too.
exec 9>/tmp/ftpscope-lab.lock
flock -w 120 9 || { echo "the lab lock /tmp/ftpscope-lab.lock is held by another run" >&2; exit 1; }

WORK=$(mktemp -d /tmp/fsniff.XXXXXX)
chmod 755 "$WORK"
CREATED_USER=0

cleanup() {
    local rc=$?
    set +e
    netns_teardown
    [[ $CREATED_USER == 1 ]] && userdel "$FTP_USER" 2>/dev/null
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$OUT"
rm -f "$OUT"/sniff.out "$OUT"/sniff.err "$OUT"/sniff.rc "$OUT"/before-sigint.out

# --- files served ----------------------------------------------------------------------------
ROOT="$WORK/ftproot"
mkdir -p "$ROOT/pub"
for i in $(seq 1 64); do printf 'ftpscope live sniff test file, line %02d ........................\n' "$i"; done \
    | head -c 4096 >"$ROOT/pub/notes.txt"
printf 'hello\n' >"$ROOT/readme.txt"
chmod -R a+rX "$ROOT"

useradd -M -d "$ROOT" -s /bin/bash "$FTP_USER"
CREATED_USER=1
echo "$FTP_USER:$FTP_PASS" | chpasswd

# --- network -----------------------------------------------------------------------------------
netns_add "$NS_C"
netns_add "$NS_S"
veth_pair "$NS_C" eth0 "$NS_S" eth0
ip -n "$NS_C" addr add "$CLIENT/24" dev eth0
ip -n "$NS_S" addr add "$SERVER/24" dev eth0
# The client's firewall answers SYNs to its active-mode data ports with RST.
ip netns exec "$NS_C" iptables -A INPUT -p tcp --syn --dport 50000:50010 -j REJECT --reject-with tcp-reset

# --- vsftpd --------------------------------------------------------------------------------------
cat >"$WORK/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=$SERVER
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
local_root=$ROOT
pam_service_name=vsftpd
seccomp_sandbox=NO
secure_chroot_dir=/var/run/vsftpd/empty
ftpd_banner=ftpscope live sniff test vsftpd
dirmessage_enable=NO
xferlog_enable=NO
hide_ids=YES
chroot_local_user=YES
pasv_min_port=40000
pasv_max_port=40100
connect_from_port_20=YES
connect_timeout=5
data_connection_timeout=20
idle_session_timeout=120
EOF
mkdir -p /var/run/vsftpd/empty
# vsftpd binds port 20 for active mode: make low ports bindable, in the server namespace only.
ip netns exec "$NS_S" sysctl -qw net.ipv4.ip_unprivileged_port_start=0
ip netns exec "$NS_S" vsftpd "$WORK/vsftpd.conf" >"$WORK/vsftpd.log" 2>&1 &
netns_track $!
netns_wait_listen "$NS_S" 21 || { cat "$WORK/vsftpd.log" >&2; echo "vsftpd did not start" >&2; exit 1; }

# --- the sniffer -----------------------------------------------------------------------------------
ip netns exec "$NS_C" "$FTPSCOPE" sniff --interface eth0 ${THREADS:+--threads "$THREADS"} \
    >"$OUT/sniff.out" 2>"$OUT/sniff.err" &
SNIFF=$!
netns_track "$SNIFF"
for _ in $(seq 1 100); do
    grep -q "listening on" "$OUT/sniff.err" 2>/dev/null && break
    kill -0 "$SNIFF" 2>/dev/null || break
    sleep 0.1
done
grep -q "listening on" "$OUT/sniff.err" || { cat "$OUT/sniff.err" >&2; echo "sniffer did not start" >&2; exit 1; }

# Waits until the sniffer's output holds a line matching $1 (streamed and flushed while it runs).
wait_output() {
    local _
    for _ in $(seq 1 100); do
        grep -qE "$1" "$OUT/sniff.out" && return 0
        sleep 0.1
    done
    log "not streamed within 10 s: $1"
    return 0
}

LFTP_SETTINGS="set ftp:ssl-allow no; set net:max-retries 1; set net:timeout 10; set xfer:clobber yes; set ftp:passive-mode yes; set ftp:prefer-epsv no"

# 1. passive: login, ls, get, bye
log "session 1: lftp passive ls + get"
ip netns exec "$NS_C" timeout 30 lftp -u "$FTP_USER,$FTP_PASS" \
    -e "$LFTP_SETTINGS; cd pub; ls; get notes.txt -o $WORK/notes.txt; bye" "ftp://$SERVER" >"$WORK/lftp1.log" 2>&1 \
    || log "lftp 1 exited with $?"
cmp "$WORK/notes.txt" "$ROOT/pub/notes.txt" || log "downloaded file differs"
wait_output 'session_end'

# 2. active mode into the client's firewall: vsftpd's SYN gets RST, 425
log "session 2: curl active mode, refused"
ip netns exec "$NS_C" timeout 30 curl -sS --ftp-port "$CLIENT:50000-50010" --disable-eprt -u "$FTP_USER:$FTP_PASS" \
    "ftp://$SERVER/pub/" -o "$WORK/list2.txt" >"$WORK/curl2.log" 2>&1 || log "curl 2 exited with $? (expected)"
wait_output 'data_connection refused'

# 3. a session left open: login, ls, then idle
log "session 3: lftp left connected"
ip netns exec "$NS_C" timeout 60 lftp -u "$FTP_USER,$FTP_PASS" \
    -e "$LFTP_SETTINGS; ls; !sleep 40; bye" "ftp://$SERVER" >"$WORK/lftp3.log" 2>&1 &
netns_track $!
wait_output 'S3 data_connection'
sleep 0.5

cp "$OUT/sniff.out" "$OUT/before-sigint.out"
log "SIGINT to the sniffer"
kill -INT "$SNIFF"
rc=0
for _ in $(seq 1 100); do kill -0 "$SNIFF" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SNIFF" 2>/dev/null; then
    log "sniffer still running 10 s after SIGINT"
    kill -9 "$SNIFF"
fi
wait "$SNIFF" || rc=$?
echo "$rc" >"$OUT/sniff.rc"
log "sniffer exited with $rc"
