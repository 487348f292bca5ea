#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.0-or-later
"""--userns-block-fd: the launcher writes --info-fd, then waits; the caller
writes the uid/gid maps of the child itself (as newuidmap would) and releases
it with one byte.  Usage: userns-block.py TOOL PROBE; prints what the command saw."""
import json
import os
import subprocess
import sys

tool, probe = sys.argv[1], sys.argv[2]
info_r, info_w = os.pipe()
block_r, block_w = os.pipe()
args = [tool, "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib",
        "/lib", "--symlink", "usr/lib64", "/lib64", "--ro-bind", probe, "/probe", "--proc", "/proc",
        "--unshare-user", "--unshare-pid", "--info-fd", str(info_w), "--userns-block-fd",
        str(block_r), "/probe", "ids"]
p = subprocess.Popen(args, pass_fds=(info_w, block_r), stdout=subprocess.PIPE, text=True)
os.close(info_w)
os.close(block_r)
data = b""
while True:
    chunk = os.read(info_r, 4096)
    if not chunk:
        break
    data += chunk
pid = json.loads(data)["child-pid"]
uid, gid = os.getuid(), os.getgid()
inside = 0 if uid == 0 else uid
with open(f"/proc/{pid}/uid_map", "w") as f:
    f.write(f"{inside} {uid} 1\n")
with open(f"/proc/{pid}/setgroups", "w") as f:
    f.write("deny\n")
with open(f"/proc/{pid}/gid_map", "w") as f:
    f.write(f"{inside} {gid} 1\n")
os.write(block_w, b"x")
out, _ = p.communicate(timeout=30)
print(out.splitlines()[0])
print(f"exit={p.returncode}")
