# shellcheck shell=bash
# Helpers shared by make-samples.sh: network namespaces, servers, captures, cleanup.
#
# Everything here talks only to network namespaces it creates (names start with "fsmp-")
# and uses documentation / RFC 1918 addresses. A single EXIT trap tears down every
# namespace, process and temporary directory that was created.

set -euo pipefail

# Namespace and process bookkeeping shared with the live-sniffing scripts.
# shellcheck source=../../scripts/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/netns.sh"

NS_PREFIX="fsmp"
NS_CLIENT="${NS_PREFIX}-client"
NS_ROUTER="${NS_PREFIX}-router"
NS_SERVER="${NS_PREFIX}-server"

# Test account used for vsftpd password logins (a real local Unix user, removed on exit).
FTP_USER="ftpscope"
FTP_PASS="ftpscope-pass"

# pyftpdlib account (its own authorizer; no Unix user).
PY_USER="alice"
PY_PASS="correct-horse"

declare -A _CAP_ERR=()
_WORK=""
_CREATED_USER=0

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cleanup() {
    local rc=$?
    set +e
    netns_teardown
    if [[ $_CREATED_USER == 1 ]]; then
        userdel "$FTP_USER" 2>/dev/null
        _CREATED_USER=0
    fi
    [[ -n $_WORK && -d $_WORK ]] && rm -rf "$_WORK"
    _WORK=""
    return $rc
}

# Per-scenario reset: tear down namespaces/processes but keep the work dir and user.
reset_scenario() {
    set +e
    netns_teardown
    set -e
}

init_work() {
    [[ $(id -u) == 0 ]] || { echo "must run as root (network namespaces, vsftpd)" >&2; exit 1; }
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    _WORK=$(mktemp -d /tmp/ftpscope-samples.XXXXXX)
    chmod 755 "$_WORK"
    make_ftp_tree
}

# --- files served by the FTP servers (known, reproducible content) -------------------------
make_ftp_tree() {
    local root="$_WORK/ftproot"
    mkdir -p "$root/pub" "$root/upload"
    # readme.txt: 1,000 bytes of text (20 lines of 50 bytes)
    python3 - "$root" <<'PY'
import sys, random
root = sys.argv[1]
with open(f"{root}/readme.txt", "w") as f:
    for i in range(20):
        f.write(f"ftpscope sample file, line {i+1:02d} ".ljust(49, ".") + "\n")
rnd = random.Random(20240501)
with open(f"{root}/pub/data.bin", "wb") as f:          # 20,000 bytes, seeded pseudo-random
    f.write(bytes(rnd.getrandbits(8) for _ in range(20000)))
with open(f"{root}/pub/notes.txt", "w") as f:          # 4,096 bytes
    f.write(("notes " * 700)[:4095] + "\n")
PY
    # upload.txt: the file the clients STOR (3,000 bytes)
    python3 -c 'import sys; sys.stdout.write(("upload line for ftpscope ".ljust(59,"-")+"\n")*50)' > "$_WORK/upload.txt"
    chmod -R a+rX "$root"
    chmod 777 "$root/upload"
}

ensure_user() {
    if ! id "$FTP_USER" >/dev/null 2>&1; then
        useradd -M -d "$_WORK/ftproot" -s /bin/bash "$FTP_USER"
        _CREATED_USER=1
    fi
    echo "$FTP_USER:$FTP_PASS" | chpasswd
    chown "$FTP_USER" "$_WORK/ftproot/upload"
}

# --- namespaces (netns_add, veth_pair, netns_enable_ipv6: scripts/netns.sh) -----------------
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Fixed MAC addresses so captures are comparable between runs.
set_mac() { ip -n "$1" link set "$2" address "$3"; }

# Topology "flat": client 192.0.2.10 <-> server 192.0.2.21 on one link; with argument "v6" also
#   2001:db8::10 <-> 2001:db8::21.
topo_flat() {
    netns_add "$NS_CLIENT"
    netns_add "$NS_SERVER"
    veth_pair "$NS_CLIENT" eth0 "$NS_SERVER" eth0
    set_mac "$NS_CLIENT" eth0 02:00:00:00:00:10
    set_mac "$NS_SERVER" eth0 02:00:00:00:00:21
    ip -n "$NS_CLIENT" addr add 192.0.2.10/24 dev eth0
    ip -n "$NS_SERVER" addr add 192.0.2.21/24 dev eth0
    if [[ ${1:-} == v6 ]]; then
        netns_enable_ipv6 "$NS_CLIENT" eth0
        netns_enable_ipv6 "$NS_SERVER" eth0
        ip -n "$NS_CLIENT" addr add 2001:db8::10/64 dev eth0 nodad
        ip -n "$NS_SERVER" addr add 2001:db8::21/64 dev eth0 nodad
    fi
}

