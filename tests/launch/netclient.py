# SPDX-License-Identifier: LGPL-2.0-or-later
"""Clients run inside the sandbox by tests/launch/proxy.sh.

Each subcommand prints one line per check, "NAME: RESULT", so the shell
test compares words, not Python tracebacks.  The proxy is 127.0.0.1:3128.
"""
import errno
import hashlib
import os
import random
import socket
import ssl
import sys
import threading
import time
import urllib.request

PROXY = ("127.0.0.1", 3128)


def payload(n):
    return random.Random(n).randbytes(n)


def connect_proxy():
    s = socket.create_connection(PROXY, timeout=20)
    return s


def read_reply(s, limit=65536):
    """Everything up to the end of an HTTP header, or what came before EOF."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < limit:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def status(reply):
    line = reply.split(b"\r\n", 1)[0].decode(errors="replace")
    return line.split(" ")[1] if line.startswith("HTTP/1.") and " " in line else "none:" + line[:40]


def tunnel(host, port):
    s = connect_proxy()
    s.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    r = read_reply(s)
    if status(r) != "200":
        raise OSError(f"CONNECT {host}:{port}: {r[:200]!r}")
    return s, r.split(b"\r\n\r\n", 1)[1]


def cmd_get(url, n=None):
    """urllib with the environment's proxies; with n, compare against payload(n)."""
    ctx = None
    if os.environ.get("AJT_CA"):
        ctx = ssl.create_default_context(cafile=os.environ["AJT_CA"])
    try:
        with urllib.request.urlopen(url, timeout=60, context=ctx) as r:
            body = r.read()
    except urllib.error.HTTPError as e:
        print(f"get: HTTP {e.code} {e.read().decode(errors='replace').strip()}")
        return
    except Exception as e:  # noqa: BLE001 - the test prints what failed
        print(f"get: error {e}")
        return
    if n is None:
        print("get: " + body.decode(errors="replace").strip())
    else:
        ok = hashlib.sha256(body).hexdigest() == hashlib.sha256(payload(int(n))).hexdigest()
        print(f"get: {len(body)} bytes {'intact' if ok else 'CORRUPT'}")


def cmd_slowget(url, n):
    """A reader slower than the server: the relay meets a full client socket
    again and again (and an idle sweep or two) in the middle of a body."""
    n = int(n)
    h = hashlib.sha256()
    got = 0
    with urllib.request.urlopen(url, timeout=60) as r:
        while True:
            chunk = r.read(256 * 1024)
            if not chunk:
                break
            h.update(chunk)
            got += len(chunk)
            if got % (4 << 20) < 256 * 1024:
                time.sleep(0.3)  # longer than the proxy's sweep
            else:
                time.sleep(0.002)
    ok = got == n and h.hexdigest() == hashlib.sha256(payload(n)).hexdigest()
    print(f"slowget: {got} bytes {'intact' if ok else 'CORRUPT'}")


def cmd_post(url, n):
    data = payload(int(n))
    req = urllib.request.Request(url, data=data, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        got = r.read().decode().strip()
    print("post: " + ("intact" if got == hashlib.sha256(data).hexdigest() else "CORRUPT " + got))


def cmd_socks(host, port):
    """SOCKS5 with a host name, by hand: greeting, request, echo."""
    s = connect_proxy()
    s.sendall(b"\x05\x01\x00")
    print("socks-method: " + s.recv(2).hex())
    name = host.encode()
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + int(port).to_bytes(2, "big"))
    rep = s.recv(10)
    print("socks-reply: " + rep[:2].hex())
    if rep[1:2] == b"\x00":
        s.sendall(b"ping")
        print("socks-echo: " + s.recv(4).decode())


def cmd_many(host, port, n):
    """n tunnels open at once, each echoing its own data."""
    n = int(n)
    socks, results = [], [None] * n
    for i in range(n):
        socks.append(tunnel(host, port)[0])

    def work(i):
        msg = f"conn-{i}-".encode() * 50
        try:
            socks[i].sendall(msg)
            got = b""
            while len(got) < len(msg):
                chunk = socks[i].recv(65536)
                if not chunk:
                    break
                got += chunk
            results[i] = got == msg
        except OSError:
            results[i] = False

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in socks:
        s.close()
    print(f"many: {sum(1 for r in results if r)}/{n} intact")


