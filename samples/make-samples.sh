#!/usr/bin/env bash
# Regenerate the ftpscope sample captures.
#
#   sudo samples/make-samples.sh            # all scenarios
#   sudo samples/make-samples.sh NAME...    # only these (see `list`)
#   samples/make-samples.sh list
#
# Each scenario builds a small network out of Linux network namespaces and veth pairs
# (see scripts/lib.sh), starts a real FTP server (vsftpd or pyftpdlib) in the server
# namespace, runs a real FTP client (lftp, curl or Python's ftplib) in the client namespace,
# and records the traffic with tcpdump. No packet leaves the machine: every address is in a
# documentation range (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32) or RFC 1918 (10.0.0.0/8)
# and lives only inside namespaces this script creates. Everything (namespaces, servers,
# the test user, temporary files) is removed on exit.
#
# Requires root, vsftpd, lftp, curl, tcpdump, iptables, python3 + pyftpdlib, editcap, gzip.

set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/scripts" && pwd)"
OUT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$SCRIPT_DIR/lib.sh"

# Client programs log their side of the conversation here (shown on stderr).
client_log() { echo "$_WORK/client.log"; }

# lftp with its debug transcript; AUTH TLS disabled so the control channel stays cleartext.
lftp_run() {
    local ns=$1 url=$2 cmds=$3
    in_ns "$ns" lftp -d -u "$FTP_USER,$FTP_PASS" \
        -e "set ftp:ssl-allow no; set net:max-retries 2; set net:reconnect-interval-base 2; set net:timeout 10; set xfer:clobber yes; $cmds; bye" \
        "$url" >>"$(client_log)" 2>&1 || log "lftp exited with status $? (expected for failure scenarios)"
}

curl_run() {
    local ns=$1; shift
    in_ns "$ns" curl -sS -v "$@" >>"$(client_log)" 2>&1 || log "curl exited with status $? (expected for failure scenarios)"
}

finish() {   # finish NAME  -- move the capture into samples/ and show a summary
    local name=$1
    [[ $CAPTURE_LOST == 0 ]] || return 0
    install -m 644 "$_WORK/$name" "$OUT_DIR/$name"
    log "wrote $OUT_DIR/$name ($(stat -c %s "$OUT_DIR/$name") bytes)"
    sed 's/^/    client| /' "$(client_log)" >&2 || true
    : >"$(client_log)"
}

# ---------------------------------------------------------------------------------------------
# 1. passive-vsftpd.pcap: lftp -> vsftpd, passive mode (PASV), login, PWD, CWD, LIST, RETR,
#    CWD, STOR, QUIT. Flat link 192.0.2.10 <-> 192.0.2.21. Captured on the server's interface.
#    The same run is also captured with `tcpdump -i any` in the client namespace
#    (LINKTYPE_LINUX_SLL2) -> passive-vsftpd-any.pcap, converted to pcapng by editcap,
#    and passive-vsftpd.pcap is also stored gzip-compressed.
scenario_passive_vsftpd() {
    topo_flat
    start_vsftpd "$NS_SERVER" 192.0.2.21
    capture_start "$NS_SERVER" eth0 "$_WORK/passive-vsftpd.pcap"; local cap1=$CAP_PID
    capture_start "$NS_CLIENT" any "$_WORK/passive-vsftpd-any.pcap"; local cap2=$CAP_PID
    lftp_run "$NS_CLIENT" ftp://192.0.2.21 \
        "set ftp:use-site-utime no; set ftp:use-site-utime2 no; cd pub; ls; get notes.txt -o $_WORK/notes.txt; cd /upload; put $_WORK/upload.txt -o upload.txt"
    capture_stop "$cap1"
    capture_stop "$cap2"
    cmp "$_WORK/notes.txt" "$_WORK/ftproot/pub/notes.txt"
    cmp "$_WORK/upload.txt" "$_WORK/ftproot/upload/upload.txt"
    rm -f "$_WORK/ftproot/upload/upload.txt"
    [[ $CAPTURE_LOST == 0 ]] || return 0
    finish passive-vsftpd.pcap
    finish passive-vsftpd-any.pcap
    editcap -F pcapng "$OUT_DIR/passive-vsftpd-any.pcap" "$OUT_DIR/passive-vsftpd-any.pcapng"
    rm -f "$OUT_DIR/passive-vsftpd-any.pcap"
    gzip -9 -n -c "$OUT_DIR/passive-vsftpd.pcap" >"$OUT_DIR/passive-vsftpd.pcap.gz"
}

