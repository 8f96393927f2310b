#!/usr/bin/env python3
"""Client half of refused-after-connect-pyftpdlib: ftplib asks for a file that does not exist.

usage: ftplib-missing.py HOST USER PASSWORD

ftplib opens the passive data connection before it sends the transfer command (ftplib.FTP.ntransfercmd), so the
server's `550` arrives on a data connection that is already established; the server then closes it unused. Then
a RETR of a file that exists completes, so the session also shows the server's normal habit.
"""
import ftplib
import sys

host, user, password = sys.argv[1:4]
ftp = ftplib.FTP()
ftp.set_debuglevel(1)
ftp.connect(host, 21, timeout=10)
ftp.login(user, password)
ftp.set_pasv(True)
try:
    ftp.retrbinary("RETR /pub/missing.bin", lambda b: None)
except ftplib.error_perm as e:
    print("refused:", e)
data = bytearray()
ftp.retrbinary("RETR /pub/notes.txt", data.extend)
print("received", len(data), "bytes")
ftp.quit()
