# SPDX-License-Identifier: LGPL-2.0-or-later
"""Servers for tests/launch/learn.sh, on the host's loopback only: two HTTP
servers on free ports and, optionally, a unix socket that greets.  Writes
"PORT1 PORT2" to READY once listening; runs until killed.

    learn-server.py READY [UNIX-SOCKET]
"""
import http.server
import os
import socket
import sys
import threading


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        body = f"hello from {self.server.server_address[1]}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello) for _ in range(2)]
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
if len(sys.argv) > 2:
    u = socket.socket(socket.AF_UNIX)
    u.bind(sys.argv[2])
    os.chmod(sys.argv[2], 0o777)
    u.listen(8)

    def greet():
        while True:
            c, _ = u.accept()
            c.sendall(b"hi")
            c.close()

    threading.Thread(target=greet, daemon=True).start()
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(" ".join(str(s.server_address[1]) for s in servers))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
threading.Event().wait()
