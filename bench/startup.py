#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.0-or-later
"""Startup of `agentjail ARGS true` against `bwrap ARGS true`, same ARGS, same run.

Runs alternate (bwrap, agentjail, bwrap, ...) so machine noise hits both alike;
prints the median wall time of each and the ratio agentjail/bwrap, then the
resident memory (VmRSS) of the launcher process that waits while the command
runs.  Usage: bench/startup.py [AGENTJAIL] [RUNS]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

AJ = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/agentjail")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 200
BWRAP = "/usr/bin/bwrap"

proj = tempfile.mkdtemp(prefix="aj-bench.", dir="/var/tmp")
home = os.path.join(proj, "home")
for d in (".nvm", ".claude"):
    os.makedirs(os.path.join(home, d), exist_ok=True)
open(os.path.join(home, ".gitconfig"), "w").close()
for f in (".env", ".env.local", ".env.production"):
    open(os.path.join(proj, f), "w").close()

etc = [a for f in ("/etc/resolv.conf", "/etc/hosts", "/etc/ssl", "/etc/passwd", "/etc/group")
       if os.path.exists(f) for a in ("--ro-bind", f, f)]
LINES = {
    "recipe 1 (ro /usr, bind cwd, unshare-all)": [
        "--ro-bind", "/usr", "/usr", "--ro-bind", "/bin", "/bin", "--ro-bind", "/lib", "/lib",
        "--ro-bind", "/lib64", "/lib64", "--bind", proj, proj, "--tmpfs", "/tmp",
        "--unshare-all", "--die-with-parent"],
    "recipe 2 (symlinks, proc, dev)": [
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64",
        "/lib64", "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev",
        "--unshare-all", "--die-with-parent"],
    "recipe 3 (Claude Code)": [
        "--ro-bind", "/usr", "/usr", "--ro-bind", "/lib", "/lib", "--ro-bind", "/lib64", "/lib64",
        "--ro-bind", "/bin", "/bin", *etc,
        "--ro-bind", home + "/.gitconfig", home + "/.gitconfig",
        "--ro-bind", home + "/.nvm", home + "/.nvm", "--bind", proj, proj,
        "--bind", home + "/.claude", home + "/.claude", "--tmpfs", "/tmp", "--proc", "/proc",
        "--dev", "/dev", "--share-net", "--unshare-pid", "--die-with-parent", "--chdir", proj,
        "--ro-bind", "/dev/null", proj + "/.env", "--ro-bind", "/dev/null", proj + "/.env.local",
        "--ro-bind", "/dev/null", proj + "/.env.production"],
    "200 x --ro-bind-try": [
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64"] + [
        a for i in range(200) for a in ("--ro-bind-try", f"/usr/share/doc/x{i}" if i % 2 else
                                        "/usr/share", f"/opt/t{i}")],
}


def once(cmd):
    t = time.perf_counter()
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd[:8])} ...")
    return dt


def rss_kib(cmd):
    """VmRSS of the launcher while the command sleeps."""
    p = subprocess.Popen(cmd + ["/usr/bin/sleep", "1"], stdin=subprocess.DEVNULL)
    time.sleep(0.5)
    with open(f"/proc/{p.pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    p.wait()
    return rss


print(f"# {RUNS} alternating runs per tool and line; agentjail={AJ}; bwrap={BWRAP} "
      f"({subprocess.run([BWRAP, '--version'], capture_output=True, text=True).stdout.strip()}); "
      f"uid={os.getuid()}")
print(f"{'command line':44} {'bwrap ms':>9} {'aj ms':>9} {'ratio':>6} {'bwrap RSS':>10} {'aj RSS':>8}")
worst = 0.0
for name, args in LINES.items():
    b, a = [], []
    for i in range(RUNS):
        pair = [([BWRAP] + args + ["/usr/bin/true"], b), ([AJ] + args + ["/usr/bin/true"], a)]
        if i % 2:
            pair.reverse()
        for cmd, acc in pair:
            acc.append(once(cmd))
    mb, ma = statistics.median(b), statistics.median(a)
    rb, ra = rss_kib([BWRAP] + args), rss_kib([AJ] + args)
    worst = max(worst, ma / mb)
    print(f"{name:44} {mb * 1e3:9.2f} {ma * 1e3:9.2f} {ma / mb:6.2f} {rb:8} kB {ra:6} kB")
print(f"# worst ratio (agentjail/bwrap median wall time): {worst:.2f}")
