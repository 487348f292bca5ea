#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# The audit log: complete records, a chain that exposes every kind of
# tampering, whole records from 20 concurrent runs, and a log the sandbox
# cannot write even when a bind shows it the directory.
. "${AJ_SRCDIR:?}/tests/lib.sh"

TOOL=(/usr/bin/python3 "$AJ_SRCDIR/tests/launch/audit-tool.py")
# A user namespace for root too: root's own capabilities would reach everything.
U=()
[ "$(id -u)" = 0 ] && U=(--unshare-user)

count() {
	if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

tests() {
	local t log
	t=$(mktemp -d /var/tmp/aj-audit.XXXXXX)
	chmod 755 "$t"
	log=$t/a.jsonl

	# --- a complete record ---------------------------------------------------
	run sh -c "cd '$t' && exec '$AJ' --audit-log '$log' ${BASE[*]} --unshare-pid \
		--setenv TOKEN s3cret --limit-nofile 64 /probe exit 0"
	expect_eq "a run leaves one record" 1 "$(count "$log")"
	expect_eq "the record's members, in order" \
		"v seq prev start end duration_ms user uid host cwd pid agentjail mode profile profile_sha256 argv command policy limits network network_dropped exit sha256" \
		"$("${TOOL[@]}" keys "$log" 1)"
	expect_eq "who, where, what version" \
		"$(printf '"%s"\n%s\n"%s"\n"%s"\n"%s"\n"agentjail"\nnull\nnull' "$(id -un)" "$(id -u)" \
			"$(hostname)" "$t" "$("$AJ" --version | sed 's/^agentjail \([^ ]*\).*/\1/')")" \
		"$("${TOOL[@]}" get "$log" 1 user uid host cwd agentjail mode profile profile_sha256)"
	expect_eq "the first record starts the chain" \
		'1
"0000000000000000000000000000000000000000000000000000000000000000"' \
		"$("${TOOL[@]}" get "$log" 1 seq prev)"
	expect_match "start and end are RFC 3339 UTC with milliseconds" \
		'^"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z"$' \
		"$("${TOOL[@]}" get "$log" 1 start end | sort -u | head -1)"
	expect_match "the duration is a number of milliseconds" '^[0-9]+$' \
		"$("${TOOL[@]}" get "$log" 1 duration_ms)"
	expect_eq "the full command line, with the --setenv value redacted" \
		"[\"$AJ\", \"--audit-log\", \"$log\", \"--ro-bind\", \"/usr\", \"/usr\", \"--symlink\", \"usr/bin\", \"/bin\", \"--symlink\", \"usr/lib\", \"/lib\", \"--symlink\", \"usr/lib64\", \"/lib64\", \"--ro-bind\", \"$PROBE\", \"/probe\", \"--unshare-pid\", \"--setenv\", \"TOKEN\", \"<redacted sha256:$(printf s3cret | sha256sum | cut -c1-64)>\", \"--limit-nofile\", \"64\", \"/probe\", \"exit\", \"0\"]" \
		"$("${TOOL[@]}" get "$log" 1 argv)"
	expect_no_match "the secret itself is nowhere in the log" 's3cret' "$(cat "$log")"
	expect_eq "the command" '["/probe", "exit", "0"]' "$("${TOOL[@]}" get "$log" 1 command)"
	expect_eq "the policy: namespaces, network, mounts" \
		"$(printf '%s\n' '["mnt", "user", "pid"]' '"host"' '{"op": "bind", "src": "/usr", "dest": "/usr", "ro": true}' \
			"{\"op\": \"bind\", \"src\": \"$PROBE\", \"dest\": \"/probe\", \"ro\": true}")" \
		"$("${TOOL[@]}" get "$log" 1 policy.namespaces policy.network policy.mounts.0 policy.mounts.4 |
			sed 's/\["mnt", "pid"\]/["mnt", "user", "pid"]/')"
	expect_eq "environment names are listed, values are not" '"TOKEN"' \
		"$("${TOOL[@]}" get "$log" 1 policy.env | tr ',' '\n' | grep -o '"TOKEN"')"
	expect_eq "the limits and how they are enforced" \
		'{"nofile": {"value": 64, "via": "rlimit"}, "core": {"value": 0, "via": "rlimit"}}' \
		"$("${TOOL[@]}" get "$log" 1 limits)"
	expect_eq "no network decisions without a proxy" '[]
0' "$("${TOOL[@]}" get "$log" 1 network network_dropped)"
	expect_eq "the exit" '{"code": 0, "status": 0, "signal": null, "executed": true}' \
		"$("${TOOL[@]}" get "$log" 1 exit)"

	run "$AJ" --audit-log "$log" "${BASE[@]}" --unshare-pid /probe exit 1
	run "$AJ" --audit-log "$log" "${BASE[@]}" --unshare-pid /bin/sh -c 'kill -9 $$'
	expect_eq "a command killed by a signal" '{"code": 137, "status": null, "signal": "SIGKILL", "executed": true}' \
		"$("${TOOL[@]}" get "$log" 3 exit)"
	run "$AJ" --audit-log "$log" "${BASE[@]}" --bind /nonexistent /x /probe exit 0
	expect_eq "a sandbox whose setup failed" '{"code": 1, "status": 1, "signal": null, "executed": false}' \
		"$("${TOOL[@]}" get "$log" 4 exit)"
	expect_eq "each record names the one before" "$("${TOOL[@]}" get "$log" 3 sha256)" \
		"$("${TOOL[@]}" get "$log" 4 prev)"

	# --- verify and tampering ------------------------------------------------
	run "$AJ" audit verify "$log"
	expect_match "verify: an intact chain" "^$log: 4 records, chain intact; last sha256 [0-9a-f]{64}$" "$OUT"
	expect_eq "verify: exit status 0 when intact" 0 "$RC"
	"${TOOL[@]}" tamper "$log" edit "$t/x"
	expect_fail "verify: an edited record" "^agentjail: $t/x:2: record modified" "$AJ" audit verify "$t/x"
	"${TOOL[@]}" tamper "$log" edit-rehash "$t/x"
	expect_fail "verify: an edited record with a recomputed digest" \
		"^agentjail: $t/x:3: chain broken: prev is not the sha256 of line 2" "$AJ" audit verify "$t/x"
	"${TOOL[@]}" tamper "$log" delete "$t/x"
	expect_fail "verify: a deleted record" "^agentjail: $t/x:2: chain broken" "$AJ" audit verify "$t/x"
	"${TOOL[@]}" tamper "$log" delete-first "$t/x"
	expect_fail "verify: the first record deleted" "^agentjail: $t/x:1: the chain does not start here" \
		"$AJ" audit verify "$t/x"
	"${TOOL[@]}" tamper "$log" insert "$t/x"
	expect_fail "verify: an inserted record" "^agentjail: $t/x:3: chain broken" "$AJ" audit verify "$t/x"
	"${TOOL[@]}" tamper "$log" swap "$t/x"
	expect_fail "verify: reordered records" "^agentjail: $t/x:2: chain broken" "$AJ" audit verify "$t/x"
	"${TOOL[@]}" tamper "$log" truncate "$t/x"
	expect_fail "verify: a truncated record" "^agentjail: $t/x:4: incomplete record" "$AJ" audit verify "$t/x"
	expect_fail "verify: a missing log" "^agentjail: Can't open the audit log '$t/none': No such file" \
		"$AJ" audit verify "$t/none"

	# --- show ----------------------------------------------------------------
	run "$AJ" audit show "$log"
	expect_match "show: a header" '^ +SEQ +START +DURATION +USER +EXIT +PROFILE +COMMAND$' \
		"$(printf '%s\n' "$OUT" | head -1)"
	expect_match "show: a run that exited" '^ +1  [0-9-]{10} [0-9:]{8} +[0-9.]+s  [^ ]+ +0 +- +/probe exit 0$' \
		"$(printf '%s\n' "$OUT" | sed -n 2p)"
	expect_match "show: a run that failed" '^ +2  .* +1 +- +/probe exit 1$' "$(printf '%s\n' "$OUT" | sed -n 3p)"
	expect_match "show: a run killed by a signal" '^ +3  .* +SIGKILL +- +/bin/sh -c kill -9 [$][$]$' \
		"$(printf '%s\n' "$OUT" | sed -n 4p)"
	expect_match "show: a sandbox whose setup failed" '^ +4  .* +setup:1 +- +/probe exit 0$' \
		"$(printf '%s\n' "$OUT" | sed -n 5p)"
	run "$AJ" audit show -n 2 "$log"
	expect_eq "show -n 2: the last two" "3 4" "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $1}' | paste -sd' ')"
	expect_fail "show -n 0 is refused" "^agentjail: audit show -n takes a number from 1 to 1000000, not '0'$" \
		"$AJ" audit show -n 0 "$log"
	run "$AJ" audit frobnicate
	expect_match "an unknown audit command" "^agentjail: audit: unknown command 'frobnicate'" "$ERR"

	# --- 20 at once ----------------------------------------------------------
	local c=$t/c.jsonl i
	for i in $(seq 20); do
		"$AJ" --audit-log "$c" "${BASE[@]}" --unshare-pid /probe exit "$i" >/dev/null 2>&1 &
	done
	wait
	run "$AJ" audit verify "$c"
	expect_match "20 concurrent runs: one intact chain of 20 records" "^$c: 20 records, chain intact" "$OUT"
	expect_eq "20 concurrent runs: every run recorded exactly once" "$(seq 20 | sed 's|^|/probe exit |' | sort)" \
		"$("${TOOL[@]}" commands "$c" | sort)"

	# --- the sandbox cannot write the log --------------------------------------
	local before
	before=$(sha256sum <"$log")
	run "$AJ" --audit-log "$log" "${U[@]}" "${BASE[@]}" --bind "$t" "$t" --bind "$t" /w /bin/sh -c \
		"echo x >>'$log'; echo x >>/w/a.jsonl; cat /dev/null >'$log'; rm -f '$log'; mv '$log' '$t/moved'; ln '$log' '$t/link'; cat '$log'; ls -l '$log' /w/a.jsonl; exit 0"
	expect_eq "inside, every attempt on the log fails" \
		"cannot create $log: Permission denied|cannot create /w/a.jsonl: Permission denied|cannot create $log: Permission denied|rm: cannot remove '$log': Device or resource busy|mv: cannot move '$log' to '$t/moved': Device or resource busy|ln: failed to create hard link '$t/link' => '$log': Invalid cross-device link|cat: $log: Permission denied" \
		"$(printf '%s\n' "$ERR" | sed 's/^.*sh: [0-9]*: //' | head -7 | paste -sd'|')"
	expect_match "... where the log shows only as an unusable device node" '^c' "$OUT"
	expect_eq "... and the earlier records are untouched" "$before" \
		"$(head -n 4 "$log" | sha256sum)"
	run "$AJ" audit verify "$log"
	expect_match "... and the run was recorded after them" "^$log: 5 records, chain intact" "$OUT"

	# Without a pid namespace the monitor is visible, but its fds are not.
	run "$AJ" --audit-log "$log" "${U[@]}" "${BASE[@]}" --ro-bind /proc /proc /bin/sh -c \
		'n=0; for f in /proc/$PPID/fd/*; do echo x 2>/dev/null >>"$f" && n=$((n + 1)); done; echo "$n written"; ls /proc/$PPID/fd | wc -l'
	expect_match "the monitor's fds cannot be opened through /proc" '^0 written' "$OUT"
	run "$AJ" audit verify "$log"
	expect_match "... and the chain is intact" "^$log: 6 records, chain intact" "$OUT"

	# A writable view of a directory above the log: it can be moved, never rewritten.
	mkdir -p "$t/up/state"
	run "$AJ" --audit-log "$t/up/state/l.jsonl" "${BASE[@]}" /probe exit 0
	run "$AJ" --audit-log "$t/up/state/l.jsonl" "${U[@]}" "${BASE[@]}" --bind "$t/up" /up \
		/bin/sh -c 'mv /up/state /up/moved'
	expect_match "a log moved away during the run is reported" \
		"^agentjail: the audit log '$t/up/state/l.jsonl' was moved or replaced during this run; its records, this run's included, are in '$t/up/moved/l.jsonl'$" \
		"$ERR"
	run "$AJ" audit verify "$t/up/moved/l.jsonl"
	expect_match "... and its chain, with the run's record, is intact" "^$t/up/moved/l.jsonl: 2 records, chain intact" "$OUT"

	# --- switches and locations --------------------------------------------------
	local n
	n=$(count "$log")
	run "$AJ" --audit-log "$log" --audit off "${BASE[@]}" /probe exit 0
	expect_eq "--audit off: no record" "$n" "$(count "$log")"
	ln -sf "$AJ" "$t/bwrap"
	run env XDG_STATE_HOME="$t/bw" "$t/bwrap" "${BASE[@]}" /probe exit 0
	expect_eq "as bwrap: no record by default" "absent" "$([ -e "$t/bw" ] && echo present || echo absent)"
	run env XDG_STATE_HOME="$t/state" "$AJ" "${BASE[@]}" /probe exit 0
	expect_eq "by default: \$XDG_STATE_HOME/agentjail/audit.jsonl, private" "700 600 1" \
		"$(stat -c %a "$t/state/agentjail") $(stat -c %a "$t/state/agentjail/audit.jsonl") $(count "$t/state/agentjail/audit.jsonl")"
	run env XDG_STATE_HOME="$t/state" "$AJ" audit path
	expect_eq "audit path names it" "$t/state/agentjail/audit.jsonl" "$OUT"
	run env -u XDG_STATE_HOME HOME="$t/home" "$AJ" audit path
	expect_eq "... else ~/.local/state/agentjail/audit.jsonl" "$t/home/.local/state/agentjail/audit.jsonl" "$OUT"
	# The default is best effort: a home that is not the user's own gets no directories.
	mkdir "$t/home"
	run env -u XDG_STATE_HOME HOME="$t/home" "$AJ" "${BASE[@]}" /probe exit 7
	expect_eq "a \$HOME other than the user's: the run goes on unrecorded" \
		"7 absent" "$RC $([ -e "$t/home/.local" ] && echo present || echo absent)"
	expect_eq "... quietly (it is not the user's home)" "" "$ERR"
	run env -u XDG_STATE_HOME HOME="$t/home" "$AJ" --verbose "${BASE[@]}" /probe exit 7
	expect_match "... --verbose says why" \
		"^agentjail: not recording this run: Can't create the directory of the audit log '$t/home/.local/state/agentjail/audit.jsonl': No such file or directory" \
		"$ERR"
	mkdir -m 500 "$t/ro"
	run env -u HOME XDG_STATE_HOME="$t/ro/state" "$AJ" "${BASE[@]}" /probe exit 0
	if [ -w "$t/ro" ]; then
		tap_skip "the user's own place unusable: a notice" "root writes anywhere"
	else
		expect_match "the user's own place unusable: the run goes on, a notice says so" \
			"^agentjail: not recording this run: Can't create the directory of the audit log '$t/ro/state/agentjail/audit.jsonl': Permission denied; --audit-log FILE names another place, --audit off silences this$" \
			"$ERR"
	fi
	mkdir -p "$t/home/.local/state"
	run env -u XDG_STATE_HOME HOME="$t/home" "$AJ" "${BASE[@]}" /probe exit 0
	expect_eq "... unless its .local/state exists" 1 "$(count "$t/home/.local/state/agentjail/audit.jsonl")"
	expect_fail "asked for with --audit on, a log that cannot be made stops the launch" \
		"^agentjail: Can't create the directory of the audit log '$t/none/.local/state/agentjail/audit.jsonl' \(--audit off runs without one\): No such file or directory$" \
		env -u XDG_STATE_HOME HOME="$t/none" "$AJ" --audit on "${BASE[@]}" /probe exit 0
	run "$AJ" --audit-log "$t" "${BASE[@]}" --bind "$t" "$t" /bin/sh -c ": >'$t/ran'"
	expect_match "a log that cannot be opened stops the launch" \
		"^agentjail: Can't open the audit log '$t' \(--audit off runs without one\): Is a directory$" "$ERR"
	expect_eq "... before the command runs" "1 absent" "$RC $([ -e "$t/ran" ] && echo present || echo absent)"
	expect_fail "--audit takes on or off" "^agentjail: --audit takes on or off, not 'maybe'$" \
		"$AJ" --audit maybe /probe

	# --- what a record costs -----------------------------------------------------
	local s0 s1 s2
	s0=$(date +%s%N)
	for i in $(seq 20); do "$AJ" --audit off "${BASE[@]}" /probe exit 0; done
	s1=$(date +%s%N)
	for i in $(seq 20); do "$AJ" --audit-log "$t/cost.jsonl" "${BASE[@]}" /probe exit 0; done
	s2=$(date +%s%N)
	echo "# 20 runs: $(((s1 - s0) / 20000)) us each without the audit log, $(((s2 - s1) / 20000)) us with it"
	expect_eq "20 runs, 20 records" 20 "$(count "$t/cost.jsonl")"

	rm -rf "$t"
}

aj_main
