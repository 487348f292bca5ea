#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# Differential tests of the namespace options that take fds or nest:
# --userns, --pidns, --userns2, --disable-userns, --assert-userns-disabled,
# --userns-block-fd.  Each scenario runs with bwrap and with agentjail.
. "${AJ_SRCDIR:?}/tests/lib.sh"
. "$AJ_SRCDIR/tests/compat/common.sh"

P=(--proc /proc)

# sandbox_start TOOL ARGS...: TOOL BASE ARGS --info-fd 3 /probe sleep 60 in the
# background; PID is its child-pid, read the moment --info-fd gives it.
sandbox_start() {
	local tool=$1 fifo
	shift
	fifo=$(mktemp -u /tmp/aj-info.XXXXXX)
	mkfifo "$fifo"
	"$tool" "${BASE[@]}" "$@" --info-fd 3 /probe sleep 60 3>"$fifo" &
	PID=$(sed -n 's/.*"child-pid": \([0-9]*\).*/\1/p' <"$fifo")
	rm -f "$fifo"
}

# sandbox_end: kill its pid 1 (the whole sandbox goes) and reap the launcher.
sandbox_end() {
	kill -KILL "$PID" 2>/dev/null
	wait
}

# scenario_join TOOL: a first sandbox keeps running; a second joins its user
# and pid namespaces through /proc/<child-pid>/ns/*.
scenario_join() {
	local tool=$1
	sandbox_start "$tool" "${P[@]}" --unshare-user --unshare-pid
	"$tool" "${BASE[@]}" "${P[@]}" --userns 5 --pidns 6 /probe pid : ids \
		5<"/proc/$PID/ns/user" 6<"/proc/$PID/ns/pid" 2>&1 | grep -v '^Cap'
	echo "exit=${PIPESTATUS[0]}"
	"$tool" "${BASE[@]}" --userns 5 --uid 4321 /probe ids 5<"/proc/$PID/ns/user" 2>&1 | head -1
	"$tool" "${BASE[@]}" --userns 5 --unshare-user /probe ids 5<"/proc/$PID/ns/user" 2>&1 | head -1
	sandbox_end
}

scenario_userns2() {
	local tool=$1
	sandbox_start "$tool" --unshare-user
	# The current namespace is not a descendant of the sandbox's: refused.
	"$tool" "${BASE[@]}" --userns2 5 /probe exit 0 5<"/proc/$PID/ns/user" 2>&1
	echo "exit=$?"
	sandbox_end
}

# join_at_once N: how many of N runs refused to open /proc/<child-pid>/ns/user
# the moment --info-fd named the pid (bwrap's callers do exactly that).
join_at_once() {
	local n=$1 bad=0 i
	for ((i = 0; i < n; i++)); do
		sandbox_start "$AJB" --unshare-user --unshare-pid
		{ exec 5<"/proc/$PID/ns/user"; } 2>/dev/null || bad=$((bad + 1))
		exec 5<&-
		sandbox_end
	done
	echo "$bad"
}

# pid1_program: the program the sandbox's pid 1 runs, seen from outside.
pid1_program() {
	local exe
	sandbox_start "$AJB" --unshare-user --unshare-pid
	exe=$(readlink "/proc/$PID/exe")
	sandbox_end
	basename "$exe"
}

tests() {
	if [ -z "$BWRAP" ] || [ ! -x "$BWRAP" ]; then
		tap_skip "namespace differential tests" "no bwrap installed"
		return
	fi
	local t
	t=$(mktemp -d /var/tmp/aj-ns.XXXXXX)
	chmod 755 "$t"
	compat_setup "$t"

	same "--disable-userns: nested user namespaces refused" "${BASE[@]}" "${P[@]}" --unshare-user \
		--disable-userns /probe ids
	run "$AJB" "${BASE[@]}" --unshare-user --disable-userns /usr/bin/unshare -U /probe exit 0
	expect_match "--disable-userns: unshare -U inside fails" "No space left on device" "$ERR"
	expect_eq "--disable-userns: unshare -U inside fails (status)" 1 "$RC"
	same "--disable-userns with --dev" "${BASE[@]}" "${P[@]}" --dev /dev --unshare-user \
		--disable-userns /probe ids : stat /dev/pts
	same "--assert-userns-disabled when not disabled" "${BASE[@]}" --unshare-user \
		--assert-userns-disabled /probe exit 0
	same "--disable-userns and --assert-userns-disabled" "${BASE[@]}" --unshare-user \
		--disable-userns --assert-userns-disabled /probe exit 0
	same "--disable-userns needs an explicit --unshare-user" "${BASE[@]}" --disable-userns /probe exit 0
	same "--userns-block-fd needs --info-fd" "${BASE[@]}" --unshare-user --userns-block-fd 0 /probe
	same "--userns-block-fd needs --unshare-user" "${BASE[@]}" --userns-block-fd 0 --info-fd 1 /probe
	same "--userns with --unshare-user" "${BASE[@]}" --userns 0 --unshare-user /probe
	both "--userns and --pidns join a running sandbox" scenario_join
	expect_eq "child-pid's namespaces can be joined as soon as --info-fd names it" 0 \
		"$(join_at_once 20)"
	# Kernels without the Landlock fence (reaper.c) take the executed agentjail-reaper.
	if [ -n "${AGENTJAIL_TEST:-}" ]; then
		expect_match "fenced: pid 1 is the forked launcher" "^agentjail" "$(pid1_program)"
		expect_eq "without the fence: pid 1 executes agentjail-reaper" agentjail-reaper \
			"$(AGENTJAIL_TEST_NO_FENCE=1 pid1_program)"
		expect_eq "... and is joinable as soon as --info-fd names it" 0 \
			"$(AGENTJAIL_TEST_NO_FENCE=1 join_at_once 20)"
	else
		tap_skip "the executed reaper" "no agentjail-test build (AGENTJAIL_TEST)"
	fi
	both "--userns2 into a namespace that is not a descendant" scenario_userns2
	local b a
	b=$(/usr/bin/python3 "$AJ_SRCDIR/tests/compat/userns-block.py" "$BWRAP" "$PROBE" 2>&1)
	a=$(/usr/bin/python3 "$AJ_SRCDIR/tests/compat/userns-block.py" "$AJB" "$PROBE" 2>&1)
	expect_eq "same: --userns-block-fd: the caller writes the maps, then releases" "$b" "$a"
	expect_match "--userns-block-fd: the command ran with the caller's map" "exit=0" "$a"
	rm -rf "$t"
}

aj_main
