# SPDX-License-Identifier: LGPL-2.0-or-later
"""Upstream servers for the proxy tests, on addresses of the test's own.

    netserver.py READY_FILE ROOT HTTP_PORT ECHO_PORT TLS_PORT CERT KEY ADDR...

HTTP on every ADDR:HTTP_PORT (files under ROOT, plus the paths below), a TCP
echo server on ADDR:ECHO_PORT, HTTPS on 127.0.0.1:TLS_PORT when CERT is not
"-".  It writes READY_FILE once listening and stops by itself after five
minutes, so a failed test never leaves it behind.
"""
import hashlib
import http.server
import os
import random
import socket
import socketserver
import ssl
import sys
import threading
import time


def payload(n):
    """n deterministic bytes: the test computes the same to compare."""
    return random.Random(n).randbytes(n)


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, body, ctype="text/plain"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/hello":
            where = self.connection.getsockname()[0]
            return self._send(f"hello from {where}\n".encode())
        if self.path == "/headers":
            return self._send(str(self.headers).encode())
        if self.path.startswith("/bytes/"):
            n = int(self.path[len("/bytes/"):])
            return self._send(payload(n), "application/octet-stream")
        if self.path.startswith("/slow/"):
            time.sleep(float(self.path[len("/slow/"):]))
            return self._send(b"slow\n")
        return super().do_GET()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        h = hashlib.sha256()
        while n > 0:
            chunk = self.rfile.read(min(n, 1 << 20))
            if not chunk:
                break
            h.update(chunk)
            n -= len(chunk)
        self._send((h.hexdigest() + "\n").encode())


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        while True:
            data = s.recv(65536)
            if not data:
                break
            s.sendall(data)
        s.shutdown(socket.SHUT_WR)


class ThreadedTCP(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024


class ThreadedHTTP(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024


def main():
    ready, root, hport, eport, tport, cert, key = sys.argv[1:8]
    addrs = sys.argv[8:]
    os.chdir(root)
    servers = []
    for a in addrs:
        servers.append(ThreadedHTTP((a, int(hport)), Handler))
        servers.append(ThreadedTCP((a, int(eport)), Echo))
    if cert != "-":
        tls = ThreadedHTTP(("127.0.0.1", int(tport)), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        servers.append(tls)
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(ready, "w") as f:
        f.write("ready\n")
    time.sleep(300)


if __name__ == "__main__":
    main()
