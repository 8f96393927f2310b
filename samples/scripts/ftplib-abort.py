#!/usr/bin/env python3
"""Client half of aborted-transfer: Python's standard ftplib against vsftpd.

usage: ftplib-abort.py HOST USER PASSWORD

Logs in, CWD /pub, TYPE I, then PASV + RETR big.bin (5,000,000 bytes; the server is rate-limited),
reads 65,536 bytes of it, sends ABOR (ftplib sends it as TCP urgent data) while the data connection
is still open, closes the data connection, then downloads notes.txt completely (PASV + RETR) to
show the session carries on, and QUITs.
"""
import ftplib
import sys

host, user, password = sys.argv[1:4]
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
try:
    print("abort:", ftp.abort())
except ftplib.Error as e:
    print("abort raised:", repr(e))
conn.close()
# vsftpd may send a second reply (226 ABOR successful) after the 426; read it if it is there.
ftp.sock.settimeout(2)
try:
    print("after abort:", ftp.getresp())
except Exception as e:
    print("no further reply:", repr(e))
ftp.sock.settimeout(20)
data = bytearray()
ftp.retrbinary("RETR notes.txt", data.extend)
print(f"notes.txt: {len(data)} bytes")
ftp.quit()
