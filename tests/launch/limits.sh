#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# Resource limits, enforced for real: a fork bomb stops at the pid limit, an
# allocation loop fails at the memory limit, the host stays usable.  Every
# sandbox runs under `timeout`, and every loop in limits-helper.py has its own
# cap, so a limit that does not work fails the test without hurting the host.
. "${AJ_SRCDIR:?}/tests/lib.sh"

HELPER_DIR="$AJ_SRCDIR/tests/launch"
L=("${BASE[@]}" --proc /proc --dev /dev --unshare-pid --ro-bind "$HELPER_DIR" /t)
PY=(/usr/bin/python3 /t/limits-helper.py)

# aj ARGS...: run agentjail with a time limit (sets RC, OUT, ERR).
aj() {
	run timeout 60 "$AJ" "$@"
}

# Is a pid limit enforceable here for this user (root needs cgroups or Linux >= 6.14)?
pids_ok() {
	run timeout 20 "$AJ" "${L[@]}" --limit-pids 100 true
	[ "$RC" = 0 ]
}

tests() {
	local t n
	t=$(mktemp -d /var/tmp/aj-limits.XXXXXX)
	chmod 755 "$t"

	# --- processes -----------------------------------------------------------
	if pids_ok; then
		aj "${L[@]}" --limit-pids 32 "${PY[@]}" fork-flat 1000
		n=$(printf '%s\n' "$OUT" | sed -n 's/^children=\([0-9]*\) error=EAGAIN.*/\1/p')
		echo "# pids=32: $OUT"
		if [ "$(id -u)" = 0 ]; then
			# pid_max of the pid namespace: never fewer than 32 tasks, at most 32 + 299.
			expect_match "pids=32: fork fails with EAGAIN (root: 30..329 children)" \
				'^(3[0-9]|[4-9][0-9]|[12][0-9][0-9]|3[01][0-9]|32[0-9])$' "${n:-none}"
		else
			# RLIMIT_NPROC in the sandbox's user namespace: the reaper, python and 30 children.
			expect_eq "pids=32: fork fails with EAGAIN after exactly 30 children" 30 "${n:-none}"
		fi
		aj "${L[@]}" --limit-pids 64 "${PY[@]}" fork-bomb 8
		echo "# fork bomb, pids=64: $OUT"
		n=$(printf '%s\n' "$OUT" | sed -n 's/^alive=\([0-9]*\) refused=yes.*/\1/p')
		if [ "$(id -u)" = 0 ]; then
			expect_match "a fork bomb stops at the pid limit (root: at most 64 + 299 tasks)" \
				'^([0-9]|[0-9][0-9]|[12][0-9][0-9]|3[0-5][0-9]|36[0-3])$' "${n:-none}"
		else
			expect_match "a fork bomb stops at the pid limit (64 tasks at most)" \
				'^([0-9]|[1-5][0-9]|6[0-4])$' "${n:-none}"
		fi
		aj "${L[@]}" "${PY[@]}" fork-bomb 6
		expect_match "control: without a limit a smaller bomb has all its 127 (+ 2) tasks" \
			'^alive=129 refused=no' "$OUT"

		# The host stays usable while a sandbox sits at its limit.
		timeout 60 "$AJ" "${L[@]}" --limit-pids 32 "${PY[@]}" fork-flat 1000 4 \
			>"$t/held" 2>/dev/null &
		local bg=$! start end ok=0
		# Probe once the sandbox sits at its limit (it then holds it for 4 s).
		for n in $(seq 200); do
			grep -q '^children=' "$t/held" 2>/dev/null && break
			sleep 0.1
		done
		start=$(date +%s%N)
		for n in $(seq 20); do /bin/true && ok=$((ok + 1)); done
		end=$(date +%s%N)
		wait "$bg"
		echo "# 20 processes started outside in $(((end - start) / 1000000)) ms during the bomb"
		expect_eq "the host (same user) can still start processes during the bomb" 20 "$ok"
		expect_eq "... and quickly (under 3 s for 20)" yes \
			"$([ $((end - start)) -lt 3000000000 ] && echo yes)"
		expect_match "... while the sandbox held its limit" '^children=[0-9]+ error=EAGAIN' \
			"$(cat "$t/held")"
	else
		tap_skip "pids limits" "not enforceable for this user here: $ERR"
		tap_skip "fork bomb" "as above"
		tap_skip "fork bomb control" "as above"
		tap_skip "host responsive" "as above"
		tap_skip "host responsive (time)" "as above"
		tap_skip "host responsive (held)" "as above"
	fi

	# --- a delegated cgroup, where there is one --------------------------------
	aj "${L[@]}" --limit-memory 64M --limit-pids 100 /bin/sh -c \
		'cat /proc/self/cgroup'
	if printf '%s\n' "$ERR" | grep -q '^agentjail: limits: .* in cgroup '; then
		local cg
		cg=$(printf '%s\n' "$ERR" | sed -n 's/^agentjail: limits: .* in cgroup //p')
		expect_match "cgroup: the sandbox ran in the leaf of its own group" \
			"^0::.*/agentjail-[0-9]+/sandbox$" "$(printf '%s\n' "$OUT" | grep '^0::')"
		expect_eq "cgroup: removed afterwards" absent "$([ -e "$cg" ] && echo present || echo absent)"
	else
		tap_skip "cgroup: the sandbox ran in the leaf of its own group" "no delegated cgroup v2 here"
		tap_skip "cgroup: removed afterwards" "no delegated cgroup v2 here"
	fi

	# --- memory --------------------------------------------------------------
	aj "${L[@]}" --limit-memory 128M "${PY[@]}" alloc 16 1024
	echo "# memory=128M: $OUT"
	n=$(printf '%s\n' "$OUT" | sed -n 's/^MemoryError after \([0-9]*\) MiB$/\1/p')
	expect_match "memory=128M: an allocation loop fails below 128 MiB" '^([0-9]|[0-9][0-9]|1[01][0-9]|12[0-7])$' \
		"${n:-none}"
	aj "${L[@]}" "${PY[@]}" alloc 16 256
	expect_eq "control: without the limit 256 MiB are allocated" "no limit up to 256 MiB" "$OUT"
	aj "${L[@]}" --limit-memory 128M --limit-memory unlimited "${PY[@]}" alloc 16 256
	expect_eq "a later 'unlimited' lifts the limit" "no limit up to 256 MiB" "$OUT"

	# --- open files, CPU time, file size -------------------------------------
	aj "${L[@]}" --limit-nofile 40 "${PY[@]}" nofile 1000
	expect_eq "nofile=40: open fails with EMFILE at 40 files" "EMFILE with 40 open" "$OUT"
	local s0 s1
	s0=$(date +%s%N)
	aj "${L[@]}" --limit-cpu 1s "${PY[@]}" spin
	s1=$(date +%s%N)
	expect_eq "cpu=1s: a busy loop is killed by SIGXCPU (exit 152)" 152 "$RC"
	expect_eq "... after about a second, not the 30 s the loop would spin" yes \
		"$([ $((s1 - s0)) -lt 10000000000 ] && echo yes)"
	aj "${L[@]}" --tmpfs /tmp --limit-fsize 1M "${PY[@]}" write /tmp/f 2097152
	expect_eq "fsize=1M: writing 2 MiB fails with EFBIG" EFBIG "$OUT"
	aj "${L[@]}" --tmpfs /tmp --limit-fsize 1M "${PY[@]}" write /tmp/f 524288
	expect_eq "fsize=1M: writing 512 KiB works" written "$OUT"

	# --- core dumps ----------------------------------------------------------
	# AddressSanitizer zeroes its own soft core limit at start unless told not to.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}disable_coredump=0"
	run bash -c "ulimit -S -c 1000; exec timeout 60 '$AJ' ${L[*]} /usr/bin/python3 /t/limits-helper.py rlimits"
	expect_match "core dumps are off by default" '^RLIMIT_CORE 0 0$' "$OUT"
	run bash -c "ulimit -S -c 1000; exec timeout 60 '$AJ' ${L[*]} --limit-core unlimited /usr/bin/python3 /t/limits-helper.py rlimits"
	expect_match "--limit-core unlimited keeps the caller's setting" '^RLIMIT_CORE 1024000 ' "$OUT"
	aj "${L[@]}" --limit-core 512K --limit-nofile 50 --limit-memory 1G --limit-fsize 8M \
		--limit-cpu 2m "${PY[@]}" rlimits
	expect_eq "soft and hard rlimits are set alike (CPU: hard one second later)" \
		"RLIMIT_CORE 524288 524288|RLIMIT_NOFILE 50 50|RLIMIT_DATA 1073741824 1073741824|RLIMIT_CPU 120 121|RLIMIT_FSIZE 8388608 8388608" \
		"$(printf '%s\n' "$OUT" | grep -v NPROC | paste -sd'|')"
	ln -sf "$AJ" "$t/bwrap"
	run bash -c "ulimit -S -c 1000; exec timeout 60 '$t/bwrap' ${L[*]} /usr/bin/python3 /t/limits-helper.py rlimits"
	expect_match "as bwrap, core dumps are left as they were" '^RLIMIT_CORE 1024000 ' "$OUT"
	expect_fail "as bwrap, --limit-* options are unknown" "^bwrap: Unknown option --limit-memory$" \
		"$t/bwrap" --limit-memory 1G true

	# --- tmpfs size ----------------------------------------------------------
	aj "${L[@]}" --limit-tmp-size 1M --tmpfs /tmp "${PY[@]}" write /tmp/f 2097152
	expect_eq "tmp-size=1M: a 2 MiB write fills the sandbox's /tmp (ENOSPC)" ENOSPC "$OUT"
	aj "${L[@]}" --limit-tmp-size 1M --size 4194304 --tmpfs /tmp "${PY[@]}" write /tmp/f 2097152
	expect_eq "tmp-size: an explicit --size wins" written "$OUT"

	# --- refusals ------------------------------------------------------------
	expect_fail "a size with an unknown unit" \
		"^agentjail: --limit-memory: '8X' is not a size such as 512M or 8G, or unlimited$" \
		"$AJ" --limit-memory 8X true
	expect_fail "zero processes" "^agentjail: --limit-pids: '0' is out of range \(1 to 4194304\)$" \
		"$AJ" --limit-pids 0 true
	expect_fail "a fractional CPU time" \
		"^agentjail: --limit-cpu: '1.5s' is not a CPU time such as 90s, 10m or 2h, or unlimited$" \
		"$AJ" --limit-cpu 1.5s true
	# Raising a hard limit needs CAP_SYS_RESOURCE (which even root may lack, in a container).
	if ! bash -c 'ulimit -n 1000000' 2>/dev/null; then
		expect_fail "nofile above the caller's hard limit" \
			"^agentjail: Can't set limit nofile=1000000: above the hard limit [0-9]+ of the calling process$" \
			"$AJ" "${L[@]}" --limit-nofile 1000000 true
	else
		aj "${L[@]}" --limit-nofile 1000000 "${PY[@]}" rlimits
		expect_match "with CAP_SYS_RESOURCE, nofile may go above the caller's hard limit" \
			'^RLIMIT_NOFILE 1000000 1000000$' "$OUT"
	fi
	aj "${L[@]}" --limit-cpus 1.5 true
	if [ "$RC" = 0 ]; then
		tap_skip "cpus without a cgroup is refused" "a delegated cgroup with cpu exists here"
	else
		expect_match "cpus without a delegated cgroup is refused, with the reason" \
			"^agentjail: limit cpus=1.5 needs a delegated cgroup v2 with the cpu controller \(.+\)$" "$ERR"
	fi
	aj "${L[@]}" --limit-memory 64M true
	expect_match "a one-line notice names the mechanism" \
		'^agentjail: limits: (memory in cgroup |no cgroup \(.*\): memory by RLIMIT_DATA per process$)' "$ERR"
	aj "${L[@]}" --quiet --limit-memory 64M true
	expect_eq "--quiet hides the notice" "" "$ERR"

	rm -rf "$t"
}

aj_main
