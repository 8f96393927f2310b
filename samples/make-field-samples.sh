#!/usr/bin/env bash
# Regenerate the "failures from the field" sample captures (issue 15): refusals after the data connection opened,
# password-guessing runs, stalled transfers, server-side NAT without the passive range forwarded, and sessions with
# ProFTPD and Pure-FTPd.
#
#   sudo samples/make-field-samples.sh            # all scenarios
#   sudo samples/make-field-samples.sh NAME...    # only these (see `list`)
#   samples/make-field-samples.sh list
#
# Same building blocks as make-samples.sh (scripts/lib.sh: namespaces, vsftpd, pyftpdlib, tcpdump, cleanup on
# exit), with its own namespace names (`fld-*`) and holding /tmp/ftpscope-lab.lock for the whole run, so it
# never collides with another lab on this machine. Requires root, vsftpd, curl, tcpdump, iptables, python3 +
# pyftpdlib.

set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/scripts" && pwd)"
OUT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ ${1:-} != list && -z ${FTPSCOPE_LAB_LOCKED:-} ]]; then
    # One lab at a time on this machine (namespaces, the temporary Unix user, port 21 in the namespaces).
    export FTPSCOPE_LAB_LOCKED=1
    exec flock /tmp/ftpscope-lab.lock "$0" "$@"
fi

# shellcheck source=scripts/lib.sh
source "$SCRIPT_DIR/lib.sh"
NS_PREFIX="fld"
NS_CLIENT="${NS_PREFIX}-client"
NS_ROUTER="${NS_PREFIX}-router"
NS_SERVER="${NS_PREFIX}-server"

client_log() { echo "$_WORK/client.log"; }

curl_run() {
    local ns=$1; shift
    in_ns "$ns" curl -sS -v "$@" >>"$(client_log)" 2>&1 || log "curl exited with status $? (expected for failure scenarios)"
}

py_run() {   # py_run NS SCRIPT ARGS...
    local ns=$1 script=$2; shift 2
    in_ns "$ns" python3 "$SCRIPT_DIR/$script" "$@" >>"$(client_log)" 2>&1 || log "$script exited with status $?"
}

finish() {   # finish NAME  -- move the capture into samples/ and show the client's transcript
    local name=$1
    [[ $CAPTURE_LOST == 0 ]] || return 0
    install -m 644 "$_WORK/$name" "$OUT_DIR/$name"
    log "wrote $OUT_DIR/$name ($(stat -c %s "$OUT_DIR/$name") bytes)"
    sed 's/^/    client| /' "$(client_log)" >&2 || true
    : >"$(client_log)"
}

# ---------------------------------------------------------------------------------------------
# refused-after-connect-vsftpd.pcap: flat link. scripts/ftplib-missing.py against vsftpd: ftplib connects to the
#    passive port as soon as the 227 arrives, before it sends RETR /pub/missing.bin; vsftpd answers
#    `550 Failed to open file.` and closes its listening socket with the connection still in its accept queue, so
#    the kernel resets it. The data connection was not at fault: the server refused the command. Then
#    RETR /pub/notes.txt completes.
scenario_refused_after_connect_vsftpd() {
    topo_flat
    start_vsftpd "$NS_SERVER" 192.0.2.21
    capture_start "$NS_SERVER" eth0 "$_WORK/refused-after-connect-vsftpd.pcap"
    py_run "$NS_CLIENT" ftplib-missing.py 192.0.2.21 "$FTP_USER" "$FTP_PASS"
    capture_stop "$CAP_PID"
    finish refused-after-connect-vsftpd.pcap
}

# refused-after-connect-pyftpdlib.pcap: flat link. scripts/ftplib-missing.py against pyftpdlib: PASV, connect,
#    RETR /pub/missing.bin -> 550, the server closes the unused data connection; then RETR /pub/notes.txt works.
scenario_refused_after_connect_pyftpdlib() {
    topo_flat
    start_pyftpdlib "$NS_SERVER" 192.0.2.21
    capture_start "$NS_SERVER" eth0 "$_WORK/refused-after-connect-pyftpdlib.pcap"
    py_run "$NS_CLIENT" ftplib-missing.py 192.0.2.21 "$PY_USER" "$PY_PASS"
    capture_stop "$CAP_PID"
    finish refused-after-connect-pyftpdlib.pcap
}

