#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# Differential tests of the process-lifecycle options: --lock-file,
# --sync-fd, --block-fd, --seccomp, --add-seccomp-fd, --die-with-parent,
# --new-session; and agentjail's own behaviour where Debian's bwrap 0.8 has
# no such option (--argv0, --level-prefix, overlays: bwrap 0.9-0.11).
. "${AJ_SRCDIR:?}/tests/lib.sh"
. "$AJ_SRCDIR/tests/compat/common.sh"

# A classic BPF program: getcwd (79 on x86_64) fails with EPERM, all else runs.
bpf_deny_getcwd() {
	/usr/bin/python3 -c '
import struct, sys
ins = [(0x20, 0, 0, 0), (0x15, 0, 1, 79), (0x06, 0, 0, 0x00050001), (0x06, 0, 0, 0x7fff0000)]
sys.stdout.buffer.write(b"".join(struct.pack("<HBBI", *i) for i in ins))'
}

scenario_lock() {
	local tool=$1 f=$2
	"$tool" "${BASE[@]}" --ro-bind "$f" /lock --lock-file /lock /probe sleep 2 &
	sleep 0.7
	/usr/bin/python3 -c '
import fcntl, sys
f = open(sys.argv[1], "r+")
try:
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("not locked")
except OSError:
    print("locked while the sandbox runs")' "$f"
	wait
	/usr/bin/python3 -c '
import fcntl, sys
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("free afterwards")' "$f"
}

scenario_sync() {
	local tool=$1 start end
	start=$(date +%s%N)
	# The reader gets EOF only when the sandbox (and its sync fd) is gone.
	{ "$tool" "${BASE[@]}" --sync-fd 3 /probe sleep 1 3>&1 >/dev/null; } | cat
	end=$(date +%s%N)
	[ $(((end - start) / 1000000)) -ge 900 ] && echo "EOF after the sandbox ended"
	"$tool" "${BASE[@]}" --proc /proc --sync-fd 3 /probe fds 3>/dev/null
}

scenario_block() {
	local tool=$1
	# The writer notes the time just before the byte; the command its start.
	( sleep 1; date +%s%N >"$T/released"; echo go ) |
		"$tool" "${BASE[@]}" --block-fd 0 /usr/bin/date +%s%N >"$T/started"
	[ "$(cat "$T/started")" -ge "$(cat "$T/released")" ] && echo "started after the byte" ||
		echo "started before the byte"
	"$tool" "${BASE[@]}" --block-fd 0 /probe exit 4 </dev/null
	echo "EOF releases too: exit=$?"
}

scenario_session() {
	local tool=$1
	"$tool" "${BASE[@]}" --new-session /usr/bin/sh -c \
		'[ "$(cut -d" " -f6 /proc/self/stat)" = $$ ] && echo "session leader" || echo "not leader"' \
		2>&1
	"$tool" "${BASE[@]}" --proc /proc --new-session /usr/bin/sh -c 'cat /proc/self/stat | cut -d" " -f7'
}

scenario_die_with_parent() {
	local tool=$1 opt=$2 n
	# The launcher's parent shell is killed; with --die-with-parent the
	# sandboxed sleeper must die with it (the marker argument finds it).
	# The outer sh reaps the killed one; its "Killed" notice goes to /dev/null.
	sh -c "sh -c \"'$tool' ${BASE[*]} $opt /probe sleep 30 $$ & sleep 0.5; kill -9 \\\$\\\$\"; :" \
		2>/dev/null
	sleep 0.7
	n=$(pgrep -f -x "/probe sleep 30 $$" | wc -l)
	[ "$n" = 0 ] && echo "killed with its parent" || echo "survived"
	pkill -f -x "/probe sleep 30 $$"
	return 0
}


