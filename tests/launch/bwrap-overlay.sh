#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# Run as `bwrap`, agentjail adds a hardening overlay that /etc/agentjail/bwrap.ini
# configures: terminal injection, foreign syscall ABIs and io_uring refused;
# everything else (nested user namespaces included) as bwrap does it.  Each
# difference from stock bwrap is shown on and off.  The test build
# (agentjail-test) reads AGENTJAIL_TEST_BWRAP_INI instead of the real file.
. "${AJ_SRCDIR:?}/tests/lib.sh"

tests() {
	if [ -z "${AGENTJAIL_TEST:-}" ]; then
		tap_skip "bwrap overlay" "no agentjail-test build (AGENTJAIL_TEST)"
		return
	fi
	local t
	t=$(mktemp -d /tmp/aj-overlay.XXXXXX)
	chmod 755 "$t"
	cp "$AGENTJAIL_TEST" "$t/bwrap" # a copy: the nested case runs it from inside
	cp "$PROBE" "$t/aj-probe"
	local B=("$t/bwrap" "${BASE[@]}" --dev /dev --proc /proc --unshare-pid)
	local probes=(/probe tiocsti-pty : io-uring : userns : ptrace-child : syscall keyctl clone3 :
		personality 40000)
	export AGENTJAIL_TEST_BWRAP_INI="$t/absent.ini"

	run "${B[@]}" "${probes[@]}" : ids
	expect_eq "no bwrap.ini: TIOCSTI and io_uring refused; namespaces, ptrace, personality as bwrap" \
		"tiocsti-pty EPERM tiocsti-pty high EPERM io-uring ENOSYS userns ok ptrace-child ok syscall keyctl EINVAL syscall clone3 EINVAL personality 40000 ok" \
		"$(echo $(echo "$OUT" | grep -v -e '^Cap' -e '^uid' -e '^NoNew' -e '^Seccomp'))"
	expect_match "no bwrap.ini: a seccomp filter is installed" "Seccomp:[[:space:]]+2" "$OUT"

	printf '[bwrap]\nhardening = false\n' >"$t/off.ini"
	AGENTJAIL_TEST_BWRAP_INI="$t/off.ini" run "${B[@]}" /probe tiocsti-pty : io-uring : ids
	expect_match "hardening = false: exactly bwrap (no filter)" "Seccomp:[[:space:]]+0" "$OUT"
	expect_match "hardening = false: io_uring works" "io-uring ok" "$OUT"
	expect_no_match "hardening = false: TIOCSTI not refused by seccomp" "tiocsti-pty EPERM" "$OUT"

	printf '; only the terminal rule off\n[bwrap]\nterminal-injection = allow\n' >"$t/tty.ini"
	AGENTJAIL_TEST_BWRAP_INI="$t/tty.ini" run "${B[@]}" /probe tiocsti-pty : io-uring
	expect_no_match "terminal-injection = allow: TIOCSTI not refused by seccomp" "EPERM" "$OUT"
	expect_match "terminal-injection = allow: the other rules stay" "io-uring ENOSYS" "$OUT"

	printf '[bwrap]\nio-uring = allow\n' >"$t/uring.ini"
	AGENTJAIL_TEST_BWRAP_INI="$t/uring.ini" run "${B[@]}" /probe tiocsti-pty : io-uring
	expect_eq "io-uring = allow: only that rule off" \
		"tiocsti-pty EPERM tiocsti-pty high EPERM io-uring ok" "$(echo $OUT)"

	printf '[bwrap]\nterminal-injection = allow\nio-uring = allow\nforeign-abi = deny\n' >"$t/abi.ini"
	AGENTJAIL_TEST_BWRAP_INI="$t/abi.ini" run "${B[@]}" /probe ids : io-uring
	expect_match "foreign-abi = deny alone still installs the filter" \
		"Seccomp:[[:space:]]+2.*io-uring ok" "$(echo $OUT)"
	run "${B[@]}" /probe i386-getpid
	if AGENTJAIL_TEST_BWRAP_INI="$t/off.ini" "$t/bwrap" "${BASE[@]}" /probe i386-getpid |
		grep -q "i386-getpid ok"; then
		expect_eq "foreign ABIs refused" "i386-getpid ENOSYS" "$OUT"
	else
		tap_skip "foreign ABIs refused" "int 0x80 does not work here; test-seccomp checks the verdict"
	fi

	# bwrap's own --seccomp program stacks with the overlay: ERRNO(77) for getpid.
	/usr/bin/python3 -c 'import struct,sys
prog = [(0x20,0,0,0), (0x15,0,1,39), (0x06,0,0,0x00050000|77), (0x06,0,0,0x7fff0000)]
sys.stdout.buffer.write(b"".join(struct.pack("<HBBI", *i) for i in prog))' >"$t/getpid.bpf"
	run sh -c "exec 3<'$t/getpid.bpf'; exec $(printf '%q ' "${B[@]}") --seccomp 3 \
		/probe syscall getpid : tiocsti-pty"
	expect_eq "bwrap's --seccomp stacks with the overlay" \
		"syscall getpid E77 tiocsti-pty EPERM tiocsti-pty high EPERM" "$(echo $OUT)"

	# Nested user namespaces stay allowed: bwrap inside bwrap (as sandbox-runtime does).
	run "$t/bwrap" "${BASE[@]}" --tmpfs /tmp --ro-bind "$t" "$t" --proc /proc --unshare-pid \
		"$t/bwrap" "${BASE[@]:0:12}" --ro-bind "$t/aj-probe" /probe --unshare-user --unshare-pid \
		--unshare-net /probe pid
	expect_eq "a nested bwrap runs inside the overlay" "pid 2 ppid 1" "$OUT"

	# The configuration fails closed.
	printf '[bwrap]\nfrob = deny\n' >"$t/bad.ini"
	AGENTJAIL_TEST_BWRAP_INI="$t/bad.ini" expect_fail "an unknown key is an error with file:line" \
		"^bwrap: $t/bad.ini:2: unknown key 'frob'$" "${B[@]}" /probe exit 0
	printf '[bwrap]\nhardening = maybe\n' >"$t/bad2.ini"
	AGENTJAIL_TEST_BWRAP_INI="$t/bad2.ini" expect_fail "a bad value is an error" \
		"^bwrap: $t/bad2.ini:2: hardening takes true or false, not 'maybe'$" "${B[@]}" /probe exit 0
	chmod 666 "$t/off.ini"
	AGENTJAIL_TEST_BWRAP_INI="$t/off.ini" expect_fail "a bwrap.ini others can write is refused" \
		"^bwrap: '$t/off.ini' must belong to root \(or you\) and be writable by its owner only$" \
		"${B[@]}" /probe exit 0
	chmod 644 "$t/off.ini"

	# The installed program reads only the real file: the variable does nothing there.
	if [ ! -e /etc/agentjail/bwrap.ini ]; then
		mkdir "$t/real"
		ln -s "$AJ" "$t/real/bwrap"
		AGENTJAIL_TEST_BWRAP_INI="$t/off.ini" run "$t/real/bwrap" "${BASE[@]}" --proc /proc /probe ids
		expect_match "the installed program ignores AGENTJAIL_TEST_BWRAP_INI" \
			"Seccomp:[[:space:]]+2" "$OUT"
	else
		tap_skip "the installed program ignores AGENTJAIL_TEST_BWRAP_INI" \
			"/etc/agentjail/bwrap.ini exists here"
	fi
	unset AGENTJAIL_TEST_BWRAP_INI
	rm -rf "$t"
}

aj_main