# Topology "client NAT": client 10.0.0.2 (private LAN) -> router 10.0.0.1 | 192.0.2.1 (masquerade)
#   -> server 192.0.2.21. The router forwards LAN->public and replies, and drops every new
#   connection from the public side into the LAN (as the Internet does for private addresses).
topo_client_nat() {
    netns_add "$NS_CLIENT"
    netns_add "$NS_ROUTER"
    netns_add "$NS_SERVER"
    veth_pair "$NS_CLIENT" eth0 "$NS_ROUTER" lan0
    veth_pair "$NS_ROUTER" wan0 "$NS_SERVER" eth0
    set_mac "$NS_CLIENT" eth0 02:00:00:00:00:02
    set_mac "$NS_ROUTER" lan0 02:00:00:00:00:01
    set_mac "$NS_ROUTER" wan0 02:00:00:00:01:01
    set_mac "$NS_SERVER" eth0 02:00:00:00:00:21
    ip -n "$NS_CLIENT" addr add 10.0.0.2/24 dev eth0
    ip -n "$NS_CLIENT" route add default via 10.0.0.1
    ip -n "$NS_ROUTER" addr add 10.0.0.1/24 dev lan0
    ip -n "$NS_ROUTER" addr add 192.0.2.1/24 dev wan0
    ip -n "$NS_SERVER" addr add 192.0.2.21/24 dev eth0
    ip -n "$NS_SERVER" route add default via 192.0.2.1
    in_ns "$NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1
    in_ns "$NS_ROUTER" iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -o wan0 -j MASQUERADE
    in_ns "$NS_ROUTER" iptables -P FORWARD DROP
    in_ns "$NS_ROUTER" iptables -A FORWARD -i lan0 -o wan0 -j ACCEPT
    in_ns "$NS_ROUTER" iptables -A FORWARD -i wan0 -o lan0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    # no FTP conntrack helper is attached, so PORT commands pass through unrewritten
}

# Topology "server NAT": client 198.51.100.10 -> router 198.51.100.1 | 10.0.1.1 -> server 10.0.1.21.
#   The router's public address 198.51.100.1 port-forwards 21 and 40000-40100 to the server.
topo_server_nat() {
    netns_add "$NS_CLIENT"
    netns_add "$NS_ROUTER"
    netns_add "$NS_SERVER"
    veth_pair "$NS_CLIENT" eth0 "$NS_ROUTER" wan0
    veth_pair "$NS_ROUTER" lan0 "$NS_SERVER" eth0
    set_mac "$NS_CLIENT" eth0 02:00:00:00:00:10
    set_mac "$NS_ROUTER" wan0 02:00:00:00:01:01
    set_mac "$NS_ROUTER" lan0 02:00:00:00:00:01
    set_mac "$NS_SERVER" eth0 02:00:00:00:00:21
    ip -n "$NS_CLIENT" addr add 198.51.100.10/24 dev eth0
    ip -n "$NS_CLIENT" route add default via 198.51.100.1
    ip -n "$NS_ROUTER" addr add 198.51.100.1/24 dev wan0
    ip -n "$NS_ROUTER" addr add 10.0.1.1/24 dev lan0
    ip -n "$NS_SERVER" addr add 10.0.1.21/24 dev eth0
    ip -n "$NS_SERVER" route add default via 10.0.1.1
    in_ns "$NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1
    in_ns "$NS_ROUTER" iptables -t nat -A PREROUTING -i wan0 -d 198.51.100.1 -p tcp --dport 21 -j DNAT --to-destination 10.0.1.21
    in_ns "$NS_ROUTER" iptables -t nat -A PREROUTING -i wan0 -d 198.51.100.1 -p tcp --dport 40000:40100 -j DNAT --to-destination 10.0.1.21
    in_ns "$NS_ROUTER" iptables -t nat -A POSTROUTING -s 10.0.1.0/24 -o wan0 -j MASQUERADE
    in_ns "$NS_ROUTER" iptables -P FORWARD DROP
    in_ns "$NS_ROUTER" iptables -A FORWARD -i lan0 -o wan0 -j ACCEPT
    in_ns "$NS_ROUTER" iptables -A FORWARD -i wan0 -o lan0 -m conntrack --ctstate DNAT -j ACCEPT
    in_ns "$NS_ROUTER" iptables -A FORWARD -i wan0 -o lan0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    # anything else from the public side into 10.0.1.0/24 is silently dropped
}

