#!/usr/bin/env bash
# Regenerate the paired captures for `ftpscope compare`: every scenario is recorded by two tcpdumps at once, one
# on the client's interface and one on the server's interface, so the two files show the same traffic from two
# vantage points (samples/README.md, "Captures at two vantage points").
#
#   sudo samples/make-compare-samples.sh            # all scenarios
#   sudo samples/make-compare-samples.sh NAME...    # only these (see `list`)
#
# The building blocks (namespaces, vsftpd, captures, cleanup) are those of make-samples.sh (scripts/lib.sh); the
# namespaces here are named cmp-client, cmp-router, cmp-server. Only documentation and RFC 1918 addresses, only
# inside namespaces this script creates; everything is removed on exit. Runs hold /tmp/ftpscope-lab.lock so two
# labs on one machine do not collide. The NAT without an FTP helper is make-samples.sh's
# active_nat_failure_two_sides (active-nat-failure-client-side.pcap / -server-side.pcap).
#
# Requires root, vsftpd, lftp, curl, tcpdump, iptables (with the kernel's nf_conntrack_ftp / nf_nat_ftp, built in
# or loadable, for nat_helper).

set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/scripts" && pwd)"
OUT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$SCRIPT_DIR/lib.sh"
NS_CLIENT="cmp-client"
NS_ROUTER="cmp-router"
NS_SERVER="cmp-server"

client_log() { echo "$_WORK/client.log"; }

lftp_run() {
    local ns=$1 url=$2 cmds=$3
    in_ns "$ns" lftp -d -u "$FTP_USER,$FTP_PASS" \
        -e "set ftp:ssl-allow no; set net:max-retries 1; set net:timeout 10; set xfer:clobber yes; $cmds; bye" \
        "$url" >>"$(client_log)" 2>&1 || log "lftp exited with status $? (expected for failure scenarios)"
}

curl_run() {
    local ns=$1; shift
    in_ns "$ns" curl -sS -v "$@" >>"$(client_log)" 2>&1 || log "curl exited with status $? (expected for failure scenarios)"
}

# both_start NAME CLIENT_IFACE: tcpdump on the client's and the server's interface at once.
both_start() {
    capture_start "$NS_CLIENT" "$2" "$_WORK/$1-client.pcap"; CAP_CLIENT=$CAP_PID
    capture_start "$NS_SERVER" eth0 "$_WORK/$1-server.pcap"; CAP_SERVER=$CAP_PID
}

# both_finish NAME: stop both captures and keep them when neither lost a packet.
both_finish() {
    capture_stop "$CAP_CLIENT"
    capture_stop "$CAP_SERVER"
    [[ $CAPTURE_LOST == 0 ]] || return 0
    local side
    for side in client server; do
        install -m 644 "$_WORK/$1-$side.pcap" "$OUT_DIR/$1-$side.pcap"
        log "wrote $OUT_DIR/$1-$side.pcap ($(stat -c %s "$OUT_DIR/$1-$side.pcap") bytes)"
    done
    sed 's/^/    client| /' "$(client_log)" >&2 || true
    : >"$(client_log)"
}

# Topology "routed": client 192.0.2.10 -> router 192.0.2.1 | 198.51.100.1 -> server 198.51.100.21, no NAT. The
# router forwards everything unless a scenario adds a rule.
topo_routed() {
    netns_add "$NS_CLIENT"
    netns_add "$NS_ROUTER"
    netns_add "$NS_SERVER"
    veth_pair "$NS_CLIENT" eth0 "$NS_ROUTER" lan0
    veth_pair "$NS_ROUTER" wan0 "$NS_SERVER" eth0
    set_mac "$NS_CLIENT" eth0 02:00:00:00:00:10
    set_mac "$NS_ROUTER" lan0 02:00:00:00:00:01
    set_mac "$NS_ROUTER" wan0 02:00:00:00:01:01
    set_mac "$NS_SERVER" eth0 02:00:00:00:00:21
    ip -n "$NS_CLIENT" addr add 192.0.2.10/24 dev eth0
    ip -n "$NS_CLIENT" route add default via 192.0.2.1
    ip -n "$NS_ROUTER" addr add 192.0.2.1/24 dev lan0
    ip -n "$NS_ROUTER" addr add 198.51.100.1/24 dev wan0
    ip -n "$NS_SERVER" addr add 198.51.100.21/24 dev eth0
    ip -n "$NS_SERVER" route add default via 198.51.100.1
    in_ns "$NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1
}