# guessing-run-pyftpdlib.pcap: flat link. scripts/ftplib-guess.py: twelve wrong logins (ten for alice, two for
#    admin) over four control connections (pyftpdlib closes one after three failures), in about ten seconds.
scenario_guessing_run_pyftpdlib() {
    topo_flat
    start_pyftpdlib "$NS_SERVER" 192.0.2.21
    capture_start "$NS_SERVER" eth0 "$_WORK/guessing-run-pyftpdlib.pcap"
    py_run "$NS_CLIENT" ftplib-guess.py 192.0.2.21
    capture_stop "$CAP_PID"
    finish guessing-run-pyftpdlib.pcap
}

# ---------------------------------------------------------------------------------------------
# passive-not-forwarded-{server,client}-side.pcap: the server 10.0.1.21 sits behind a router whose public address
#    198.51.100.1 forwards only the control port 21 to it (DNAT), not the passive range; the router drops
#    everything else arriving on its public side, without ICMP. vsftpd knows its public address
#    (pasv_address=198.51.100.1), so EPSV/PASV announce 198.51.100.1:port. curl connects before it sends a
#    transfer command: EPSV, SYNs to the announced port unanswered until --connect-timeout 3, then PASV, the same,
#    and it gives up (QUIT). Captured at once on the server's interface (no SYN ever arrives there; the client is
#    seen as 198.51.100.10) and on the client's (the SYNs leave and get no answer).
scenario_passive_not_forwarded() {
    topo_server_nat
    # Forward only the control port: remove the passive-range rule topo_server_nat adds, and drop (no ICMP)
    # what reaches the router itself on the public side, as home routers do.
    in_ns "$NS_ROUTER" iptables -t nat -D PREROUTING -i wan0 -d 198.51.100.1 -p tcp --dport 40000:40100 -j DNAT --to-destination 10.0.1.21
    in_ns "$NS_ROUTER" iptables -A INPUT -i wan0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    in_ns "$NS_ROUTER" iptables -A INPUT -i wan0 -j DROP
    start_vsftpd "$NS_SERVER" 10.0.1.21 pasv_address=198.51.100.1
    capture_start "$NS_SERVER" eth0 "$_WORK/passive-not-forwarded-server-side.pcap"; local cap1=$CAP_PID
    capture_start "$NS_CLIENT" eth0 "$_WORK/passive-not-forwarded-client-side.pcap"; local cap2=$CAP_PID
    curl_run "$NS_CLIENT" --connect-timeout 8 -u "$FTP_USER:$FTP_PASS" ftp://198.51.100.1/pub/notes.txt -o "$_WORK/notes.txt"
    capture_stop "$cap1"
    capture_stop "$cap2"
    [[ $CAPTURE_LOST == 0 ]] || return 0
    finish passive-not-forwarded-server-side.pcap
    finish passive-not-forwarded-client-side.pcap
}

