#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# Signals sent to agentjail reach the command (bwrap does not forward them;
# agentjail does, so `kill` on the launcher stops what it launched).
. "${AJ_SRCDIR:?}/tests/lib.sh"

# forward NAME SIGNAL EXTRA_ARGS...: start a waiting probe, signal the
# launcher, expect the probe to report that signal.
forward() {
	local name=$1 sig=$2 t pid i rc
	shift 2
	t=$(mktemp)
	"$AJ" "${BASE[@]}" "$@" /probe wait-signal >"$t" 2>&1 &
	pid=$!
	for i in $(seq 100); do
		grep -q ready "$t" && break
		sleep 0.05
	done
	kill -s "$sig" "$pid"
	wait "$pid"
	rc=$?
	expect_eq "$name" "ready signal $(kill -l "$sig" >/dev/null && echo $(( $(kill -l "$sig") ))) rc=0" \
		"$(tr '\n' ' ' <"$t")rc=$rc"
	rm -f "$t"
}

tests() {
	local s
	for s in USR1 TERM HUP; do
		forward "SIG$s reaches the command (no pid namespace)" "$s"
	done
	for s in INT USR2 QUIT WINCH; do
		forward "SIG$s reaches the command through the pid-1 reaper" "$s" --unshare-pid
	done
	forward "SIGTERM reaches the command with --as-pid-1" TERM --unshare-pid --as-pid-1

	# The launcher returns as soon as the command ends, even if a child of
	# the command lives on in the pid namespace (bwrap's model).
	local start end
	start=$(date +%s)
	run timeout 20 "$AJ" "${BASE[@]}" --unshare-pid /usr/bin/sh -c '/probe sleep 30 & exit 4'
	end=$(date +%s)
	expect_eq "returns the command's status when it exits, not its orphans'" "4 fast" \
		"$RC $( [ $((end - start)) -lt 10 ] && echo fast || echo slow)"
}

aj_main
