#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.0-or-later
"""Startup of `agentjail ARGS true` against `bwrap ARGS true`, same ARGS, same run.

Three launchers take turns, in rotating order so machine noise hits all
alike: Debian's bwrap, agentjail linked as `bwrap` (bwrap's defaults: no
audit record), and agentjail under its own name (which also appends an audit
record per run).  Prints the median wall time of each, the ratios to bwrap,
and the resident memory (VmRSS) of the launcher process that waits while the
command runs, with the part of it that is its own (private pages: what each
more sandbox really costs; the rest is shared libraries and program text).
Usage: bench/startup.py [AGENTJAIL] [RUNS]
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

AJ = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/agentjail")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 200
BWRAP = "/usr/bin/bwrap"

proj = tempfile.mkdtemp(prefix="aj-bench.", dir="/var/tmp")
os.chmod(proj, 0o755)
# agentjail under bwrap's name, with the reaper program it finds next to itself.
linkdir = os.path.join(proj, "bin")
os.makedirs(linkdir)
shutil.copy(AJ, os.path.join(linkdir, "agentjail"))
reaper = os.path.join(os.path.dirname(AJ), "agentjail-reaper")
if os.path.exists(reaper):
    shutil.copy(reaper, os.path.join(linkdir, "agentjail-reaper"))
os.symlink("agentjail", os.path.join(linkdir, "bwrap"))
AJB = os.path.join(linkdir, "bwrap")
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


def rss_kib(cmd, samples=7):
    """VmRSS, and the private part of it (pages no other process maps), of the
    launcher while the command sleeps: medians of a few runs."""
    rss, private = [], []
    for _ in range(samples):
        p = subprocess.Popen(cmd + ["/usr/bin/sleep", "0.5"], stdin=subprocess.DEVNULL)
        time.sleep(0.3)
        with open(f"/proc/{p.pid}/smaps_rollup") as f:
            v = {l.split(":")[0]: int(l.split()[1]) for l in f if l.endswith("kB\n")}
        rss.append(v["Rss"])
        private.append(v["Private_Clean"] + v["Private_Dirty"])
        p.wait()
    return int(statistics.median(rss)), int(statistics.median(private))


print(f"# {RUNS} runs per launcher and line, in rotating order; agentjail={AJ}; "
      f"bwrap={BWRAP} "
      f"({subprocess.run([BWRAP, '--version'], capture_output=True, text=True).stdout.strip()}); "
      f"uid={os.getuid()}")
print(f"{'command line':40} {'bwrap':>7} {'aj as bwrap':>12} {'agentjail':>10} {'ratio':>6} {'ratio':>6}"
      f" {'RSS bwrap':>10} {'RSS aj':>7} {'private':>8} {'private':>8}")
print(f"{'':40} {'ms':>7} {'ms':>12} {'ms':>10} {'b-name':>6} {'a-name':>6} {'kB':>10} {'kB':>7}"
      f" {'bwrap kB':>8} {'aj kB':>8}")
worst = 0.0
for name, args in LINES.items():
    times = {BWRAP: [], AJB: [], AJ: []}
    order = [BWRAP, AJB, AJ]
    for i in range(RUNS):
        for tool in order[i % 3:] + order[:i % 3]:
            times[tool].append(once([tool] + args + ["/usr/bin/true"]))
    mb, mab, ma = (statistics.median(times[t]) for t in order)
    (rb, pb), (ra, pa) = rss_kib([BWRAP] + args), rss_kib([AJB] + args)
    worst = max(worst, mab / mb)
    print(f"{name:40} {mb * 1e3:7.2f} {mab * 1e3:12.2f} {ma * 1e3:10.2f} {mab / mb:6.2f} {ma / mb:6.2f}"
          f" {rb:10} {ra:7} {pb:8} {pa:8}")
print(f"# worst ratio, agentjail as bwrap / bwrap (median wall time): {worst:.2f}")
shutil.rmtree(proj, ignore_errors=True)