# ---------------------------------------------------------------------------------------------
# Topology "routed": client 198.51.100.10 -> router 198.51.100.1 | 192.0.2.1 -> server 192.0.2.21, plain
#   forwarding (no NAT). The router drops every TCP packet of 1400 bytes or more (IP length) in both directions
#   and sends no ICMP "fragmentation needed": a path-MTU black hole (RFC 2923 section 2.1). Small packets (the
#   control connection, handshakes, ACKs) pass.
topo_blackhole() {
    netns_add "$NS_CLIENT"
    netns_add "$NS_ROUTER"
    netns_add "$NS_SERVER"
    veth_pair "$NS_CLIENT" eth0 "$NS_ROUTER" cli0
    veth_pair "$NS_ROUTER" srv0 "$NS_SERVER" eth0
    set_mac "$NS_CLIENT" eth0 02:00:00:00:00:10
    set_mac "$NS_ROUTER" cli0 02:00:00:00:01:01
    set_mac "$NS_ROUTER" srv0 02:00:00:00:00:01
    set_mac "$NS_SERVER" eth0 02:00:00:00:00:21
    ip -n "$NS_CLIENT" addr add 198.51.100.10/24 dev eth0
    ip -n "$NS_CLIENT" route add default via 198.51.100.1
    ip -n "$NS_ROUTER" addr add 198.51.100.1/24 dev cli0
    ip -n "$NS_ROUTER" addr add 192.0.2.1/24 dev srv0
    ip -n "$NS_SERVER" addr add 192.0.2.21/24 dev eth0
    ip -n "$NS_SERVER" route add default via 192.0.2.1
    in_ns "$NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1
    in_ns "$NS_ROUTER" iptables -A FORWARD -p tcp -m length --length 1400:65535 -j DROP
    # No offloads: segments on the wire are what the stack sent (GRO would merge them past the rule).
    local ns dev
    for ns in "$NS_CLIENT:eth0" "$NS_ROUTER:cli0" "$NS_ROUTER:srv0" "$NS_SERVER:eth0"; do
        dev=${ns#*:}; ns=${ns%%:*}
        in_ns "$ns" ethtool -K "$dev" gro off gso off tso off >/dev/null 2>&1 || true
    done
}

# stalled-mtu-{server,client}-side.pcap: topo_blackhole. curl (EPSV off) downloads /pub/data.bin (20,000 bytes)
#    with --max-time 25. vsftpd (data_connection_timeout=12) sends 1448-byte segments that the router drops; the
#    server retransmits the first one with exponential backoff, never acknowledged; the last, shorter segment
#    passes and the client acknowledges only up to the hole. vsftpd gives up on the data connection and writes
#    `421 Data timeout. Reconnect. Sorry.`. Captured at once on the server's and the client's interface.
scenario_stalled_mtu() {
    topo_blackhole
    start_vsftpd "$NS_SERVER" 192.0.2.21 data_connection_timeout=12
    capture_start "$NS_SERVER" eth0 "$_WORK/stalled-mtu-server-side.pcap"; local cap1=$CAP_PID
    capture_start "$NS_CLIENT" eth0 "$_WORK/stalled-mtu-client-side.pcap"; local cap2=$CAP_PID
    curl_run "$NS_CLIENT" --disable-epsv --max-time 25 -u "$FTP_USER:$FTP_PASS" ftp://192.0.2.21/pub/data.bin -o "$_WORK/data.bin"
    capture_stop "$cap1"
    capture_stop "$cap2"
    [[ $CAPTURE_LOST == 0 ]] || return 0
    finish stalled-mtu-server-side.pcap
    finish stalled-mtu-client-side.pcap
}

# stalled-receiver-vsftpd.pcap: flat link. scripts/ftplib-stop-reading.py opens the passive data connection with
#    a 4 KiB receive buffer, sends RETR /pub/big.bin (1,000,000 bytes, made for this run) and reads nothing for
#    20 s: its window closes, vsftpd (data_connection_timeout=8) probes the zero window, then gives up with
#    `421 Data timeout. Reconnect. Sorry.` and resets the data connection.
scenario_stalled_receiver() {
    topo_flat
    head -c 1000000 /dev/zero | tr '\0' 'A' >"$_WORK/ftproot/pub/big.bin"
    start_vsftpd "$NS_SERVER" 192.0.2.21 data_connection_timeout=8
    capture_start "$NS_SERVER" eth0 "$_WORK/stalled-receiver-vsftpd.pcap"
    py_run "$NS_CLIENT" ftplib-stop-reading.py 192.0.2.21 "$FTP_USER" "$FTP_PASS" /pub/big.bin 20
    capture_stop "$CAP_PID"
    rm -f "$_WORK/ftproot/pub/big.bin"
    finish stalled-receiver-vsftpd.pcap
}

# ---------------------------------------------------------------------------------------------
# ProFTPD and Pure-FTPd conflict with vsftpd as installed Debian packages, so they run unpacked from a private
# prefix: `apt-get download` of their packages (and the libraries this machine lacks), `dpkg -x` into
# $SERVERS. Both log in the same temporary Unix user as vsftpd (from /etc/shadow, no PAM).
SERVERS=${FTPSCOPE_SERVERS:-/var/cache/ftpscope-samples/servers}
ensure_unpacked_servers() {
    [[ -x $SERVERS/usr/sbin/proftpd && -x $SERVERS/usr/sbin/pure-ftpd ]] && return 0
    local debs="$SERVERS.debs"
    mkdir -p "$debs" "$SERVERS"
    (cd "$debs" && apt-get download proftpd-basic proftpd-core pure-ftpd pure-ftpd-common libhiredis0.14 \
        libmemcached11 libmemcachedutil2 libpcre2-posix3 libhashkit2)
    local deb
    for deb in "$debs"/*.deb; do dpkg -x "$deb" "$SERVERS"; done
}
server_libs() { echo "$SERVERS/usr/lib/x86_64-linux-gnu"; }

# start_proftpd NS ADDR: ProFTPD 1.3.8 standalone, local users from /etc/shadow (mod_auth_unix), chrooted to
#   their home (the sample tree), passive ports 40000-40100.
start_proftpd() {
    local ns=$1 addr=$2
    ensure_unpacked_servers
    ensure_user
    mkdir -p "$_WORK/proftpd"
    cat >"$_WORK/proftpd/proftpd.conf" <<CONF
ServerName "ftpscope sample ProFTPD"
ServerType standalone
DefaultServer on
DefaultAddress $addr
SocketBindTight on
Port 21
UseIPv6 off
User nobody
Group nogroup
Umask 022
MaxInstances 10
PidFile $_WORK/proftpd/proftpd.pid
ScoreboardFile $_WORK/proftpd/proftpd.scoreboard
DelayTable none
WtmpLog off
UseReverseDNS off
AuthPAM off
AuthOrder mod_auth_unix.c
RequireValidShell off
DefaultRoot ~
PassivePorts 40000 40100
TimeoutNoTransfer 60
<Directory />
  AllowOverwrite on
</Directory>
CONF
    ip netns exec "$ns" env LD_LIBRARY_PATH="$(server_libs)" "$SERVERS/usr/sbin/proftpd" --nodaemon \
        -c "$_WORK/proftpd/proftpd.conf" >"$_WORK/proftpd.log" 2>&1 &
    netns_track $!
    wait_port "$ns" 21
}

# start_pure_ftpd NS ADDR: Pure-FTPd 1.0.50, local users from /etc/shadow (-l unix), chrooted (-A), no
#   anonymous logins (-E), passive ports 40000-40100.
start_pure_ftpd() {
    local ns=$1 addr=$2
    ensure_unpacked_servers
    ensure_user
    ip netns exec "$ns" env LD_LIBRARY_PATH="$(server_libs)" "$SERVERS/usr/sbin/pure-ftpd" -S "$addr,21" \
        -l unix -E -A -p 40000:40100 -H >"$_WORK/pure-ftpd.log" 2>&1 &
    netns_track $!
    wait_port "$ns" 21
}

# proftpd-session.pcap / pure-ftpd-session.pcap: flat link. scripts/ftplib-missing.py against each server:
#    PASV, connect, RETR /pub/missing.bin -> the server's 550, then PASV + RETR /pub/notes.txt (4,096 bytes).
#    Their wording and habits (banner, 550 text, 150/226 text, who closes the data connection) are in the tests.
scenario_proftpd_session() {
    topo_flat
    start_proftpd "$NS_SERVER" 192.0.2.21
    capture_start "$NS_SERVER" eth0 "$_WORK/proftpd-session.pcap"
    py_run "$NS_CLIENT" ftplib-missing.py 192.0.2.21 "$FTP_USER" "$FTP_PASS"
    capture_stop "$CAP_PID"
    finish proftpd-session.pcap
}

scenario_pure_ftpd_session() {
    topo_flat
    start_pure_ftpd "$NS_SERVER" 192.0.2.21
    capture_start "$NS_SERVER" eth0 "$_WORK/pure-ftpd-session.pcap"
    py_run "$NS_CLIENT" ftplib-missing.py 192.0.2.21 "$FTP_USER" "$FTP_PASS"
    capture_stop "$CAP_PID"
    finish pure-ftpd-session.pcap
}

ALL_SCENARIOS=(refused_after_connect_vsftpd refused_after_connect_pyftpdlib guessing_run_pyftpdlib passive_not_forwarded
    stalled_mtu stalled_receiver proftpd_session pure_ftpd_session)

main() {
    if [[ ${1:-} == list ]]; then printf '%s\n' "${ALL_SCENARIOS[@]}"; exit 0; fi
    local todo=("$@")
    [[ ${#todo[@]} -gt 0 ]] || todo=("${ALL_SCENARIOS[@]}")
    init_work
    local s
    for s in "${todo[@]}"; do
        s=${s//-/_}
        declare -F "scenario_$s" >/dev/null || { echo "unknown scenario: $s" >&2; exit 2; }
        local try
        for try in 1 2 3; do
            log "=== $s (attempt $try)"
            CAPTURE_LOST=0
            "scenario_$s"
            reset_scenario
            [[ $CAPTURE_LOST == 0 ]] && break
            [[ $try == 3 ]] && { log "giving up on $s: packets lost three times"; exit 1; }
        done
    done
}

main "$@"
