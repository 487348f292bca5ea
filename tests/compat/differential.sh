#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# Differential tests: the same command line through Debian's bwrap and
# through agentjail; what the command inside observes (normalised mountinfo,
# stat of paths, ids and capabilities, pid, hostname, environment, cwd, exit
# status, status JSON, error messages) must be identical.
#
# Where agentjail differs on purpose, the case says so and checks agentjail's
# documented behaviour instead (docs/bwrap-compat.md lists every difference).
#
# As `bwrap`, agentjail adds a hardening overlay (docs/WALLS.md, bwrap.ini).
# It is off for the exact comparison; the "overlay" variant (AJ_VARIANT)
# runs the same cases with it on, where the Seccomp line of /proc/self/status
# is the one thing allowed to differ.
. "${AJ_SRCDIR:?}/tests/lib.sh"

. "$AJ_SRCDIR/tests/compat/common.sh"

tests() {
	if [ -z "$BWRAP" ] || [ ! -x "$BWRAP" ]; then
		tap_skip "differential tests" "no bwrap installed (apt-get install bubblewrap)"
		return
	fi
	local t
	t=$(mktemp -d /var/tmp/aj-diff.XXXXXX)
	chmod 755 "$t"
	compat_setup "$t"
	echo "file-data" >"$t/data"
	mkdir -p "$t/dir/sub"
	echo x >"$t/dir/sub/f"
	local P=(--proc /proc)
	local U=()
	[ "$AJ_MODE" = root ] && U=(--unshare-user)

	# Visible tree and mount flags.
	same "minimal root" "${BASE[@]}" "${P[@]}" /probe mounts : stat / /usr /bin /lib /lib64
	same "ro-bind / /" --ro-bind / / --ro-bind "$PROBE" /probe "${P[@]}" /probe mounts
	same "bind / / then tmpfs /tmp" --bind / / --tmpfs /tmp --ro-bind "$PROBE" /probe "${P[@]}" \
		/probe mounts : stat /tmp
	same "dev-bind / /" --dev-bind / / --ro-bind "$PROBE" /probe "${P[@]}" /probe mounts
	same "--dev layout" "${BASE[@]}" "${P[@]}" --dev /dev /probe mounts : stat /dev /dev/null \
		/dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/stdin /dev/stdout \
		/dev/stderr /dev/fd /dev/core /dev/ptmx /dev/pts /dev/shm /dev/console /dev/mqueue
	same "--proc with a pid namespace" "${BASE[@]}" --unshare-pid "${P[@]}" /probe mounts : pid
	same "--proc without a pid namespace" "${BASE[@]}" "${P[@]}" /probe stat /proc/self
	same "--tmpfs and --dir parents" "${BASE[@]}" --tmpfs /a --dir /a/b/c /probe stat /a /a/b /a/b/c
	same "--perms 0700 --dir parents" "${BASE[@]}" --perms 0700 --dir /x/y /probe stat /x /x/y
	same "--perms 0750 --dir parents" "${BASE[@]}" --perms 0750 --dir /x/y /probe stat /x /x/y
	same "--perms 0705 --dir parents" "${BASE[@]}" --perms 0705 --dir /x/y /probe stat /x /x/y
	same "--perms on --tmpfs" "${BASE[@]}" --perms 0700 --tmpfs /t /probe stat /t
	same "--size and --perms on one --tmpfs" "${BASE[@]}" "${P[@]}" --size 1048576 --perms 01777 \
		--tmpfs /t /probe stat /t : mounts
	same "bind parents are 0700 (bwrap quirk)" "${BASE[@]}" --tmpfs /mnt --ro-bind /etc /mnt/a/b \
		/probe stat /mnt /mnt/a /mnt/a/b
	same "file mount point is created 0444" "${BASE[@]}" --tmpfs /m --ro-bind "$t/data" /m/x/f \
		/probe stat /m/x /m/x/f
	same "later operations shadow earlier ones" "${BASE[@]}" --tmpfs /mnt --dir /mnt/a --tmpfs /mnt \
		/probe stat /mnt/a
	same "relative symlink in a destination" "${BASE[@]}" --tmpfs /tmp --dir /tmp/dir \
		--symlink dir /tmp/link --ro-bind "$t/dir" /tmp/link/in /probe stat /tmp/dir/in/sub/f
	same "--symlink" "${BASE[@]}" --symlink /usr/bin /sbin --symlink ../x /a/b /probe stat /sbin /a/b /a
	same "--chmod" "${BASE[@]}" --tmpfs /t --dir /t/d --chmod 0711 /t/d /probe stat /t/d
	same "--remount-ro /" "${BASE[@]}" "${P[@]}" --remount-ro / /probe mounts : write /x
	same "--ro-bind-try of a missing source" "${BASE[@]}" --ro-bind-try /aj-no-such-src /x /probe stat /x
	same "--bind-try and --dev-bind-try of missing sources" "${BASE[@]}" --bind-try /aj-no-such-src /x \
		--dev-bind-try /aj-no-such-src2 /y /probe stat /x /y
	same "bound file is writable through --bind" "${BASE[@]}" --bind "$t/data" /data /probe write /data
	same "ro-bind file is not writable" "${BASE[@]}" --ro-bind "$t/data" /data /probe write /data : read /data
	same "/dev/null bound without --dev is unusable (nodev)" "${BASE[@]}" --ro-bind /dev/null /x \
		/probe read /x
	same "--dev-bind keeps devices usable" "${BASE[@]}" --dev-bind /dev/null /x /probe read /x : write /x
	same "--mqueue" "${BASE[@]}" "${P[@]}" --unshare-ipc --mqueue /mq /probe mounts : stat /mq
	same_sh "--file" "exec 3<'$t/data';" "${BASE[@]}" --file 3 /etc/f /probe stat /etc /etc/f : read /etc/f
	same_sh "--perms --file" "exec 3<'$t/data';" "${BASE[@]}" --perms 0640 --file 3 /etc/f /probe stat /etc /etc/f
	same_sh "--bind-data" "exec 3<'$t/data';" "${BASE[@]}" --bind-data 3 /a/f /probe stat /a /a/f : \
		read /a/f : write /a/f
	same_sh "--ro-bind-data" "exec 3<'$t/data';" "${BASE[@]}" --ro-bind-data 3 /a/f /probe stat /a/f : \
		write /a/f
	same_sh "--bind-fd" "exec 3<'$t/dir';" "${BASE[@]}" --bind-fd 3 /d /probe stat /d/sub/f : write /d/new
	same_sh "--ro-bind-fd" "exec 3<'$t/dir';" "${BASE[@]}" --ro-bind-fd 3 /d /probe stat /d/sub/f : write /d/new

	# Identity, namespaces, process model.
	same "ids and capabilities" "${BASE[@]}" "${P[@]}" /probe ids
	same "ids with --unshare-all" "${BASE[@]}" "${P[@]}" --unshare-all /probe ids : hostname
	same "--uid 0 --gid 0 in a user namespace" "${BASE[@]}" "${P[@]}" "${U[@]}" --uid 0 --gid 0 /probe ids
	same "--uid 1234 --gid 5678" "${BASE[@]}" "${P[@]}" --unshare-user --uid 1234 --gid 5678 /probe ids
	same "--uid with --dev (nested user namespace)" "${BASE[@]}" "${P[@]}" --dev /dev --unshare-user \
		--uid 1234 /probe ids : stat /dev/pts
	same "--hostname" "${BASE[@]}" --unshare-uts --hostname agent /probe hostname
	same "pid 2 under a reaper" "${BASE[@]}" --unshare-pid /probe pid
	same "--as-pid-1" "${BASE[@]}" --unshare-pid --as-pid-1 /probe pid
	same "--unshare-net: loopback only" "${BASE[@]}" --unshare-net /probe connect 127.0.0.1 9
	same "--share-net after --unshare-all" "${BASE[@]}" --unshare-all --share-net /probe ns
	same "--cap-add in a user namespace" "${BASE[@]}" "${P[@]}" --unshare-user --cap-add CAP_NET_ADMIN \
		/probe ids
	same "--die-with-parent and --new-session" "${BASE[@]}" --die-with-parent --new-session /probe exit 0

	# Environment and cwd.
	same "environment passes through; PWD set" env -i A=1 B=2 "${BASE[@]}" /probe env
	same "--setenv/--unsetenv" "${BASE[@]}" --setenv NEW val --unsetenv HOME /probe env
	same "--clearenv in order" "${BASE[@]}" --setenv A 1 --clearenv --setenv B 2 /probe env
	same "--setenv PATH changes the command lookup" "${BASE[@]}" --setenv PATH /nonexistent probe
	same "--chdir" "${BASE[@]}" --chdir /usr/bin /probe cwd
	same "cwd falls back to \$HOME" env HOME=/usr "${BASE[@]}" /probe cwd

	# Exit status.
	same "exit status" "${BASE[@]}" /probe exit 42
	same "killed by a signal" "${BASE[@]}" /probe kill 15
	same "killed in a pid namespace" "${BASE[@]}" --unshare-pid /probe kill 9

	# Status JSON (numbers normalised).
	same_sh "--info-fd" "exec 3>'$t/info';" "${BASE[@]}" --unshare-all --info-fd 3 /probe exit 0
	expect_match "--info-fd content matches bwrap's keys" '"ipc-namespace": [0-9]+' "$(cat "$t/info")"
	same_sh "--json-status-fd" "exec 4>&1;" "${BASE[@]}" --unshare-pid --unshare-net --json-status-fd 4 \
		/probe exit 5

	# Errors: same message, same status.
	same "unknown option" --no-such-option /probe
	same "missing arguments" --bind /usr
	same "missing one argument" --remount-ro
	same "invalid uid" --uid 1x /probe
	same "invalid fd" --info-fd -1 /probe
	same "source path missing" --bind /aj-no-such-src /x /probe
	same "--perms twice" --perms 0700 --perms 0700 --dir /x /probe
	same "--perms then not a file op" --perms 0700 --chdir / --dir /x /probe
	same "--size then --dir" --size 10 --dir /x /probe
	same "--size 0" --size 0 --tmpfs /x /probe
	same "--as-pid-1 without --unshare-pid" --as-pid-1 "${BASE[@]}" /probe
	same "--hostname without --unshare-uts" --hostname x "${BASE[@]}" /probe
	same "--chdir to a missing directory" "${BASE[@]}" --chdir /missing /probe
	same "exec of a missing command" "${BASE[@]}" /missing
	same "mkdir under a read-only bind" "${BASE[@]}" --tmpfs /usr/x /probe
	same "a dangling --perms is ignored" "${BASE[@]}" --perms 0700 /probe exit 0
	same "unknown cap" --cap-add CAP_FOO "${BASE[@]}" /probe
	same "--args" sh -c 'printf -- "--dir\0/from-args\0" | exec "$0" --args 0 "$@"' "${BASE[@]}" \
		/probe stat /from-args

	# Deliberate differences (docs/bwrap-compat.md): bwrap 0.8 refuses to
	# make the same symlink twice; 0.9 and later (and agentjail) accept it.
	run "$AJB" "${BASE[@]}" --symlink a /l --symlink a /l /probe stat /l
	expect_eq "differs from 0.8: the same --symlink twice is accepted (0.9+)" "/l link 0777 $(id -u):$(id -g) -> a" \
		"$(echo "$OUT" | sed 's/ [0-9]*:[0-9]* / '"$(id -u):$(id -g)"' /')"
	rm -rf "$t"
}

aj_main
