#!/usr/bin/env python3
"""Client half of stalled-receiver-vsftpd: a client that stops reading its download.

usage: ftplib-stop-reading.py HOST USER PASSWORD PATH SECONDS

Logs in with ftplib, opens the passive data connection itself with a small receive buffer (4 KiB, so the window
closes after a few kilobytes instead of megabytes), sends RETR PATH, reads nothing for SECONDS (the kernel
advertises a zero window and the server probes it), then prints the server's final reply and quits.
"""
import ftplib
import socket
import sys
import time

host, user, password, path, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
ftp = ftplib.FTP()
ftp.set_debuglevel(1)
ftp.connect(host, 21, timeout=60)
ftp.login(user, password)
ftp.voidcmd("TYPE I")
data_host, data_port = ftp.makepasv()
data = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
data.connect((data_host, data_port))
print(ftp.sendcmd("RETR " + path))
time.sleep(seconds)
try:
    print("final:", ftp.getresp())
except ftplib.Error as e:
    print("final:", e)
data.close()
try:
    ftp.quit()
except Exception as e:
    print("quit:", repr(e))
