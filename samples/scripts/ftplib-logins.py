#!/usr/bin/env python3
"""Client half of failed-logins-pyftpdlib: Python's standard ftplib against pyftpdlib.

usage: ftplib-logins.py HOST USER PASSWORD

Session A: three wrong passwords in one control connection (the server disconnects after the third).
Session B: one wrong password, then the right one, PWD, LIST (PASV), QUIT.
"""
import ftplib
import sys

host, user, password = sys.argv[1:4]

# Session A
ftp = ftplib.FTP()
ftp.set_debuglevel(1)
ftp.connect(host, 21, timeout=10)
for wrong in ("letmein", "qwerty", "Password1"):
    try:
        ftp.login(user, wrong)
    except ftplib.error_perm as e:
        print("login failed:", e)
    except (EOFError, ConnectionError, ftplib.error_temp) as e:
        print("connection ended:", repr(e))
        break
try:
    ftp.close()
except Exception:
    pass

# Session B
ftp = ftplib.FTP()
ftp.set_debuglevel(1)
ftp.connect(host, 21, timeout=10)
try:
    ftp.login(user, "correct-hose")
except ftplib.error_perm as e:
    print("login failed:", e)
ftp.login(user, password)
ftp.pwd()
ftp.set_pasv(True)
lines = []
ftp.retrlines("LIST", lines.append)
print("\n".join(lines))
ftp.quit()