tests() {
	if [ -z "$BWRAP" ] || [ ! -x "$BWRAP" ]; then
		tap_skip "lifecycle differential tests" "no bwrap installed"
		return
	fi
	T=$(mktemp -d /var/tmp/aj-life.XXXXXX)
	chmod 755 "$T"
	compat_setup "$T"
	echo lock >"$T/lockfile"
	bpf_deny_getcwd >"$T/bpf"

	both "--lock-file holds a read lock while the sandbox runs" scenario_lock "$T/lockfile"
	both "--sync-fd stays open while the sandbox runs, not in the command" scenario_sync
	both "--block-fd waits for a byte" scenario_block
	both "--new-session" scenario_session
	both "--die-with-parent" scenario_die_with_parent --die-with-parent
	both "without --die-with-parent the sandbox outlives its parent" scenario_die_with_parent --new-session
	same_sh "--seccomp FD" "exec 3<'$T/bpf';" "${BASE[@]}" --seccomp 3 /probe cwd
	same_sh "--add-seccomp-fd, twice" "exec 3<'$T/bpf' 4<'$T/bpf';" "${BASE[@]}" --add-seccomp-fd 3 \
		--add-seccomp-fd 4 /probe cwd
	same_sh "--seccomp and --add-seccomp-fd together" "exec 3<'$T/bpf' 4<'$T/bpf';" "${BASE[@]}" \
		--add-seccomp-fd 3 --seccomp 4 /probe cwd
	same_sh "--seccomp with a truncated program" "exec 3<'$T/lockfile';" "${BASE[@]}" --seccomp 3 \
		/probe cwd
	same_sh "--seccomp applies with a pid-1 reaper" "exec 3<'$T/bpf';" "${BASE[@]}" --unshare-pid \
		--seccomp 3 /probe cwd
	same "--lock-file of a missing path" "${BASE[@]}" --lock-file /missing /probe exit 0
	same "--as-pid-1 with --lock-file" "${BASE[@]}" --unshare-pid --as-pid-1 --lock-file /x /probe
	same "last --chdir wins, with a warning" "${BASE[@]}" --chdir /usr --chdir /usr/bin /probe cwd
	same "last --hostname wins" "${BASE[@]}" --unshare-uts --hostname a --hostname b /probe hostname
	same "--chmod follows a symlink" "${BASE[@]}" --tmpfs /t --dir /t/d --symlink d /t/l --chmod 0700 /t/l \
		/probe stat /t/d /t/l
	same "--remount-ro of a bind" "${BASE[@]}" --proc /proc --bind "$T" /w --remount-ro /w /probe mounts : write /w/x
	same "--tmpfs over a read-only bind's mount point" "${BASE[@]}" --ro-bind "$T" /w --tmpfs /w /probe write /w/x
	run "$AJB" "${BASE[@]}" --mqueue /mq /probe exit 0
	if [ "$AJ_MODE" = user ]; then
		# bwrap names its internal path (/newroot/mq); agentjail names the sandbox's.
		expect_eq "differs: --mqueue without --unshare-ipc, unprivileged, names /mq" \
			"1 bwrap: Can't mount mqueue on /mq: Operation not permitted" "$RC $ERR"
	else
		expect_eq "--mqueue without --unshare-ipc as root" "0" "$RC"
	fi
	same "--ro-bind of a file onto a directory" "${BASE[@]}" --dir /d --ro-bind "$T/lockfile" /d /probe stat /d
	same "--bind of a directory onto a file" "${BASE[@]}" --ro-bind "$T/lockfile" /f --bind "$T" /f /probe stat /f
	same "--dir on an existing directory keeps its mode" "${BASE[@]}" --perms 0700 --dir /d --perms 0755 \
		--dir /d /probe stat /d
	same "--file onto an existing file keeps its mode" sh -c 'exec 3<"$0" 4<"$0"; shift; exec "$@"' \
		"$T/lockfile" "$AJB" "${BASE[@]}" --perms 0600 --file 3 /f --file 4 /f /probe stat /f
	# bwrap 0.8 says "File exists"; 0.9 and later (and agentjail) say why.
	expect_fail "differs from 0.8: --symlink onto an existing file (0.9+ wording)" \
		"^bwrap: Can't make symlink at /d: destination exists and is not a symlink$" \
		"$AJB" "${BASE[@]}" --dir /d --symlink x /d /probe exit 0
	same "--unshare-cgroup" "${BASE[@]}" --unshare-cgroup /probe exit 0
	same "--unshare-cgroup-try and --unshare-user-try" "${BASE[@]}" --unshare-cgroup-try --unshare-user-try \
		--proc /proc /probe ids

	# bwrap 0.9+ options that Debian's 0.8 lacks: agentjail's documented behaviour.
	run "$AJB" "${BASE[@]}" --argv0 custom /usr/bin/sh -c 'echo $0'
	expect_eq "--argv0 sets argv[0] (bwrap 0.9+)" custom "$OUT"
	expect_fail "--argv0 twice" "^bwrap: --argv0 used multiple times$" "$AJB" --argv0 a --argv0 b /probe
	run "$AJB" --level-prefix "${BASE[@]}" --chdir / --chdir / /probe exit 3
	expect_eq "--level-prefix marks warnings <4> (bwrap 0.11)" \
		"<4>bwrap: Only the last --chdir option will take effect 3" "$ERR $RC"
	expect_fail "--level-prefix marks errors <3>" "^<3>bwrap: Unknown option --nope$" \
		"$AJB" --level-prefix --nope
	mkdir -p "$T/lower1" "$T/lower2" "$T/upper" "$T/work"
	echo one >"$T/lower1/a"
	echo two >"$T/lower2/b"
	run "$AJB" "${BASE[@]}" --overlay-src "$T/lower1" --overlay-src "$T/lower2" --tmp-overlay /o \
		/usr/bin/sh -c 'cat /o/a /o/b; echo new >/o/c && cat /o/c'
	expect_eq "--tmp-overlay: layers merged, writes thrown away (bwrap 0.11)" "one two new" "$(echo $OUT)"
	expect_eq "--tmp-overlay left the host untouched" "" "$(ls "$T/lower1" "$T/lower2" | grep -x c)"
	run "$AJB" "${BASE[@]}" --overlay-src "$T/lower1" --overlay "$T/upper" "$T/work" /o \
		/usr/bin/sh -c 'echo kept >/o/new && cat /o/a'
	expect_eq "--overlay: writes go to RWSRC (bwrap 0.11)" "one kept" "$OUT $(cat "$T/upper/new" 2>&1)"
	run "$AJB" "${BASE[@]}" --overlay-src "$T/lower1" --overlay-src "$T/lower2" --ro-overlay /o \
		/usr/bin/sh -c 'cat /o/a /o/b; touch /o/x 2>/dev/null || echo read-only'
	expect_eq "--ro-overlay (bwrap 0.11)" "one two read-only" "$(echo $OUT)"
	expect_fail "--ro-overlay needs two sources" "^bwrap: --ro-overlay requires at least two --overlay-src$" \
		"$AJB" --overlay-src "$T/lower1" --ro-overlay /o /probe
	expect_fail "--overlay needs a source" "^bwrap: --overlay requires at least one --overlay-src$" \
		"$AJB" --overlay "$T/upper" "$T/work" /o /probe
	rm -rf "$T"
}

aj_main
