#!/usr/bin/env python3
"""Writes a large synthetic FTP capture (classic pcap, Ethernet) for memory and throughput measurements.

    scripts/make-large-capture.py OUT.pcap [SESSIONS] [CONCURRENT] [TRANSFERS]

SESSIONS control sessions (default 50000), CONCURRENT of them open at once (default 200), each logging in and
doing TRANSFERS passive RETRs (default 3) of a few KiB, then QUIT. Sessions overlap in time, so the timeline's
ordering buffer and the streaming text output are exercised the way a busy server's capture would. Checksums
are zero (ftpscope does not verify them; NICs with offload produce the same).
"""
import heapq
import struct
import sys

ETH = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


def ip(a):
    return bytes(int(x) for x in a.split("."))


def frame(src, sport, dst, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    total = 20 + len(tcp) + len(payload)
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, ip(src), ip(dst))
    return ETH + iph + tcp + payload


class Conn:
    """One TCP connection's sequence numbers."""

    def __init__(self, c, cp, s, sp):
        self.c, self.cp, self.s, self.sp = c, cp, s, sp
        self.cseq, self.sseq = 1000, 5000

    def client(self, flags, payload=b""):
        f = frame(self.c, self.cp, self.s, self.sp, self.cseq, self.sseq, flags, payload)
        self.cseq += len(payload) + (1 if flags & (SYN | FIN) else 0)
        return f

    def server(self, flags, payload=b""):
        f = frame(self.s, self.sp, self.c, self.cp, self.sseq, self.cseq, flags, payload)
        self.sseq += len(payload) + (1 if flags & (SYN | FIN) else 0)
        return f

    def handshake(self):
        yield self.client(SYN)
        yield self.server(SYN | ACK)
        yield self.client(ACK)

    def close(self):
        yield self.client(FIN | ACK)
        yield self.server(ACK)
        yield self.server(FIN | ACK)
        yield self.client(ACK)


def session(number, transfers):
    """Yields (delay_ns, frame) for one session."""
    client = "10.%d.%d.%d" % ((number >> 16) & 255, (number >> 8) & 255, number & 255 or 1)
    server = "192.0.2.21"
    cport = 20000 + number % 40000
    ctl = Conn(client, cport, server, 21)
    ms = 1_000_000
    for f in ctl.handshake():
        yield ms, f
    say = lambda text: ctl.server(PSH | ACK, text.encode() + b"\r\n")
    send = lambda text: ctl.client(PSH | ACK, text.encode() + b"\r\n")
    yield ms, say("220 synthetic server ready")
    yield 5 * ms, send("USER user%d" % number)
    yield ms, say("331 Please specify the password.")
    yield 5 * ms, send("PASS secret%d" % number)
    yield 20 * ms, say("230 Login successful.")
    for t in range(transfers):
        dport = 40000 + (number * 7 + t) % 20000
        yield 5 * ms, send("PASV")
        yield ms, say("227 Entering Passive Mode (192,0,2,21,%d,%d)." % (dport >> 8, dport & 255))
        data = Conn(client, 50000 + (number + t) % 10000, server, dport)
        for f in data.handshake():
            yield ms, f
        yield ms, send("RETR /pub/file-%d-%d.bin" % (number, t))
        yield ms, say("150 Opening BINARY mode data connection.")
        for _ in range(3):
            yield ms, data.server(ACK, b"x" * 1400)
        for f in data.close():
            yield ms, f
        yield ms, say("226 Transfer complete.")
    yield 5 * ms, send("QUIT")
    yield ms, say("221 Goodbye.")
    for f in ctl.close():
        yield ms, f


def main():
    out = sys.argv[1]
    sessions = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
    concurrent = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    transfers = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    start = 1_714_557_600 * 1_000_000_000
    heap = []  # (time of the next frame, session number, frame, generator): frames come out in time order
    started = 0

    def schedule(at, number, gen):
        step = next(gen, None)
        if step is None:
            return False
        delay, data = step
        heapq.heappush(heap, (at + delay, number, data, gen))
        return True

    def launch(at):
        nonlocal started
        started += 1
        schedule(at, started, session(started, transfers))

    for i in range(min(concurrent, sessions)):
        launch(start + i * 3_000_000)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
        while heap:
            at, number, data, gen = heapq.heappop(heap)
            f.write(struct.pack("<IIII", at // 1_000_000_000, at % 1_000_000_000, len(data), len(data)))
            f.write(data)
            if not schedule(at, number, gen) and started < sessions:
                launch(at + 1_000_000)


if __name__ == "__main__":
    main()
