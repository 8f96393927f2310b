#!/usr/bin/env bash
# Print the facts of a capture that samples/README.md records: link type and packet count,
# every FTP control line (time, stream, direction), and every TCP connection with its SYN /
# SYN-ACK / RST / FIN counts. Used to check the README after regenerating the captures.
#   samples/scripts/describe.sh samples/*.pcap*
set -euo pipefail
for f in "$@"; do
    echo "=================== $f"
    capinfos -E -c -T -m "$f" 2>/dev/null | tail -n 1 | awk -F, '{print "link type: " $2 ", packets: " $3}'
    echo "--- FTP control lines (relative time, tcp stream, src -> dst, line)"
    # port 2121 (nonstandard-port-2121.pcap) is decoded as FTP too
    tshark -r "$f" -d tcp.port==2121,ftp -Y ftp -t r -T fields -E separator=' ' -e frame.time_relative -e tcp.stream \
        -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport -e ftp.request.command \
        -e ftp.request.arg -e ftp.response.code -e ftp.response.arg 2>/dev/null |
        awk '{printf "%9.3f s%-3s %s:%s -> %s:%s  ", $1, $2, $3, $4, $5, $6; for (i=7;i<=NF;i++) printf "%s ", $i; print ""}'
    echo "--- TCP connections (stream: first SYN from -> to; SYN, SYN-ACK, RST, FIN counts; payload bytes)"
    tshark -r "$f" -Y tcp -T fields -E separator=' ' -e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport \
        -e ip.dst -e ipv6.dst -e tcp.dstport -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.reset -e tcp.flags.fin \
        -e tcp.len 2>/dev/null |
        awk '{s=$1; if (!(s in first)) {first[s]=$2":"$3" -> "$4":"$5; order[n++]=s}
              if ($6=="1" && $7=="0") syn[s]++; if ($6=="1" && $7=="1") synack[s]++;
              if ($8=="1") rst[s]++; if ($9=="1") fin[s]++; bytes[s]+=$10}
         END {for (i=0;i<n;i++){s=order[i]; printf "stream %s: %s  SYN=%d SYNACK=%d RST=%d FIN=%d payload=%d\n", s, first[s], syn[s], synack[s], rst[s], fin[s], bytes[s]}}'
done
