# SPDX-License-Identifier: LGPL-2.0-or-later
"""A scripted "agent" for tests/launch/learn.sh: it needs a handful of paths
and hosts, tries to read secrets it must never get, and exits 0 only when it
got everything it needs.

    learn-agent.py PORT... [--socket PATH]
"""
import json
import os
import socket
import subprocess
import sys

home = os.environ["HOME"]
problems = []


def check(what, fn):
    try:
        fn()
        print(f"{what}: ok")
    except Exception as e:  # noqa: BLE001 - any failure is the answer
        problems.append(what)
        print(f"{what}: FAILED {type(e).__name__}: {e}")


def read(path):
    with open(path) as f:
        return f.read()


def state():
    # Written in place: read, then rewritten.
    with open(f"{home}/.fakeagent/state.json", "r+") as f:
        runs = json.load(f)["runs"] + 1
        f.seek(0)
        f.truncate()
        json.dump({"runs": runs}, f)


def helper():
    out = subprocess.run([f"{home}/tools/bin/helper"], check=True, capture_output=True, text=True)
    if "tool data" not in out.stdout:
        raise RuntimeError(f"helper said {out.stdout!r}")


def project_write():
    os.makedirs("out", exist_ok=True)
    with open("out/result.txt", "w") as f:
        f.write("done\n")


def fetch(port):
    proxy = os.environ.get("http_proxy", "http://127.0.0.1:3128")
    phost, pport = proxy.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    s = socket.create_connection((phost, int(pport)), timeout=20)
    s.sendall(f"GET http://127.0.0.1:{port}/hello HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
              "Connection: close\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    status = data.split(b" ", 2)[1] if b" " in data else b"?"
    if status != b"200":
        raise RuntimeError(f"HTTP {status.decode(errors='replace')}")


def connect_unix(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(path)
    if s.recv(16) != b"hi":
        raise RuntimeError("no greeting")


args = sys.argv[1:]
sock = None
if "--socket" in args:
    i = args.index("--socket")
    sock = args[i + 1]
    del args[i:i + 2]

check("config", lambda: json.loads(read(f"{home}/.fakeagent/config.json")))
check("state", state)
check("helper", helper)
check("project read", lambda: read("src/main.txt"))
check("project write", project_write)
for secret in (".npmrc", ".ssh/id_rsa", ".aws/credentials", "notes/.env"):
    try:
        data = read(f"{home}/{secret}")
        print(f"secret {secret}: {'LEAKED' if 'SECRET' in data else 'empty'}")
    except OSError as e:
        print(f"secret {secret}: refused ({e.strerror})")
for port in args:
    check(f"host {port}", lambda: fetch(port))
if sock:
    check("socket", lambda: connect_unix(sock))
sys.exit(1 if problems else 0)
