#!/usr/bin/env python3
"""Tiny pyftpdlib server for the ftpscope samples.

usage: pyftpd-server.py ADDRESS PORT ROOT USER PASSWORD [PERM]

PERM is pyftpdlib's permission string (default "elradfmw"; add "M" for SITE CHMOD).

One password account (its own authorizer, no Unix user), passive ports 40000-40100,
a short delay after a failed login so failed-login captures stay short.
"""
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


def main() -> None:
    address, port, root, user, password = sys.argv[1:6]
    perm = sys.argv[6] if len(sys.argv) > 6 else "elradfmw"
    authorizer = DummyAuthorizer()
    authorizer.add_user(user, password, root, perm=perm)

    class Handler(FTPHandler):
        pass

    Handler.authorizer = authorizer
    Handler.banner = "ftpscope sample pyftpdlib ready."
    Handler.passive_ports = range(40000, 40101)
    Handler.auth_failed_timeout = 0.5
    Handler.max_login_attempts = 3
    Handler.permit_foreign_addresses = False
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    server = FTPServer((address, int(port)), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
