#!/usr/bin/env python3
"""Builds the fuzz targets' seed corpora from ../samples/*.pcap and Zeek's FTP fuzzer corpus.

Usage: seed.py OUTDIR [ZEEK_ZIP]. Writes OUTDIR/{FuzzDecoder,FuzzControl,FuzzDataChannel,FuzzReassembler,
FuzzIPReassembly}/.
Only the standard library: the captures are classic little-endian pcap over Ethernet (samples/README.md).
"""
import gzip, hashlib, os, struct, sys, zipfile

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1]
zeek_zip = sys.argv[2] if len(sys.argv) > 2 else None
dirs = {name: os.path.join(out, name) for name in ["FuzzDecoder", "FuzzControl", "FuzzDataChannel", "FuzzReassembler",
                                                  "FuzzIPReassembly"]}
for d in dirs.values():
    os.makedirs(d, exist_ok=True)

def put(target, data):
    with open(os.path.join(dirs[target], hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)

def packets(path):
    data = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    if len(data) < 24 or data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        yield data[off + 16: off + 16 + incl]
        off += 16 + incl

def tcp(frame):
    """(src, dst, sport, dport, payload, ip) of an Ethernet/IPv4-or-IPv6/TCP frame, or None."""
    etype = struct.unpack_from(">H", frame, 12)[0] if len(frame) >= 14 else 0
    ip = frame[14:]
    if etype == 0x0800 and len(ip) >= 20 and ip[9] == 6:
        ihl = (ip[0] & 15) * 4
        total = struct.unpack_from(">H", ip, 2)[0]
        seg, src, dst = ip[ihl:total], ip[12:16], ip[16:20]
    elif etype == 0x86DD and len(ip) >= 40 and ip[6] == 6:
        seg, src, dst = ip[40:40 + struct.unpack_from(">H", ip, 4)[0]], ip[8:24], ip[24:40]
    else:
        return None
    if len(seg) < 20:
        return None
    sport, dport = struct.unpack_from(">HH", seg, 0)
    return src, dst, sport, dport, seg[(seg[12] >> 4) * 4:], ip

selectors = {"PORT": 0, "EPRT": 1, "LPRT": 2, "227": 3, "229": 4, "228": 5, "257": 6, "150": 7, "213": 7}
samples = os.path.join(here, "..", "samples")
for name in sorted(os.listdir(samples)):
    if not (name.endswith(".pcap") or name.endswith(".pcap.gz")):
        continue
    streams = {}
    for frame in packets(os.path.join(samples, name)):
        put("FuzzDecoder", b"\x01" + frame)          # Ethernet
        parsed = tcp(frame)
        if parsed is None:
            continue
        src, dst, sport, dport, payload, ip = parsed
        put("FuzzDecoder", b"\x02" + ip)             # the same packet as raw IP
        if 21 not in (sport, dport) or not payload:
            continue
        key = (min(src + bytes([sport >> 8, sport & 255]), dst + bytes([dport >> 8, dport & 255])))
        streams.setdefault(key, []).append((dport == 21, payload))
    for chunks in streams.values():
        put("FuzzControl", b"".join(b"\x01PKT" + (b"\x01" if c else b"\x00") + p for c, p in chunks))
        for from_client, payload in chunks:
            for line in payload.split(b"\r\n"):
                word = line[:4].upper()
                key = word.decode("latin1") if from_client else line[:3].decode("latin1")
                if key in selectors:
                    put("FuzzDataChannel", bytes([selectors[key]]) + (line[5:] if from_client else line[4:]))

if zeek_zip:
    with zipfile.ZipFile(zeek_zip) as z:
        for info in z.infolist():
            if not info.is_dir():
                put("FuzzControl", z.read(info))

# Hand-written arguments the samples lack: the shapes Zeek's regressions are about, and path resolution.
for selector, text in [
    (0, b"10,0,0,1,4,1"), (0, b"2,1,-1,0,0,0"), (0, b"305,6,0,1,1,3"), (0, b"5,0,8,2,-45602,0"),
    (1, b"|2|2001:db8::1|5282|"), (1, b"|1|192.0.2.1|65536|"), (2, b"4,4,10,0,0,1,2,4,1"),
    (2, b"6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,4,1"), (3, b"Entering Passive Mode (10,0,0,1,195,80)."),
    (4, b"Entering Extended Passive Mode (|||6446|)"), (5, b"Entering Long Passive Mode (4,4,1,2,3,4,2,4,1)"),
    (6, b'"/home/a ""q""" is current'), (7, b"Opening BINARY mode data connection for f (1234 bytes)"),
    (8, b"../x/./y\x00/a/b"), (9, b"ALL"),
]:
    put("FuzzDataChannel", bytes([selector]) + text)

# Reassembler records (see FuzzReassembler.swift): a handshake, data both ways out of order, a retransmission, FIN.
def rec(flags, direction, offset, length, step=1, ack=0, spare=0):
    return struct.pack("<BBhBBBB", flags, direction, offset, length, step, ack, spare)
SYN, FIN, RST, PSH, ACK = 2, 1, 4, 8, 16
put("FuzzReassembler", rec(SYN, 0, 0, 0) + rec(SYN | ACK, 1, 0, 0) + rec(ACK, 0, 1, 0) + rec(PSH | ACK, 0, 101, 50)
    + rec(PSH | ACK, 0, 1, 100) + rec(PSH | ACK, 1, 1, 30) + rec(PSH | ACK, 0, 51, 100) + rec(FIN | ACK, 0, 151, 0)
    + rec(FIN | ACK, 1, 31, 0))
put("FuzzReassembler", rec(PSH | ACK, 2, 500, 20) + rec(PSH | ACK, 2, 400, 20) + rec(RST, 3, 0, 0))
# IP reassembly records (see FuzzIPReassembly.swift): structured fragments in order, reversed, overlapping (IPv4 and
# IPv6), and raw IPv4 fragments cut from a sample's control packets.
def frag(datagram, offset8, length, more, ipv6=False, step=1, fill=b"A"):
    control = (datagram & 3) | (4 if ipv6 else 0) | (8 if more else 0) | (step << 4)
    return bytes([1, control]) + struct.pack(">H", offset8) + bytes([length]) + (fill * length)[:length]
put("FuzzIPReassembly", frag(0, 0, 16, True) + frag(0, 2, 16, True) + frag(0, 4, 8, False))
put("FuzzIPReassembly", frag(1, 4, 8, False) + frag(1, 2, 16, True) + frag(1, 0, 16, True))
put("FuzzIPReassembly", frag(2, 0, 24, True) + frag(2, 1, 24, True, fill=b"B") + frag(2, 4, 8, False))
put("FuzzIPReassembly", frag(3, 0, 16, True, ipv6=True) + frag(3, 1, 16, True, ipv6=True) + frag(3, 3, 8, False, ipv6=True))
put("FuzzIPReassembly", frag(0, 0, 16, True, step=15) + frag(0, 2, 8, False, step=15))
def ipv4_fragments(ip, size=8):
    ihl = (ip[0] & 15) * 4
    total = struct.unpack_from(">H", ip, 2)[0]
    header, payload, out = bytearray(ip[:ihl]), ip[ihl:total], b""
    for off in range(0, len(payload), size):
        chunk = payload[off:off + size]
        more = off + size < len(payload)
        h = bytearray(header)
        struct.pack_into(">HHH", h, 2, ihl + len(chunk), 0x4242, (off // 8) | (0x2000 if more else 0))
        piece = bytes(h) + chunk
        if len(piece) < 256:
            out += bytes([0, len(piece)]) + piece
    return out
for frame in list(packets(os.path.join(samples, "active-port.pcap")))[:12]:
    parsed = tcp(frame)
    if parsed and parsed[5][0] >> 4 == 4 and parsed[4]:
        put("FuzzIPReassembly", ipv4_fragments(parsed[5]))
for name, d in dirs.items():
    print(f"{name}: {len(os.listdir(d))} seeds")
