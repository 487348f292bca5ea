#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.0-or-later
"""What profiles cost at startup, measured against a reference in the same run.

1. mask: a project of 100,000 files in 10,000 directories (20 .env files
   among them).  The time `mask` (with protect-git, which shares its walk)
   adds to `agentjail --profile P -- true`: the default profile minus its
   mask and protect-git lines against the default profile itself, on the
   same tree.  Reference: `find PROJECT -name '.env*'` on the same tree.
   Target: at most half of find.
2. claude: `agentjail --profile claude -- true` on a small project against
   the equivalent bwrap command line (the same binds, tmpfs, symlinks, each
   masked file as --ro-bind /dev/null, each protected path as --ro-bind P P,
   --unshare-all --die-with-parent --clearenv), built from --explain.
   Target: within 1.5x of bwrap.

Runs alternate between the tools so machine noise hits both alike; medians.
Usage: bench/profiles.py [AGENTJAIL] [RUNS], as an unprivileged user (root's
profile runs map root away, so a tree root made is not theirs to use).
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

if os.getuid() == 0:
    sys.exit("bench/profiles.py: run it as an unprivileged user (root's profile runs map root "
             "away: see root-maps-to in agentjail.ini(5))")
AJ = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/agentjail")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 21
BWRAP = shutil.which("bwrap") or "/usr/bin/bwrap"
SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEVNULL = subprocess.DEVNULL


def timed(cmd, cwd, env):
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=env, stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        out = subprocess.run(cmd, cwd=cwd, env=env, stdin=DEVNULL, capture_output=True, text=True)
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd[:6])} ...\n{out.stderr}")
    return dt


def race(cmds, cwd, env):
    """Median seconds of each command, run alternately RUNS times after a warm-up."""
    times = {k: [] for k in cmds}
    for k, c in cmds.items():
        timed(c, cwd, env)
    for _ in range(RUNS):
        for k, c in cmds.items():
            times[k].append(timed(c, cwd, env))
    return {k: statistics.median(v) for k, v in times.items()}


def output(cmd, cwd, env):
    return subprocess.run(cmd, cwd=cwd, env=env, stdin=DEVNULL, capture_output=True, text=True,
                          check=True).stdout


def big_tree(root):
    subprocess.run(["git", "init", "-q", root], check=True)
    for a in range(100):
        for b in range(100):
            d = os.path.join(root, f"d{a:02d}", f"s{b:02d}")
            os.makedirs(d)
            for f in range(10):
                env = (a * 100 + b) % 500 == 0 and f == 0
                open(os.path.join(d, ".env" if env else f"file{f}.txt"), "w").close()


def bwrap_args(explain):
    """The bwrap command line that does what --explain describes."""
    args = []
    section = None
    for line in explain.splitlines():
        if line and not line.startswith(" "):
            section = line
            continue
        if not section or not section.startswith("Filesystem"):
            continue
        words = line.split()
        if len(words) < 2:
            continue
        kind = words[0]
        if kind == "read-only" and "(skipped:" not in line:
            src = words[words.index("(from") + 1].rstrip(")") if "(from" in words else words[1]
            args += ["--ro-bind", src, words[1]]
        elif kind == "read-write" and "(skipped:" not in line:
            src = words[words.index("(from") + 1].rstrip(")") if "(from" in words else words[1]
            args += ["--bind", src, words[1]]
        elif kind == "symlink":
            args += ["--symlink", words[3], words[1]]
        elif kind == "tmpfs":
            args += ["--tmpfs", words[1]]
        elif kind in ("proc", "dev"):
            args += ["--" + kind, words[1]]
        elif kind == "masked":
            pass  # the matches follow, one per line
        elif kind.startswith("/"):
            args += ["--ro-bind", "/dev/null", kind]
        elif kind == "protected" and words[1].startswith("/") and "missing:" not in line:
            args += ["--ro-bind", words[1], words[1]]
    return args + ["--unshare-all", "--die-with-parent", "--clearenv", "--setenv", "PATH",
                   "/usr/bin:/bin", "--cap-drop", "ALL"]


def main():
    tmp = tempfile.mkdtemp(prefix="aj-bench.", dir="/var/tmp")
    home = os.path.join(tmp, "home")
    os.makedirs(os.path.join(home, ".claude"))
    os.makedirs(os.path.join(home, ".local", "bin"))
    open(os.path.join(home, ".claude.json"), "w").close()
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C", "XDG_CONFIG_HOME": home + "/.config"}
    ver = output([BWRAP, "--version"], tmp, env).strip()
    print(f"# agentjail={AJ}; {BWRAP} ({ver}); uid={os.getuid()}; {RUNS} alternating runs, medians")

    # 1. mask on a big tree.
    tree = os.path.join(tmp, "tree")
    big_tree(tree)
    full = output([AJ, "--dump-profile"], tree, env)
    lean = "".join(l for l in full.splitlines(True)
                   if not l.startswith(("mask =", "protect-git =")))
    with open(os.path.join(tmp, "full.ini"), "w") as f:
        f.write(full)
    with open(os.path.join(tmp, "lean.ini"), "w") as f:
        f.write(lean)
    matches = output([AJ, "--explain", "--profile", tmp + "/full.ini"], tree, env).count("/.env\n")
    t = race({
        "find": ["find", tree, "-name", ".env*"],
        "with": [AJ, "--profile", tmp + "/full.ini", "--", "/usr/bin/true"],
        "without": [AJ, "--profile", tmp + "/lean.ini", "--", "/usr/bin/true"],
        "explain-with": [AJ, "--explain", "--profile", tmp + "/full.ini"],
        "explain-without": [AJ, "--explain", "--profile", tmp + "/lean.ini"],
    }, tree, env)
    added = t["with"] - t["without"]
    walk = t["explain-with"] - t["explain-without"]
    print(f"mask, 100000 files in 10000 directories, {full.count(chr(10) + 'mask =')} patterns "
          f"+ protect-git, {matches} matches")
    print(f"  find -name '.env*':          {t['find'] * 1000:8.1f} ms")
    print(f"  startup without mask:        {t['without'] * 1000:8.1f} ms")
    print(f"  startup with mask:           {t['with'] * 1000:8.1f} ms")
    print(f"  added by mask (walk+mounts): {added * 1000:8.1f} ms   ratio to find {added / t['find']:.2f}"
          f"  (target <= 0.50)")
    print(f"  of which the walk (explain): {walk * 1000:8.1f} ms   ratio to find {walk / t['find']:.2f}")

    # 2. claude on a small project.
    proj = os.path.join(tmp, "proj")
    os.makedirs(os.path.join(proj, "src"))
    subprocess.run(["git", "init", "-q", proj], check=True)
    for name in (".env", "src/.env.local", "src/main.py", "README.md"):
        with open(os.path.join(proj, name), "w") as f:
            f.write("x\n")
    explain = output([AJ, "--explain", "--profile", "claude"], proj, env)
    bw = [BWRAP] + bwrap_args(explain) + ["/usr/bin/true"]
    t = race({
        "bwrap": bw,
        "agentjail": [AJ, "--profile", "claude", "--", "/usr/bin/true"],
    }, proj, env)
    print(f"claude profile, small project ({len(bw) - 2} bwrap arguments)")
    print(f"  bwrap, equivalent line:      {t['bwrap'] * 1000:8.1f} ms")
    print(f"  agentjail --profile claude:  {t['agentjail'] * 1000:8.1f} ms   ratio {t['agentjail'] / t['bwrap']:.2f}"
          f"  (target <= 1.50)")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