# compare-nat-helper: the client NAT of make-samples.sh (10.0.0.2 behind 10.0.0.1 | 192.0.2.1, MASQUERADE, no
# new connections into the LAN) with the kernel's FTP helper attached to the control connection (nf_conntrack_ftp
# + nf_nat_ftp: helpers are no longer assigned automatically, so a raw-table CT rule names it). The helper
# rewrites PORT 10,0,0,2,… to 192,0,2,1,… and expects the server's data connection, which it lets in and
# translates back: the active-mode LIST and RETR complete. vsftpd keeps its default port_promiscuous=NO (the
# rewritten PORT names the control connection's own address).
scenario_nat_helper() {
    topo_client_nat
    in_ns "$NS_ROUTER" iptables -t raw -A PREROUTING -i lan0 -p tcp --dport 21 -j CT --helper ftp
    start_vsftpd "$NS_SERVER" 192.0.2.21
    both_start compare-nat-helper eth0
    lftp_run "$NS_CLIENT" ftp://192.0.2.21 \
        "set ftp:passive-mode off; cd pub; ls; get data.bin -o $_WORK/data.bin"
    both_finish compare-nat-helper
    cmp "$_WORK/data.bin" "$_WORK/ftproot/pub/data.bin"
}

# compare-client-firewall: flat link 192.0.2.10 <-> 192.0.2.21; the client host's own firewall drops SYNs to its
# ports 50000-50010. curl announces PORT 192,0,2,10,195,80 (its own address, no NAT); vsftpd's SYNs are on the
# wire at the server and at the client's interface, and the client's INPUT chain drops them: 425 after 5 s.
scenario_client_firewall() {
    topo_flat
    in_ns "$NS_CLIENT" iptables -A INPUT -p tcp --syn --dport 50000:50010 -j DROP
    start_vsftpd "$NS_SERVER" 192.0.2.21
    both_start compare-client-firewall eth0
    curl_run "$NS_CLIENT" --ftp-port 192.0.2.10:50000-50010 --disable-eprt -u "$FTP_USER:$FTP_PASS" \
        ftp://192.0.2.21/pub/ -o "$_WORK/list.txt"
    both_finish compare-client-firewall
}

# compare-passive-blocked: routed, no NAT; the router in front of the server drops SYNs to the server's passive
# range 40000-40100. curl (PASV) gets 227, its SYNs leave the client and never reach the server; curl gives up
# after --connect-timeout 5 without a transfer command.
scenario_passive_blocked() {
    topo_routed
    in_ns "$NS_ROUTER" iptables -A FORWARD -d 198.51.100.21 -p tcp --syn --dport 40000:40100 -j DROP
    start_vsftpd "$NS_SERVER" 198.51.100.21
    both_start compare-passive-blocked eth0
    curl_run "$NS_CLIENT" --disable-epsv --connect-timeout 5 -u "$FTP_USER:$FTP_PASS" \
        ftp://198.51.100.21/pub/ -o "$_WORK/list.txt"
    both_finish compare-passive-blocked
}

# compare-clean: routed, nothing in the way. Two sessions: lftp in passive mode (LIST, RETR notes.txt), then curl
# in active mode (PORT, LIST).
scenario_clean() {
    topo_routed
    start_vsftpd "$NS_SERVER" 198.51.100.21
    both_start compare-clean eth0
    lftp_run "$NS_CLIENT" ftp://198.51.100.21 "cd pub; ls; get notes.txt -o $_WORK/notes.txt"
    curl_run "$NS_CLIENT" --ftp-port - --disable-eprt -u "$FTP_USER:$FTP_PASS" \
        ftp://198.51.100.21/pub/ -o "$_WORK/list.txt"
    both_finish compare-clean
    cmp "$_WORK/notes.txt" "$_WORK/ftproot/pub/notes.txt"
}

ALL_SCENARIOS=(nat_helper client_firewall passive_blocked clean)

main() {
    if [[ ${1:-} == list ]]; then printf '%s\n' "${ALL_SCENARIOS[@]}"; exit 0; fi
    local todo=("$@")
    [[ ${#todo[@]} -gt 0 ]] || todo=("${ALL_SCENARIOS[@]}")
    exec 8>/tmp/ftpscope-lab.lock
    flock 8
    init_work
    local s try
    for s in "${todo[@]}"; do
        s=${s//-/_}
        declare -F "scenario_$s" >/dev/null || { echo "unknown scenario: $s" >&2; exit 2; }
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