# ---------------------------------------------------------------------------------------------
# 2. active-port.pcap: curl -> vsftpd, active mode with PORT (EPRT disabled), one control
#    connection reused for LIST of /pub/ and RETR of /pub/data.bin. vsftpd connects from
#    port 20 to the port curl announced. Flat link, no NAT, no firewall.
scenario_active_port() {
    topo_flat
    start_vsftpd "$NS_SERVER" 192.0.2.21
    capture_start "$NS_SERVER" eth0 "$_WORK/active-port.pcap"
    curl_run "$NS_CLIENT" --ftp-port - --disable-eprt -u "$FTP_USER:$FTP_PASS" \
        ftp://192.0.2.21/pub/ -o "$_WORK/list.txt" \
        ftp://192.0.2.21/pub/data.bin -o "$_WORK/data.bin"
    capture_stop "$CAP_PID"
    cmp "$_WORK/data.bin" "$_WORK/ftproot/pub/data.bin"
    finish active-port.pcap
}

# ---------------------------------------------------------------------------------------------
# 3. epsv-ipv6.pcap: IPv6 only. curl -> vsftpd at [2001:db8::21]:21 from 2001:db8::10.
#    Session 1: EPSV, LIST /pub/, RETR /pub/notes.txt (one control connection).
#    Session 2: active mode with EPRT |2|2001:db8::10|port|, LIST /.
scenario_epsv_ipv6() {
    topo_flat v6
    start_vsftpd "$NS_SERVER" 2001:db8::21
    capture_start "$NS_SERVER" eth0 "$_WORK/epsv-ipv6.pcap"
    curl_run "$NS_CLIENT" -g -u "$FTP_USER:$FTP_PASS" \
        "ftp://[2001:db8::21]/pub/" -o "$_WORK/list.txt" \
        "ftp://[2001:db8::21]/pub/notes.txt" -o "$_WORK/notes.txt"
    curl_run "$NS_CLIENT" -g --ftp-port - -u "$FTP_USER:$FTP_PASS" "ftp://[2001:db8::21]/" -o "$_WORK/list2.txt"
    capture_stop "$CAP_PID"
    cmp "$_WORK/notes.txt" "$_WORK/ftproot/pub/notes.txt"
    finish epsv-ipv6.pcap
}

# ---------------------------------------------------------------------------------------------
# 4. active-nat-failure.pcap: the client 10.0.0.2 sits on a private LAN behind a masquerading
#    router (10.0.0.1 | 192.0.2.1); the server is 192.0.2.21. lftp logs in (cleartext password,
#    succeeds), then tries active mode: PORT 10,0,0,2,... -- its private address, which the NAT
#    does not rewrite (no FTP helper). vsftpd (port_promiscuous=YES, so it does not reject the
#    foreign address) connects from port 20 to 10.0.0.2; the router drops unsolicited inbound
#    connections, so the SYNs go unanswered and after connect_timeout=5 s vsftpd replies
#    "425 Failed to establish connection.". lftp retries once with a new PORT (same result), gives
#    up on that `ls`, then switches to passive mode on the same control connection: PASV + LIST
#    and PASV + RETR /pub/data.bin succeed. Captured on the server's interface (public side of the
#    NAT), so the control connection comes from 192.0.2.1.
scenario_active_nat_failure() {
    topo_client_nat
    start_vsftpd "$NS_SERVER" 192.0.2.21 port_promiscuous=YES
    capture_start "$NS_SERVER" eth0 "$_WORK/active-nat-failure.pcap"
    lftp_run "$NS_CLIENT" ftp://192.0.2.21 \
        "set net:max-retries 1; set ftp:passive-mode off; cd pub; ls; set ftp:passive-mode on; ls; get data.bin -o $_WORK/data.bin"
    capture_stop "$CAP_PID"
    cmp "$_WORK/data.bin" "$_WORK/ftproot/pub/data.bin"
    finish active-nat-failure.pcap
}

