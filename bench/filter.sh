#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# The cost of agentjail's walls, measured in one run:
#   1. nanoseconds per system call inside a sandbox without and with the
#      built-in seccomp filter (bench/syscall-loop.c);
#   2. the time of `git status` on a repository of 50,000 files inside
#      agentjail: no filter, --seccomp-default, and --hardened (filter plus
#      Landlock, caps, ...); also through Debian's bwrap for reference.
# Times are CPU time (user + system) of the measured process: on a machine
# shared with other work, wall time mostly measures the others.
# Runs are interleaved (a busy machine slows every variant alike); the
# median and the best are reported.  Target: the filter under 2% slower.
#
#   bench/filter.sh [AGENTJAIL]    (default: build/agentjail)
# Environment: AJ_BENCH_FILES (50000), AJ_BENCH_ROUNDS (15), AJ_BENCH_DIR
# (/var/tmp/agentjail-bench: the repository is kept there between runs).
set -eu
cd "$(dirname "$0")/.."
AJ=$(realpath "${1:-build/agentjail}")
FILES=${AJ_BENCH_FILES:-50000}
ROUNDS=${AJ_BENCH_ROUNDS:-15}
DIR=${AJ_BENCH_DIR:-/var/tmp/agentjail-bench}
BWRAP=$(command -v bwrap || true)
mkdir -p "$DIR"

cc -O2 -o "$DIR/syscall-loop" bench/syscall-loop.c

. bench/git-repo.sh

SYS=(--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64
     --ro-bind /etc/passwd /etc/passwd --dev /dev --proc /proc --tmpfs /tmp
     --bind "$DIR" "$DIR" --chdir "$REPO" --unshare-all --die-with-parent --setenv HOME /tmp)

# Run by root, a hardened sandbox would be host uid 65534, and git refuses a
# repository owned by someone else: keep root's id (not what is measured).
KEEP_ROOT=()
[ "$(id -u)" = 0 ] && KEEP_ROOT=(--root-maps-to 0:0)

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "== nanoseconds per system call: best of 5 sandboxes each, alternating (each best of 5 x 1,000,000)"
: >"$DIR/ns-none"
: >"$DIR/ns-filter"
for r in 1 2 3 4 5; do
	"$AJ" "${SYS[@]}" "$DIR/syscall-loop" >>"$DIR/ns-none"
	"$AJ" "${SYS[@]}" --seccomp-default "$DIR/syscall-loop" >>"$DIR/ns-filter"
done
best() { awk -v k="$1" '$1 == k { if (!b || $2 < b) b = $2 } END { print b }' "$2"; }
for k in getppid ioctl openat; do
	a=$(best "$k" "$DIR/ns-none")
	b=$(best "$k" "$DIR/ns-filter")
	awk -v k="$k" -v a="$a" -v b="$b" 'BEGIN {
		printf "   %-8s no filter %7.1f ns   filter %7.1f ns   %+6.1f ns (%.3fx)\n", k, a, b, b - a, b / a }'
done

# The task's own time, measured inside the sandbox (setup excluded): each
# sandbox runs it 3 times; sandboxes of every variant alternate.
echo "== git status, $FILES files, CPU time: $ROUNDS rounds x 3 runs per variant, interleaved"
# CPU time (user + system) of git, in microseconds: what the filter can cost,
# unlike the wall time, which on a shared machine mostly measures the others.
TASK=(/usr/bin/python3 -c 'import resource, subprocess
for i in range(3):
    a = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["git", "status", "--porcelain"], stdout=subprocess.DEVNULL, check=True)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(int(((b.ru_utime + b.ru_stime) - (a.ru_utime + a.ru_stime)) * 1e6))')
variants=(none filter hardened)
[ -n "$BWRAP" ] && variants+=(bwrap)
for v in "${variants[@]}"; do : >"$DIR/t-$v"; done
for r in $(seq "$ROUNDS"); do
	for v in "${variants[@]}"; do
		case $v in
		none) cmd=("$AJ" "${SYS[@]}") ;;
		filter) cmd=("$AJ" "${SYS[@]}" --seccomp-default) ;;
		hardened) cmd=("$AJ" "${SYS[@]}" --hardened "${KEEP_ROOT[@]}") ;;
		bwrap) cmd=("$BWRAP" "${SYS[@]}") ;;
		esac
		"${cmd[@]}" "${TASK[@]}" >>"$DIR/t-$v"
	done
done
base=$(median <"$DIR/t-none")
bmin=$(sort -n "$DIR/t-none" | head -1)
for v in "${variants[@]}"; do
	m=$(median <"$DIR/t-$v")
	n=$(sort -n "$DIR/t-$v" | head -1)
	awk -v v="$v" -v m="$m" -v b="$base" -v n="$n" -v bn="$bmin" 'BEGIN {
		printf "   %-9s median %7.1f ms (%.3fx)   best %7.1f ms (%.3fx)\n", v, m / 1000, m / b, n / 1000, n / bn }'
done