def cmd_hostile(host, port, echo):
    """Misbehaving clients, then a well-behaved one: the proxy serves it."""
    def raw(data, shut=False):
        s = connect_proxy()
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        return s, read_reply(s)

    _, r = raw(b"NONSENSE\r\n\r\n")
    print("malformed: " + status(r))
    _, r = raw(b"GET http://" + host.encode() + b"/ HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 20000)
    print("huge-header: " + status(r))
    _, r = raw(b"CONNECT " + host.encode() + b":1 HTTP/1.1\r\nX: partial", shut=True)
    print("half-closed-header: " + status(r))
    _, r = raw(os.urandom(64).replace(b"\x05", b"\x06").replace(b"\x04", b"\x06") + b"\r\n\r\n")
    print("binary: " + status(r))
    # A client that resets the connection at once.
    s = connect_proxy()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    # Half-close after the request: the answer and the echo still come, then EOF.
    s = connect_proxy()
    s.sendall(f"CONNECT {host}:{echo} HTTP/1.1\r\n\r\nping".encode())
    s.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    print("half-close-tunnel: " + ("ok" if data.endswith(b"\r\n\r\nping") and status(data) == "200"
                                   else repr(data[:80])))
    # Slow clients: partial headers that never end.  Others are served meanwhile.
    slow = []
    for _ in range(20):
        s = connect_proxy()
        s.sendall(f"CONNECT {host}:{echo} HTTP/1.1\r\nX-Slow: ".encode())
        slow.append(s)
    t0 = time.monotonic()
    s, _ = tunnel(host, echo)
    s.sendall(b"quick")
    ok = s.recv(5) == b"quick"
    print(f"served-beside-slow-clients: {'ok' if ok and time.monotonic() - t0 < 2 else 'slow'}")
    s.close()
    for s in slow:
        s.settimeout(15)
    codes = set()
    for s in slow:
        try:
            codes.add(status(read_reply(s)))
        except OSError as e:
            codes.add(str(e))
    print("slow-clients-answered: " + ",".join(sorted(codes)))
    s, _ = tunnel(host, echo)
    s.sendall(b"after")
    print("still-serving: " + s.recv(5).decode())


def cmd_hold(host, port, n):
    """Open n tunnels, pass them to a child that keeps them, and exit."""
    socks = []
    for i in range(int(n)):
        s, _ = tunnel(host, port)
        s.sendall(b"x" * 1000)
        assert s.recv(1000, socket.MSG_WAITALL) == b"x" * 1000
        socks.append(s)
    if os.fork() == 0:
        # Wait (bounded) for the proxy to end the tunnels, then report it.
        for s in socks:
            s.settimeout(20)
            try:
                s.recv(1)
            except OSError:
                pass
        os._exit(0)
    print("hold: open")
    sys.stdout.flush()
    os._exit(0)


def cmd_udp(addr, port):
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"q", (addr, int(port)))
        print("udp: sent")
    except OSError as e:
        print("udp: " + errno.errorcode.get(e.errno, str(e.errno)))


def cmd_resolve(name):
    try:
        print("resolve: " + socket.getaddrinfo(name, 80)[0][4][0])
    except socket.gaierror as e:
        print(f"resolve: failed ({e.strerror})")


def cmd_lo():
    """lo's state and packet size limits, asked of the kernel (rtnetlink)."""
    import struct
    names = {3: "name", 41: "gso_max_size", 58: "gro_max_size",
             63: "gso_ipv4_max_size", 64: "gro_ipv4_max_size"}
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)  # NETLINK_ROUTE
    # RTM_GETLINK (18), NLM_F_REQUEST, for ifindex 1.
    ifi = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, 1, 0, 0)
    s.send(struct.pack("=IHHII", 16 + len(ifi), 18, 1, 1, 0) + ifi)
    msg = s.recv(65536)
    _, mtype, _, _, _ = struct.unpack_from("=IHHII", msg)
    if mtype != 16:  # RTM_NEWLINK
        print(f"lo: no answer (type {mtype})")
        return
    _, _, _, flags, _ = struct.unpack_from("=BxHiII", msg, 16)
    out, off = {"up": "yes" if flags & 1 else "no"}, 32
    while off + 4 <= len(msg):
        alen, atype = struct.unpack_from("=HH", msg, off)
        if alen < 4:
            break
        if atype in names:
            data = msg[off + 4:off + alen]
            out[names[atype]] = data.rstrip(b"\0").decode() if atype == 3 \
                else str(struct.unpack("=I", data)[0])
        off += (alen + 3) & ~3
    for k in ("name", "up", "gso_max_size", "gro_max_size", "gso_ipv4_max_size",
              "gro_ipv4_max_size"):
        print(f"lo: {k} {out.get(k, '-')}")


def main():
    cmd = sys.argv[1]
    globals()["cmd_" + cmd.replace("-", "_")](*sys.argv[2:])


if __name__ == "__main__":
    main()