# ---------------------------------------------------------------------------------------------
# 4b. active-nat-illegal-port.pcap: the same NAT topology with vsftpd's default
#    port_promiscuous=NO: the PORT naming 10.0.0.2 (not the control connection's 192.0.2.1) is
#    rejected with "500 Illegal PORT command." and no data SYN is ever sent. curl gives up.
scenario_active_nat_illegal_port() {
    topo_client_nat
    start_vsftpd "$NS_SERVER" 192.0.2.21
    capture_start "$NS_SERVER" eth0 "$_WORK/active-nat-illegal-port.pcap"
    curl_run "$NS_CLIENT" --ftp-port - --disable-eprt -u "$FTP_USER:$FTP_PASS" ftp://192.0.2.21/pub/ -o "$_WORK/list.txt"
    capture_stop "$CAP_PID"
    finish active-nat-illegal-port.pcap
}

# ---------------------------------------------------------------------------------------------
# 5. active-firewall-refused.pcap: flat link; the client's firewall rejects incoming TCP SYNs
#    to its data ports 50000-50010 with a TCP RST. curl announces PORT 192,0,2,10,195,80
#    (192.0.2.10:50000); vsftpd's SYN from port 20 is answered by RST; vsftpd replies 425.
scenario_active_firewall_refused() {
    topo_flat
    in_ns "$NS_CLIENT" iptables -A INPUT -p tcp --syn --dport 50000:50010 -j REJECT --reject-with tcp-reset
    start_vsftpd "$NS_SERVER" 192.0.2.21
    capture_start "$NS_SERVER" eth0 "$_WORK/active-firewall-refused.pcap"
    curl_run "$NS_CLIENT" --ftp-port 192.0.2.10:50000-50010 --disable-eprt -u "$FTP_USER:$FTP_PASS" \
        ftp://192.0.2.21/pub/ -o "$_WORK/list.txt"
    capture_stop "$CAP_PID"
    finish active-firewall-refused.pcap
}

# 5b. active-firewall-dropped.pcap: as 5, but the client's firewall silently DROPs the SYNs:
#    vsftpd retransmits its SYN until connect_timeout (5 s), then replies 425.
scenario_active_firewall_dropped() {
    topo_flat
    in_ns "$NS_CLIENT" iptables -A INPUT -p tcp --syn --dport 50000:50010 -j DROP
    start_vsftpd "$NS_SERVER" 192.0.2.21
    capture_start "$NS_SERVER" eth0 "$_WORK/active-firewall-dropped.pcap"
    curl_run "$NS_CLIENT" --ftp-port 192.0.2.10:50000-50010 --disable-eprt -u "$FTP_USER:$FTP_PASS" \
        ftp://192.0.2.21/pub/ -o "$_WORK/list.txt"
    capture_stop "$CAP_PID"
    finish active-firewall-dropped.pcap
}

# ---------------------------------------------------------------------------------------------
# 6. passive-blocked.pcap: flat link; the server's firewall drops everything to its passive
#    port range 40000-40100. curl (EPSV disabled, so PASV) gets 227, its SYNs to the passive port
#    go unanswered, and it gives up after --connect-timeout 5 without sending LIST.
scenario_passive_blocked() {
    topo_flat
    in_ns "$NS_SERVER" iptables -A INPUT -p tcp --dport 40000:40100 -j DROP
    start_vsftpd "$NS_SERVER" 192.0.2.21
    capture_start "$NS_SERVER" eth0 "$_WORK/passive-blocked.pcap"
    curl_run "$NS_CLIENT" --disable-epsv --connect-timeout 5 -u "$FTP_USER:$FTP_PASS" \
        ftp://192.0.2.21/pub/ -o "$_WORK/list.txt"
    capture_stop "$CAP_PID"
    finish passive-blocked.pcap
}

