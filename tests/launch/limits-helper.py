# SPDX-License-Identifier: LGPL-2.0-or-later
# Runs inside a sandbox for tests/launch/limits.sh: each subcommand pushes
# against one limit and prints what it reached.  Every loop has its own cap
# so that a limit that does not work cannot hurt the machine.
import errno
import os
import resource
import select
import signal
import sys
import time


def fork_flat(cap):
    """Fork sleeping children until fork fails (or cap); print how many."""
    kids, t0, err = [], time.perf_counter(), "none"
    while len(kids) < cap:
        try:
            pid = os.fork()
        except OSError as e:
            err = errno.errorcode.get(e.errno, str(e.errno))
            break
        if pid == 0:
            time.sleep(20)
            os._exit(0)
        kids.append(pid)
    stop_ms = (time.perf_counter() - t0) * 1000
    print(f"children={len(kids)} error={err} stop_ms={stop_ms:.1f}", flush=True)
    if len(sys.argv) > 3:
        time.sleep(float(sys.argv[3]))  # hold the limit while the host is probed
    for k in kids:
        os.kill(k, signal.SIGKILL)
    for k in kids:
        os.waitpid(k, 0)


def fork_bomb(depth):
    """A real fork bomb: every process forks two more, up to depth levels
    (2^(depth+1) - 1 processes if nothing stops it; depth 8 is 511).  Each
    process reports "D" once its forking is over and "F" per refused fork;
    when no report came for two seconds, count the tasks alive in /proc.
    They all sleep on and die with the pid namespace when this one exits."""
    r, w = os.pipe()
    t0 = time.perf_counter()
    if os.fork() == 0:
        os.close(r)
        level = 0
        while level < depth:
            level += 1
            forked = False
            for _ in range(2):
                try:
                    if os.fork() == 0:
                        forked = True
                        break
                except OSError:
                    os.write(w, b"F")
            if not forked:
                break
        os.write(w, b"D")
        time.sleep(60)
        os._exit(0)
    os.close(w)
    done = refused = 0
    last = time.perf_counter()
    while time.perf_counter() - last < 2 and time.perf_counter() - t0 < 40:
        ready, _, _ = select.select([r], [], [], 0.2)
        if ready:
            b = os.read(r, 4096)
            done += b.count(b"D")
            refused += b.count(b"F")
            last = time.perf_counter()
    alive = sum(1 for d in os.listdir("/proc") if d.isdigit())
    print(f"alive={alive} refused={'yes' if refused else 'no'} processes={done}", flush=True)


def alloc(step_mb, cap_mb):
    """Allocate step_mb blocks until MemoryError (or cap); print the total."""
    blocks = []
    try:
        while len(blocks) * step_mb < cap_mb:
            blocks.append(bytearray(step_mb << 20))
    except MemoryError:
        print(f"MemoryError after {len(blocks) * step_mb} MiB", flush=True)
        return
    print(f"no limit up to {cap_mb} MiB", flush=True)


def nofile(cap):
    fds = []
    try:
        while len(fds) < cap:
            fds.append(os.open("/dev/null", os.O_RDONLY))
    except OSError as e:
        print(f"{errno.errorcode[e.errno]} with {len(fds) + 3} open", flush=True)
        return
    print(f"no limit up to {cap}", flush=True)


def write(path, size):
    try:
        with open(path, "wb") as f:
            f.write(b"x" * size)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        print(errno.errorcode[e.errno], flush=True)
        return
    print("written", flush=True)


def rlimits():
    for name in ("RLIMIT_CORE", "RLIMIT_NOFILE", "RLIMIT_DATA", "RLIMIT_NPROC", "RLIMIT_CPU",
                 "RLIMIT_FSIZE"):
        soft, hard = resource.getrlimit(getattr(resource, name))
        print(f"{name} {soft} {hard}")


def spin():
    t0 = time.process_time()
    while time.process_time() - t0 < 30:
        pass
    print("not stopped", flush=True)


cmd = sys.argv[1]
if cmd == "fork-flat":
    fork_flat(int(sys.argv[2]))
elif cmd == "fork-bomb":
    fork_bomb(int(sys.argv[2]))
elif cmd == "alloc":
    alloc(int(sys.argv[2]), int(sys.argv[3]))
elif cmd == "nofile":
    nofile(int(sys.argv[2]))
elif cmd == "write":
    write(sys.argv[2], int(sys.argv[3]))
elif cmd == "rlimits":
    rlimits()
elif cmd == "spin":
    spin()
