#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# Every setup failure stops the launch before the command runs, with exit
# status 1 and one line "agentjail: <operation> <path>: <reason>".
. "${AJ_SRCDIR:?}/tests/lib.sh"

tests() {
	local t
	t=$(mktemp -d)
	chmod 755 "$t"

	expect_fail "--bind source that does not exist" \
		"^agentjail: Can't find source path /nonexistent-src: No such file or directory$" \
		"$AJ" "${BASE[@]}" --bind /nonexistent-src /x /probe exit 0
	expect_fail "destination under a read-only bind" \
		"^agentjail: Can't mkdir /usr/agentjail-test: Read-only file system$" \
		"$AJ" "${BASE[@]}" --tmpfs /usr/agentjail-test /probe exit 0
	expect_fail "unknown option" "^agentjail: Unknown option --frobnicate$" \
		"$AJ" --frobnicate /probe
	expect_fail "missing argument" "^agentjail: --bind takes two arguments$" "$AJ" --bind /usr
	expect_fail "missing argument (one)" "^agentjail: --chdir takes one argument$" "$AJ" --chdir
	expect_fail "bad number for --uid" "^agentjail: Invalid uid: 12x$" "$AJ" --uid 12x /probe
	expect_fail "negative --uid" "^agentjail: Invalid uid: -1$" "$AJ" --uid -1 /probe
	expect_fail "--uid out of range" "^agentjail: Invalid uid: 4294967295$" "$AJ" --uid 4294967295 /probe
	expect_fail "an fd that is not open" "^agentjail: --info-fd 77: fd 77 is not open: Bad file descriptor$" \
		"$AJ" "${BASE[@]}" --info-fd 77 /probe exit 0
	expect_fail "a bad fd number" "^agentjail: Invalid fd: 3x$" "$AJ" --sync-fd 3x /probe
	expect_fail "--chdir to a missing directory" \
		"^agentjail: Can't chdir to /missing-dir: No such file or directory$" \
		"$AJ" "${BASE[@]}" --chdir /missing-dir /probe exit 0
	expect_fail "command not found (exit 1, as bwrap)" \
		"^agentjail: execvp /no-such-command: No such file or directory$" \
		"$AJ" "${BASE[@]}" /no-such-command
	expect_fail "command found nowhere on PATH" "^agentjail: execvp no-such-tool: No such file or directory$" \
		"$AJ" "${BASE[@]}" no-such-tool
	expect_fail "no command" "^usage: .*agentjail \[OPTIONS\.\.\.\] \[--\] COMMAND" "$AJ" --unshare-net
	expect_fail "--perms followed by an option that creates nothing" \
		"^agentjail: --perms must be followed by an option that creates a file$" \
		"$AJ" --perms 0700 --chdir / --dir /x /probe
	expect_fail "--size before something else than --tmpfs" \
		"^agentjail: --size must be followed by --tmpfs$" "$AJ" --size 100 --dir /x /probe
	expect_fail "--size 0" "^agentjail: --size takes a non-zero number of bytes$" \
		"$AJ" --size 0 --tmpfs /x /probe
	expect_fail "--as-pid-1 without --unshare-pid" \
		"^agentjail: Specifying --as-pid-1 requires --unshare-pid$" "$AJ" --as-pid-1 /probe
	expect_fail "--hostname without --unshare-uts" \
		"^agentjail: Specifying --hostname requires --unshare-uts$" "$AJ" --hostname x /probe
	expect_fail "--symlink over a different link" \
		"^agentjail: Can't make symlink at /l: existing destination is a$" \
		"$AJ" "${BASE[@]}" --symlink a /l --symlink b /l /probe exit 0
	expect_fail "--remount-ro of something that is not a mount point" \
		"^agentjail: Can't remount readonly on /d: not a mount point$" \
		"$AJ" "${BASE[@]}" --dir /d --remount-ro /d /probe exit 0
	expect_fail "--chmod of a missing path" \
		"^agentjail: Can't chmod 0700 /missing: No such file or directory$" \
		"$AJ" "${BASE[@]}" --chmod 0700 /missing /probe exit 0
	expect_fail "--chmod with a bad mode" "^agentjail: --chmod takes an octal argument <= 07777$" \
		"$AJ" --chmod 8 /x /probe
	expect_fail "a dangling --overlay-src" \
		"^agentjail: --overlay-src must be followed by another --overlay-src" \
		"$AJ" --overlay-src /usr /probe
	expect_fail "--cap-add of an unknown capability" "^agentjail: unknown cap: CAP_NOPE$" \
		"$AJ" --cap-add CAP_NOPE /probe

	# Nothing half-built runs: the command never starts after a failure.
	run "$AJ" "${BASE[@]}" --bind "$t" /w --bind /aj-no-such-src /late /usr/bin/touch /w/ran
	expect_eq "a late failure stops the launch before the command" "1 absent" \
		"$RC $([ -e "$t/ran" ] && echo present || echo absent)"

	# The same errors under the bwrap name say "bwrap: ".
	ln -s "$AJ" "$t/bwrap"
	expect_fail "as bwrap, messages start with bwrap:" \
		"^bwrap: Can't find source path /nonexistent-src: No such file or directory$" \
		"$t/bwrap" --bind /nonexistent-src /x /probe
	expect_fail "as bwrap, agentjail's own options are unknown" "^bwrap: Unknown option --keep-fd$" \
		"$t/bwrap" --keep-fd 1 /probe

	# A dangling --perms just before the command is ignored, as bwrap does.
	run "$AJ" "${BASE[@]}" --perms 0700 /probe exit 0
	expect_eq "a dangling --perms before the command is ignored" 0 "$RC"

	# When the kernel refuses a user namespace, say why.  Simulated with a
	# namespace whose user.max_user_namespaces is 0.
	if unshare --user --map-root-user true 2>/dev/null; then
		run unshare --user --map-root-user sh -c \
			"echo 0 >/proc/sys/user/max_user_namespaces && exec '$AJ' --unshare-user ${BASE[*]} /probe exit 0"
		expect_match "userns refused: names user.max_user_namespaces = 0 and the fix" \
			"^agentjail: Creating a new user namespace failed: user namespaces are disabled \(user.max_user_namespaces = 0\). Raise it" \
			"$ERR"
		expect_eq "userns refused: exit 1" 1 "$RC"
		run unshare --user --map-root-user sh -c \
			"echo 1 >/proc/sys/user/max_user_namespaces && exec unshare --user --map-user=1000 --map-group=1000 '$AJ' ${BASE[*]} /probe exit 0"
		expect_match "userns limit reached (unprivileged caller): says which limit" \
			"^agentjail: Creating new namespace failed: nesting depth or /proc/sys/user/max_\*_namespaces exceeded" \
			"$ERR"
	else
		tap_skip "userns refused: names the sysctl" "unshare --user not available here"
		tap_skip "userns refused: exit 1" "unshare --user not available here"
		tap_skip "userns limit reached" "unshare --user not available here"
	fi
	rm -rf "$t"
}

aj_main