# ---------------------------------------------------------------------------------------------
# 7. failed-logins-pyftpdlib.pcap: pyftpdlib at 192.0.2.21 (account alice / correct-horse).
#    Three curl sessions with wrong credentials (530 each), one Python ftplib session with three
#    wrong passwords (pyftpdlib disconnects after max_login_attempts=3), then one ftplib session
#    with a wrong password followed by the right one (230), PWD, PASV + LIST, QUIT.
scenario_failed_logins_pyftpdlib() {
    topo_flat
    start_pyftpdlib "$NS_SERVER" 192.0.2.21
    capture_start "$NS_SERVER" eth0 "$_WORK/failed-logins-pyftpdlib.pcap"
    local creds
    for creds in alice:123456 alice:password admin:admin; do
        curl_run "$NS_CLIENT" -u "$creds" ftp://192.0.2.21/ -o "$_WORK/list.txt"
    done
    in_ns "$NS_CLIENT" python3 "$SCRIPT_DIR/ftplib-logins.py" 192.0.2.21 "$PY_USER" "$PY_PASS" >>"$(client_log)" 2>&1
    capture_stop "$CAP_PID"
    finish failed-logins-pyftpdlib.pcap
}

# ---------------------------------------------------------------------------------------------
# 8. pasv-internal-address.pcap: the server 10.0.1.21 sits behind a router whose public address
#    198.51.100.1 forwards port 21 and 40000-40100 to it. vsftpd has no pasv_address, so its 227
#    reply announces 10,0,1,21. lftp (ftp:fix-pasv-address off, so it believes the reply)
#    connects to 10.0.1.21 from 198.51.100.10; the router drops it (no forwarding for that
#    address), SYNs unanswered, lftp times out. Captured on the client's interface.
scenario_pasv_internal_address() {
    topo_server_nat
    start_vsftpd "$NS_SERVER" 10.0.1.21
    capture_start "$NS_CLIENT" eth0 "$_WORK/pasv-internal-address.pcap"
    lftp_run "$NS_CLIENT" ftp://198.51.100.1 \
        "set ftp:fix-pasv-address no; set net:timeout 5; set net:max-retries 1; ls"
    capture_stop "$CAP_PID"
    finish pasv-internal-address.pcap
}

# ---------------------------------------------------------------------------------------------
# 9. active-nat-failure-client-side.pcap + active-nat-failure-server-side.pcap: the same run as
#    active_nat_failure (same NAT, same lftp commands), recorded at once by two tcpdumps: one on
#    the client's interface in the private LAN (the client is 10.0.0.2; its PORT names its own
#    address; nothing ever arrives for it, then 425) and one on the server's interface (public
#    side, the client appears as 192.0.2.1, the server's SYNs to 10.0.0.2 are visible). The two
#    files show one session from two vantage points.
scenario_active_nat_failure_two_sides() {
    topo_client_nat
    start_vsftpd "$NS_SERVER" 192.0.2.21 port_promiscuous=YES
    capture_start "$NS_CLIENT" eth0 "$_WORK/active-nat-failure-client-side.pcap"; local cap1=$CAP_PID
    capture_start "$NS_SERVER" eth0 "$_WORK/active-nat-failure-server-side.pcap"; local cap2=$CAP_PID
    lftp_run "$NS_CLIENT" ftp://192.0.2.21 \
        "set net:max-retries 1; set ftp:passive-mode off; cd pub; ls; set ftp:passive-mode on; ls; get data.bin -o $_WORK/data.bin"
    capture_stop "$cap1"
    capture_stop "$cap2"
    cmp "$_WORK/data.bin" "$_WORK/ftproot/pub/data.bin"
    [[ $CAPTURE_LOST == 0 ]] || return 0
    finish active-nat-failure-client-side.pcap
    finish active-nat-failure-server-side.pcap
}

# ---------------------------------------------------------------------------------------------
# 10. passive-rejected.pcap: flat link; the server's firewall REJECTs new connections to its
#    passive ports 40000-40100 with a TCP RST. curl (EPSV disabled, so PASV) gets 227, its SYN to
#    the passive port is answered at once by RST/ACK, and curl gives up without a transfer command.
#    Captured on the server's interface.
scenario_passive_rejected() {
    topo_flat
    in_ns "$NS_SERVER" iptables -A INPUT -p tcp --syn --dport 40000:40100 -j REJECT --reject-with tcp-reset
    start_vsftpd "$NS_SERVER" 192.0.2.21
    capture_start "$NS_SERVER" eth0 "$_WORK/passive-rejected.pcap"
    curl_run "$NS_CLIENT" --disable-epsv --connect-timeout 5 -u "$FTP_USER:$FTP_PASS" \
        ftp://192.0.2.21/pub/ -o "$_WORK/list.txt"
    capture_stop "$CAP_PID"
    finish passive-rejected.pcap
}

