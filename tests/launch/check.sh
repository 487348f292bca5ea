#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# agentjail --check: the battery passes in a hardened sandbox (and in every
# shipped profile), reports what a plan allows on purpose, and fails, with
# the holes named, where a wall is missing.
. "${AJ_SRCDIR:?}/tests/lib.sh"

tests() {
	local t proj sys
	t=$(mktemp -d /var/tmp/aj-check.XXXXXX)
	chmod 755 "$t"
	mkdir -p "$t/home" "$t/proj/.git/hooks"
	chmod 755 "$t/home" "$t/proj"
	echo "API_KEY=x" >"$t/proj/.env"
	proj=(--bind "$t/proj" "$t/proj" --ro-bind "$t/proj/.git/hooks" "$t/proj/.git/hooks"
	      --ro-bind /dev/null "$t/proj/.env")
	sys=(--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64
	     --proc /proc --dev /dev --tmpfs /tmp --unshare-all --die-with-parent)
	export HOME="$t/home"

	run "$AJ" --check --hardened "${sys[@]}" "${proj[@]}"
	expect_match "hardened: every probe held (exit 0)" \
		"^0 agentjail --check: 2[0-9] held, 0 allowed by the plan, 0 got through, 0 untested$" \
		"$RC $(echo "$OUT" | tail -1)"
	expect_match "the protected paths were tried" \
		"held +write a protected path: $t/proj/.git/hooks .*held +write a protected path: $t/proj/.env" \
		"$(echo $OUT)"
	expect_no_match "nothing is left behind in HOME" "agentjail-check" "$(ls -A "$t/home")"

	run "$AJ" --check --hardened "${sys[@]}" --share-net "${proj[@]}"
	expect_match "the host network is reported as the plan's choice, not a failure" \
		"allowed +connect to a port on the host's loopback \(ok\): the plan shares the host network" "$OUT"
	expect_eq "... and the check still passes" 0 "$RC"

	run "$AJ" --check "${sys[@]}" "${proj[@]}"
	expect_eq "bwrap-style: the check fails" 1 "$RC"
	expect_match "bwrap-style: ptrace and TIOCSTI got through" \
		"OPEN +ptrace a process .*OPEN +inject input into the terminal" "$(echo $OUT)"

	run "$AJ" --check --hardened --landlock off "${sys[@]}" --share-net "${proj[@]}"
	expect_match "with the host network and no Landlock, host abstract sockets are reachable" \
		"OPEN +connect to a host unix socket \(abstract\)" "$OUT"
	expect_eq "... which fails the check" 1 "$RC"

	run "$AJ" --check --hardened "${sys[@]}" --ro-bind "$t/home" "$t/home"
	expect_match "a plan that shows HOME leaks the decoy secret" "OPEN +read a decoy secret" "$OUT"
	expect_eq "... which fails the check" 1 "$RC"

	expect_fail "--check takes no command" "^agentjail: --check runs its own probes: no COMMAND \('ls'\)$" \
		"$AJ" --check --hardened "${sys[@]}" ls

	# Every shipped profile (once profiles exist and --profile is known).
	local p name n=0
	for p in "$AJ_SRCDIR"/profiles/*.ini; do
		[ -e "$p" ] || continue
		name=$(basename "$p" .ini)
		run env -C "$t/proj" "$AJ" --check --profile "$p"
		if echo "$ERR" | grep -q "Unknown option --profile"; then
			tap_skip "profile $name passes --check" "--profile is not available in this build"
			continue
		fi
		n=$((n + 1))
		expect_eq "profile $name passes --check" "0 0 got through, 0 untested" \
			"$RC $(echo "$OUT" | tail -1 | sed 's/.* allowed by the plan, //')"
	done
	[ "$n" = 0 ] && echo "# no shipped profile checked"
	rm -rf "$t"
}

aj_main
