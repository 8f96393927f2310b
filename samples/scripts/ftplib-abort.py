#!/usr/bin/env python3
"""Client half of aborted-transfer: Python's standard ftplib against vsftpd.

usage: ftplib-abort.py HOST USER PASSWORD [urgent]

With "urgent", ABOR is sent by ftplib's own abort(), i.e. as TCP urgent data (MSG_OOB), before the
data connection is closed.

Logs in, CWD /pub, TYPE I, then PASV + RETR big.bin (5,000,000 bytes; the server is rate-limited),
reads 65,536 bytes of it, sends ABOR (in-band) while the data connection is still open, closes the
data connection, reads the replies (426 for the transfer, then the ABOR reply), then downloads notes.txt completely (PASV + RETR) to
show the session carries on, and QUITs.
"""
import ftplib
import sys

host, user, password = sys.argv[1:4]
urgent = sys.argv[4:5] == ["urgent"]
ftp = ftplib.FTP()
ftp.set_debuglevel(1)
ftp.connect(host, 21, timeout=20)
ftp.login(user, password)
ftp.cwd("/pub")
ftp.voidcmd("TYPE I")
conn = ftp.transfercmd("RETR big.bin")
got = 0
while got < 65536:
    chunk = conn.recv(65536 - got)
    if not chunk:
        break
    got += len(chunk)
print(f"read {got} bytes of big.bin, aborting")
# ABOR in-band, while the data connection is still open (not ftplib's abort(), which sends the
# line as TCP urgent data: vsftpd then sees "ABOR\r" without its LF and answers 500), then close
# the data connection with unread data in it (so the client's kernel sends RST), then read the
# server's replies: 426 for the broken transfer, then the answer to ABOR.
seen = []   # reply codes after the abort: stop once there is a 426 and the reply to ABOR
if urgent:
    try:
        resp = ftp.abort()
    except ftplib.Error as e:
        resp = str(e)
    print("abort():", resp)
    seen.append(resp[:3])
else:
    ftp.putcmd("ABOR")
conn.close()
ftp.sock.settimeout(5)   # safety net only: a timed-out ftplib socket cannot be read again
while not ("426" in seen and any(c != "426" for c in seen)):
    try:
        resp = ftp.getmultiline()
    except Exception as e:
        print("no further reply:", repr(e))
        break
    print("reply:", resp)
    seen.append(resp[:3])
ftp.sock.settimeout(20)
data = bytearray()
ftp.retrbinary("RETR notes.txt", data.extend)
print(f"notes.txt: {len(data)} bytes")
ftp.quit()