# 10b. passive-icmp-rejected.pcap: as 10, but the firewall rejects with ICMP destination
#    unreachable, code 13 "communication administratively prohibited"
#    (--reject-with icmp-admin-prohibited); the ICMP message quotes the client's data SYN.
scenario_passive_icmp_rejected() {
    topo_flat
    in_ns "$NS_SERVER" iptables -A INPUT -p tcp --syn --dport 40000:40100 -j REJECT --reject-with icmp-admin-prohibited
    start_vsftpd "$NS_SERVER" 192.0.2.21
    capture_start "$NS_SERVER" eth0 "$_WORK/passive-icmp-rejected.pcap"
    curl_run "$NS_CLIENT" --disable-epsv --connect-timeout 5 -u "$FTP_USER:$FTP_PASS" \
        ftp://192.0.2.21/pub/ -o "$_WORK/list.txt"
    capture_stop "$CAP_PID"
    finish passive-icmp-rejected.pcap
}

# ---------------------------------------------------------------------------------------------
# 11. aborted-transfer.pcap: flat link; vsftpd rate-limited (local_max_rate=262144 bytes/s)
#    serves /pub/big.bin (5,000,000 bytes, made for this scenario only). scripts/ftplib-abort.py:
#    PASV + RETR big.bin, reads 64 KiB, sends ABOR with the data connection still open, closes it
#    (RST: unread data), vsftpd answers 426 then the ABOR reply; then PASV + RETR notes.txt
#    completes, QUIT.
scenario_aborted_transfer() {
    topo_flat
    head -c 5000000 /dev/zero | tr '\0' 'A' >"$_WORK/ftproot/pub/big.bin"
    start_vsftpd "$NS_SERVER" 192.0.2.21 local_max_rate=262144
    capture_start "$NS_SERVER" eth0 "$_WORK/aborted-transfer.pcap"
    in_ns "$NS_CLIENT" python3 "$SCRIPT_DIR/ftplib-abort.py" 192.0.2.21 "$FTP_USER" "$FTP_PASS" >>"$(client_log)" 2>&1 ||
        log "ftplib-abort.py exited with status $?"
    capture_stop "$CAP_PID"
    rm -f "$_WORK/ftproot/pub/big.bin"
    finish aborted-transfer.pcap
}

# 11b. aborted-transfer-urgent-abor.pcap: as 11, but vsftpd has async_abor_enable=YES and the
#    client uses ftplib's abort(), which sends "ABOR\r\n" as TCP urgent data (the urgent pointer
#    marks the final LF). vsftpd's SIGURG handler reads "ABOR\r" without the LF (the urgent byte is
#    taken out of the stream) and answers "500 Unknown command."; when the client then closes the
#    data connection the transfer fails with 426.
scenario_aborted_transfer_urgent_abor() {
    topo_flat
    head -c 5000000 /dev/zero | tr '\0' 'A' >"$_WORK/ftproot/pub/big.bin"
    start_vsftpd "$NS_SERVER" 192.0.2.21 local_max_rate=262144 async_abor_enable=YES
    capture_start "$NS_SERVER" eth0 "$_WORK/aborted-transfer-urgent-abor.pcap"
    in_ns "$NS_CLIENT" python3 "$SCRIPT_DIR/ftplib-abort.py" 192.0.2.21 "$FTP_USER" "$FTP_PASS" urgent >>"$(client_log)" 2>&1 ||
        log "ftplib-abort.py exited with status $?"
    capture_stop "$CAP_PID"
    rm -f "$_WORK/ftproot/pub/big.bin"
    finish aborted-transfer-urgent-abor.pcap
}

