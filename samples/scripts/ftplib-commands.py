#!/usr/bin/env python3
"""Client half of pyftpdlib-commands: Python's standard ftplib against pyftpdlib, passive (PASV).

usage: ftplib-commands.py HOST USER PASSWORD

MKD, CWD, STOR, APPE, STOU, SIZE, RNFR/RNTO, SITE CHMOD, MLSD, RETR of a missing file (550),
DELE, RMD, QUIT.
"""
import ftplib
import io
import sys

host, user, password = sys.argv[1:4]
ftp = ftplib.FTP()
ftp.set_debuglevel(1)
ftp.connect(host, 21, timeout=10)
ftp.login(user, password)
ftp.pwd()
ftp.mkd("newdir")
ftp.cwd("newdir")
ftp.storbinary("STOR hello.txt", io.BytesIO(b"hello from ftpscope\n" * 50))       # 1,000 bytes
ftp.storbinary("APPE hello.txt", io.BytesIO(b"appended line\n" * 10))             # 140 bytes
ftp.storbinary("STOU", io.BytesIO(b"unique file contents\n" * 20))                # 420 bytes
print("SIZE", ftp.size("hello.txt"))
ftp.rename("hello.txt", "renamed.txt")
ftp.sendcmd("SITE CHMOD 600 renamed.txt")
entries = list(ftp.mlsd())
print(entries)
try:
    ftp.retrbinary("RETR nosuchfile.txt", lambda b: None)
except ftplib.error_perm as e:
    print("RETR failed:", e)
for name, facts in entries:
    if facts.get("type") == "file":
        ftp.delete(name)
ftp.cwd("/")
ftp.rmd("newdir")
ftp.quit()
