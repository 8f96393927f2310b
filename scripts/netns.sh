# shellcheck shell=bash
# Network-namespace helpers shared by the scripts that build test networks on this machine:
# samples/scripts/lib.sh (the sample captures), scripts/live-sniff-scenario.sh (the live integration test) and
# scripts/sniff-line-rate.sh (a manual measurement). Every namespace and background process made through them is
# recorded, so netns_teardown can remove exactly those, and nothing else, however the script ends.

declare -a _NETNS_PIDS=()
declare -a _NETNS_NAMES=()

# netns_track PID: a background process for netns_teardown to stop.
netns_track() { _NETNS_PIDS+=("$1"); }

# netns_add NAME: a new namespace (an old one of that name is replaced) with loopback up and IPv6 off, so IPv4
# captures carry no router solicitations or MLD reports; netns_enable_ipv6 turns it on for one interface.
netns_add() {
    local ns=$1
    ip netns del "$ns" 2>/dev/null || true
    ip netns add "$ns"
    _NETNS_NAMES+=("$ns")
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# netns_enable_ipv6 NS IFACE
netns_enable_ipv6() {
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=0" "net.ipv6.conf.$2.accept_dad=0" \
        "net.ipv6.conf.$2.router_solicitations=0"
}

# veth_pair NS_A IF_A NS_B IF_B: a link between two namespaces, both ends up.
veth_pair() {
    ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
    ip -n "$1" link set "$2" up
    ip -n "$3" link set "$4" up
}

# netns_wait_listen NS PORT: waits up to 5 s for a TCP listener on PORT in NS; fails if none appears.
netns_wait_listen() {
    local _
    for _ in $(seq 1 50); do
        ip netns exec "$1" ss -ltnH "sport = :$2" | grep -q LISTEN && return 0
        sleep 0.1
    done
    return 1
}

# netns_teardown: stops the tracked processes (TERM, then KILL), then deletes the recorded namespaces after
# killing whatever still runs inside them (only inside namespaces made here). Safe to call more than once.
netns_teardown() {
    local pid ns
    for pid in "${_NETNS_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    [[ ${#_NETNS_PIDS[@]} -gt 0 ]] && sleep 0.3
    for pid in "${_NETNS_PIDS[@]}"; do
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    _NETNS_PIDS=()
    for ns in "${_NETNS_NAMES[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    _NETNS_NAMES=()
    return 0
}