# ---------------------------------------------------------------------------------------------
# 12. resumed-transfer.pcap: flat link; vsftpd rate-limited (local_max_rate=65536 bytes/s; vsftpd
#    writes 64 KiB blocks and sleeps between them) serves /pub/resume.bin (200,000 seeded
#    pseudo-random bytes, made for this scenario only). curl -m 1.5 downloads part of it and is
#    cut off by its own timeout (it closes both connections without QUIT); a second curl with
#    `-C -` resumes: REST <size of the partial file>, RETR, and completes the file.
scenario_resumed_transfer() {
    topo_flat
    python3 -c 'import random,sys; r=random.Random(7); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(200000)))' \
        >"$_WORK/ftproot/pub/resume.bin"
    start_vsftpd "$NS_SERVER" 192.0.2.21 local_max_rate=65536
    capture_start "$NS_SERVER" eth0 "$_WORK/resumed-transfer.pcap"
    rm -f "$_WORK/resume.bin"
    curl_run "$NS_CLIENT" --disable-epsv -m 1.5 -u "$FTP_USER:$FTP_PASS" ftp://192.0.2.21/pub/resume.bin -o "$_WORK/resume.bin"
    log "partial file: $(stat -c %s "$_WORK/resume.bin") bytes"
    sleep 1
    curl_run "$NS_CLIENT" --disable-epsv -C - -u "$FTP_USER:$FTP_PASS" ftp://192.0.2.21/pub/resume.bin -o "$_WORK/resume.bin"
    capture_stop "$CAP_PID"
    cmp "$_WORK/resume.bin" "$_WORK/ftproot/pub/resume.bin"
    rm -f "$_WORK/ftproot/pub/resume.bin"
    finish resumed-transfer.pcap
}

# ---------------------------------------------------------------------------------------------
# 13. anonymous-vsftpd.pcap: flat link; vsftpd with anonymous_enable=YES (anon_root = the sample
#    tree, Unix account `ftp`). curl logs in as `anonymous` with an e-mail address as password,
#    LIST /pub/ (PASV) and RETR /pub/notes.txt on one control connection.
scenario_anonymous_vsftpd() {
    topo_flat
    start_vsftpd "$NS_SERVER" 192.0.2.21 anonymous_enable=YES "anon_root=$_WORK/ftproot" no_anon_password=NO
    capture_start "$NS_SERVER" eth0 "$_WORK/anonymous-vsftpd.pcap"
    curl_run "$NS_CLIENT" --disable-epsv -u "anonymous:guest@example.com" \
        ftp://192.0.2.21/pub/ -o "$_WORK/list.txt" \
        ftp://192.0.2.21/pub/notes.txt -o "$_WORK/notes.txt"
    capture_stop "$CAP_PID"
    cmp "$_WORK/notes.txt" "$_WORK/ftproot/pub/notes.txt"
    finish anonymous-vsftpd.pcap
}

# ---------------------------------------------------------------------------------------------
# 14. explicit-ftps.pcap: flat link; vsftpd with ssl_enable=YES (throw-away self-signed
#    certificate; logins and data must use TLS). lftp with ftp:ssl-force: AUTH TLS -> 234, TLS
#    handshake on port 21, then (encrypted) login, PBSZ/PROT P, PASV LIST and PASV RETR over TLS
#    data connections. Only the greeting, FEAT, AUTH TLS and 234 are cleartext.
scenario_explicit_ftps() {
    topo_flat
    make_tls_cert "$_WORK/tls"
    start_vsftpd "$NS_SERVER" 192.0.2.21 ssl_enable=YES "rsa_cert_file=$_WORK/tls/cert.pem" \
        "rsa_private_key_file=$_WORK/tls/key.pem" require_ssl_reuse=NO ssl_ciphers=HIGH
    capture_start "$NS_SERVER" eth0 "$_WORK/explicit-ftps.pcap"
    lftp_run "$NS_CLIENT" ftp://192.0.2.21 \
        "set ftp:ssl-allow yes; set ftp:ssl-force true; set ftp:ssl-protect-data true; set ssl:verify-certificate no; set ftp:use-site-utime no; set ftp:use-site-utime2 no; cd pub; ls; get notes.txt -o $_WORK/notes.txt"
    capture_stop "$CAP_PID"
    cmp "$_WORK/notes.txt" "$_WORK/ftproot/pub/notes.txt"
    finish explicit-ftps.pcap
}