# --- servers -------------------------------------------------------------------------------
# start_vsftpd NS LISTEN_ADDR [extra config lines...]
start_vsftpd() {
    local ns=$1 addr=$2; shift 2
    ensure_user
    local conf="$_WORK/vsftpd.conf"
    {
        if [[ $addr == *:* ]]; then
            echo "listen=NO"; echo "listen_ipv6=YES"; echo "listen_address6=$addr"
        else
            echo "listen=YES"; echo "listen_ipv6=NO"; echo "listen_address=$addr"
        fi
        cat <<EOF
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
local_root=$_WORK/ftproot
pam_service_name=vsftpd
seccomp_sandbox=NO
secure_chroot_dir=/var/run/vsftpd/empty
ftpd_banner=ftpscope sample vsftpd
dirmessage_enable=NO
xferlog_enable=NO
hide_ids=YES
chroot_local_user=YES
pasv_min_port=40000
pasv_max_port=40100
connect_from_port_20=YES
connect_timeout=5
data_connection_timeout=20
idle_session_timeout=60
EOF
        local l
        for l in "$@"; do echo "$l"; done
    } > "$conf"
    mkdir -p /var/run/vsftpd/empty
    # vsftpd binds its active-mode data socket to port 20 (connect_from_port_20=YES); inside these
    # namespaces its privilege-separated helper gets "500 OOPS: vsf_sysutil_bind" unless low ports
    # are bindable, so open them up in the server namespace only.
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_unprivileged_port_start=0
    ip netns exec "$ns" vsftpd "$conf" >"$_WORK/vsftpd.log" 2>&1 &
    netns_track $!
    # the control port: 21 unless an extra line says listen_port=N (e.g. 990 for implicit TLS)
    local port=21 l2
    for l2 in "$@"; do [[ $l2 == listen_port=* ]] && port=${l2#listen_port=}; done
    wait_port "$ns" "$port"
}

# make_tls_cert DIR  -> DIR/cert.pem, DIR/key.pem: a throw-away self-signed RSA certificate
#   (CN ftp.example.test), valid 30 days, for the FTPS scenarios.
make_tls_cert() {
    mkdir -p "$1"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=ftp.example.test" \
        -keyout "$1/key.pem" -out "$1/cert.pem" >/dev/null 2>&1
    chmod 600 "$1/key.pem"
}

# start_pyftpdlib NS LISTEN_ADDR [PERM]
start_pyftpdlib() {
    local ns=$1 addr=$2 perm=${3:-elradfmw}
    ip netns exec "$ns" python3 "$SCRIPT_DIR/pyftpd-server.py" "$addr" 21 "$_WORK/ftproot" "$PY_USER" "$PY_PASS" "$perm" \
        >"$_WORK/pyftpdlib.log" 2>&1 &
    netns_track $!
    wait_port "$ns" 21
}

wait_port() {
    local ns=$1 port=$2
    netns_wait_listen "$ns" "$port" && return 0
    echo "server in $ns did not listen on $port" >&2
    cat "$_WORK"/*.log >&2 || true
    return 1
}

# --- capture -------------------------------------------------------------------------------
# capture_start NS IFACE FILE [tcpdump filter...]   -> sets CAP_PID
capture_start() {
    local ns=$1 iface=$2 file=$3; shift 3
    local errf="$_WORK/tcpdump.$$.$RANDOM.err"
    ip netns exec "$ns" tcpdump -i "$iface" -U --immediate-mode -B 32768 -Z root -n -s 0 -w "$file" "$@" 2>"$errf" &
    CAP_PID=$!
    netns_track "$CAP_PID"
    _CAP_ERR[$CAP_PID]=$errf
    local i
    for i in $(seq 1 50); do
        grep -q "listening on" "$errf" 2>/dev/null && break
        sleep 0.1
    done
    sleep 0.3
}

# capture_stop PID
capture_stop() {
    sleep 1
    kill -INT "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    grep -E "captured|received|dropped" "${_CAP_ERR[$1]}" | sed 's/^/    tcpdump| /' >&2 || true
    if ! grep -qE "^0 packets dropped by kernel" "${_CAP_ERR[$1]}"; then
        log "tcpdump lost packets; this capture is not usable"
        CAPTURE_LOST=1
    fi
}
