#!/usr/bin/env python3
"""Client half of guessing-run-pyftpdlib: a password guesser built on Python's ftplib.

usage: ftplib-guess.py HOST

Twelve wrong logins in well under a minute, as a dictionary attack does: ten passwords for `alice`, then two for
`admin`. pyftpdlib allows three attempts per control connection (then it closes it), so the guesser reconnects
after every third attempt; no login succeeds.
"""
import ftplib
import sys

host = sys.argv[1]
guesses = [("alice", p) for p in ("123456", "password", "alice", "qwerty", "letmein", "dragon", "monkey",
                                   "111111", "sunshine", "iloveyou")]
guesses += [("admin", "admin"), ("admin", "123456")]

ftp = None
attempts = 0
for user, password in guesses:
    if ftp is None or attempts == 3:
        if ftp is not None:
            try:
                ftp.close()
            except Exception:
                pass
        ftp = ftplib.FTP()
        ftp.set_debuglevel(1)
        ftp.connect(host, 21, timeout=10)
        attempts = 0
    attempts += 1
    try:
        ftp.login(user, password)
        print("unexpected success:", user)
    except ftplib.error_perm as e:
        print("login failed:", e)
try:
    ftp.quit()
except Exception:
    pass