# ---------------------------------------------------------------------------------------------
# 15. implicit-ftps.pcap: flat link; vsftpd with implicit_ssl=YES on listen_port=990: TLS from the
#    first byte of the control connection. curl ftps://192.0.2.21:990 (certificate not checked,
#    -k) lists /pub/ and downloads /pub/notes.txt on one control connection (EPSV, TLS data).
scenario_implicit_ftps() {
    topo_flat
    make_tls_cert "$_WORK/tls"
    start_vsftpd "$NS_SERVER" 192.0.2.21 ssl_enable=YES implicit_ssl=YES listen_port=990 \
        "rsa_cert_file=$_WORK/tls/cert.pem" "rsa_private_key_file=$_WORK/tls/key.pem" require_ssl_reuse=NO ssl_ciphers=HIGH
    capture_start "$NS_SERVER" eth0 "$_WORK/implicit-ftps.pcap"
    curl_run "$NS_CLIENT" -k -u "$FTP_USER:$FTP_PASS" \
        ftps://192.0.2.21:990/pub/ -o "$_WORK/list.txt" \
        ftps://192.0.2.21:990/pub/notes.txt -o "$_WORK/notes.txt"
    capture_stop "$CAP_PID"
    cmp "$_WORK/notes.txt" "$_WORK/ftproot/pub/notes.txt"
    finish implicit-ftps.pcap
}

# ---------------------------------------------------------------------------------------------
# 16. pyftpdlib-commands.pcap: flat link, pyftpdlib (permissions elradfmwM, so SITE CHMOD works).
#    scripts/ftplib-commands.py, passive (PASV): MKD, CWD, STOR, APPE, STOU, SIZE, RNFR/RNTO,
#    SITE CHMOD, MLSD, RETR of a missing file (550), DELE, RMD, QUIT.
scenario_pyftpdlib_commands() {
    topo_flat
    start_pyftpdlib "$NS_SERVER" 192.0.2.21 elradfmwM
    capture_start "$NS_SERVER" eth0 "$_WORK/pyftpdlib-commands.pcap"
    in_ns "$NS_CLIENT" python3 "$SCRIPT_DIR/ftplib-commands.py" 192.0.2.21 "$PY_USER" "$PY_PASS" >>"$(client_log)" 2>&1
    capture_stop "$CAP_PID"
    finish pyftpdlib-commands.pcap
}

# ---------------------------------------------------------------------------------------------
# 17. nonstandard-port-2121.pcap: flat link; vsftpd on listen_port=2121. curl (EPSV disabled):
#    PASV + LIST /pub/.
scenario_nonstandard_port_2121() {
    topo_flat
    start_vsftpd "$NS_SERVER" 192.0.2.21 listen_port=2121
    capture_start "$NS_SERVER" eth0 "$_WORK/nonstandard-port-2121.pcap"
    curl_run "$NS_CLIENT" --disable-epsv -u "$FTP_USER:$FTP_PASS" ftp://192.0.2.21:2121/pub/ -o "$_WORK/list.txt"
    capture_stop "$CAP_PID"
    finish nonstandard-port-2121.pcap
}

ALL_SCENARIOS=(active_nat_failure passive_vsftpd active_port active_firewall_refused active_firewall_dropped
    failed_logins_pyftpdlib epsv_ipv6 passive_blocked pasv_internal_address active_nat_illegal_port
    active_nat_failure_two_sides passive_rejected passive_icmp_rejected aborted_transfer aborted_transfer_urgent_abor
    resumed_transfer
    anonymous_vsftpd explicit_ftps implicit_ftps pyftpdlib_commands nonstandard_port_2121)

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
    # Machine-readable facts of every capture (FTP lines, TCP connections), see README.md.
    (cd "$OUT_DIR" && "$SCRIPT_DIR/describe.sh" ./*.pcap ./*.pcapng ./*.pcap.gz >facts.txt)
    log "wrote $OUT_DIR/facts.txt"
}

main "$@"
