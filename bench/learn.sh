#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# The cost of agentjail learn's observer, measured in one run: `git status`
# on a repository of 50,000 files (the task bench/filter.sh uses) inside
# `agentjail --profile default` and inside `agentjail learn --profile
# default`, rounds interleaved.  Every lstat git makes is a seccomp
# notification answered by the observer, outside the sandbox, so the cost is
# waiting, not git's own CPU: the time reported is the wall time of the task,
# measured inside the sandbox (setup excluded), 3 runs per sandbox; git's CPU
# time is shown too.  Also the cost of one notified call (lstat of one path)
# against an unobserved one.
#
#   bench/learn.sh [AGENTJAIL]    (default: build/agentjail)
# Environment: AJ_BENCH_FILES (50000), AJ_BENCH_ROUNDS (10), AJ_BENCH_DIR
# (/var/tmp/agentjail-bench: the repository is kept there between runs).
set -eu
cd "$(dirname "$0")/.."
AJ=$(realpath "${1:-build/agentjail}")
FILES=${AJ_BENCH_FILES:-50000}
ROUNDS=${AJ_BENCH_ROUNDS:-10}
DIR=${AJ_BENCH_DIR:-/var/tmp/agentjail-bench}
mkdir -p "$DIR"

. bench/git-repo.sh

# Root's profile run would be host uid 65534, and git refuses a repository
# owned by someone else: keep root's ids (not what is measured).
OPTS=(--profile default)
[ "$(id -u)" = 0 ] && OPTS+=(--root-maps-to 0:0)

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

TASK=(/usr/bin/python3 -c 'import resource, subprocess, time
for i in range(3):
    a = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    subprocess.run(["git", "status", "--porcelain"], stdout=subprocess.DEVNULL, check=True)
    w = time.monotonic() - t
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(int(w * 1e6), int(((b.ru_utime + b.ru_stime) - (a.ru_utime + a.ru_stime)) * 1e6))')

echo "== git status, $FILES files: $ROUNDS rounds x 3 runs per variant, interleaved"
: >"$DIR/l-normal"
: >"$DIR/l-learn"
for r in $(seq "$ROUNDS"); do
	(cd "$REPO" && "$AJ" "${OPTS[@]}" -- "${TASK[@]}") >>"$DIR/l-normal"
	(cd "$REPO" && "$AJ" learn "${OPTS[@]}" -o /dev/null -- "${TASK[@]}" 2>/dev/null) >>"$DIR/l-learn"
done
nw=$(cut -d' ' -f1 "$DIR/l-normal" | median)
nc=$(cut -d' ' -f2 "$DIR/l-normal" | median)
for v in normal learn; do
	w=$(cut -d' ' -f1 "$DIR/l-$v" | median)
	c=$(cut -d' ' -f2 "$DIR/l-$v" | median)
	b=$(cut -d' ' -f1 "$DIR/l-$v" | sort -n | head -1)
	awk -v v="$v" -v w="$w" -v c="$c" -v nw="$nw" -v nc="$nc" -v b="$b" 'BEGIN {
		printf "   %-7s wall median %8.1f ms (%.2fx)   best %8.1f ms   git CPU median %7.1f ms (%.2fx)\n",
			v, w / 1000, w / nw, b / 1000, c / 1000, c / nc }'
done

echo "== one lstat: unobserved and observed (best of 5 sandboxes, 20,000 calls each)"
ONE=(/usr/bin/python3 -c 'import os, time
best = None
for k in range(5):
    t = time.monotonic()
    for _ in range(20000):
        os.lstat("/usr/bin/sh")
    d = (time.monotonic() - t) / 20000
    best = d if best is None or d < best else best
print(int(best * 1e9))')
: >"$DIR/one-normal"
: >"$DIR/one-learn"
for r in 1 2 3 4 5; do
	(cd "$REPO" && "$AJ" "${OPTS[@]}" -- "${ONE[@]}") >>"$DIR/one-normal"
	(cd "$REPO" && "$AJ" learn "${OPTS[@]}" -o /dev/null -- "${ONE[@]}" 2>/dev/null) >>"$DIR/one-learn"
done
a=$(sort -n "$DIR/one-normal" | head -1)
b=$(sort -n "$DIR/one-learn" | head -1)
awk -v a="$a" -v b="$b" 'BEGIN {
	printf "   lstat   normal %7.2f us   learn %7.2f us   %+.2f us per observed call\n", a / 1000, b / 1000, (b - a) / 1000 }'
