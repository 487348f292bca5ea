#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# What the command sees and how agentjail reports its end: exit status,
# signals, ids and capabilities, pid model, hostname, environment, cwd, fds,
# status JSON.
. "${AJ_SRCDIR:?}/tests/lib.sh"

tests() {
	run "$AJ" "${BASE[@]}" /probe exit 7
	expect_eq "exit status is the command's" 7 "$RC"

	run "$AJ" "${BASE[@]}" /probe kill 15
	expect_eq "killed by SIGTERM gives 143" 143 "$RC"

	run "$AJ" "${BASE[@]}" --unshare-pid /probe kill 9
	expect_eq "killed by SIGKILL in a pid namespace gives 137" 137 "$RC"

	run "$AJ" "${BASE[@]}" --proc /proc /probe ids
	expect_match "no_new_privs is set" "NoNewPrivs:[[:space:]]+1" "$OUT"
	if [ "$AJ_MODE" = user ]; then
		expect_eq "uid is the caller's" "uid=$(id -u) euid=$(id -u) gid=$(id -g) egid=$(id -g)" \
			"$(echo "$OUT" | head -1 | sed 's/ groups=.*//')"
		expect_eq "no capability left, bounding set included" \
			"CapInh:0000000000000000 CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000000000 CapAmb:0000000000000000" \
			"$(echo "$OUT" | grep ^Cap | tr -d '\t' | tr '\n' ' ' | sed 's/ $//')"
		run "$AJ" "${BASE[@]}" --uid 0 --gid 0 --proc /proc /probe ids
		expect_match "--uid 0 gives uid 0 inside" "^uid=0 euid=0 gid=0" "$OUT"
		expect_match "uid 0 inside still has no capability" "CapEff:[[:space:]]+0000000000000000" "$OUT"
		run "$AJ" "${BASE[@]}" --uid 0 --gid 0 --proc /proc /probe setuid-root : ids
		expect_match "uid 0 inside has an empty bounding set" "CapBnd:[[:space:]]+0000000000000000" "$OUT"
	else
		expect_match "root without a userns keeps its capabilities" "CapEff:[[:space:]]+0*1?f+" "$OUT"
		run "$AJ" "${BASE[@]}" --unshare-user --uid 1000 --gid 1000 --proc /proc /probe ids
		expect_match "root: --unshare-user --uid 1000 runs as 1000" "^uid=1000 euid=1000 gid=1000" "$OUT"
		expect_match "root: uid 1000 inside has no effective capability" \
			"CapEff:[[:space:]]+0000000000000000" "$OUT"
	fi

	run "$AJ" "${BASE[@]}" --unshare-pid /probe pid
	expect_eq "with a pid namespace the command is pid 2 under a reaper" "pid 2 ppid 1" "$OUT"
	run "$AJ" "${BASE[@]}" --unshare-pid --as-pid-1 /probe pid
	expect_eq "--as-pid-1 makes the command pid 1" "pid 1 ppid 0" "$OUT"

	run "$AJ" "${BASE[@]}" --unshare-uts --hostname sandbox /probe hostname
	expect_eq "--hostname" "hostname sandbox" "$OUT"

	run env -i FOO=1 BAR=2 HOME=/aj-no-such-home "$AJ" "${BASE[@]}" --setenv NEW x --unsetenv BAR \
		--chdir / /probe env
	expect_eq "--setenv/--unsetenv edit the inherited environment, PWD set" \
		"$(printf 'FOO=1\nHOME=/aj-no-such-home\nNEW=x\nPWD=/')" "$OUT"
	run env -i FOO=1 "$AJ" "${BASE[@]}" --setenv A 1 --clearenv --setenv B 2 /probe env
	expect_eq "--clearenv applies in order" "$(printf 'B=2\nPWD=/')" "$OUT"

	run "$AJ" "${BASE[@]}" --dir /work/sub --chdir /work/sub /probe cwd
	expect_eq "--chdir" "cwd /work/sub" "$OUT"
	local d
	d=$(mktemp -d)
	run sh -c "cd '$d' && exec '$AJ' ${BASE[*]} --bind '$d' '$d' /probe cwd"
	expect_eq "the caller's cwd is kept when it exists inside" "cwd $d" "$OUT"
	run sh -c "cd '$d' && exec env HOME=/usr '$AJ' ${BASE[*]} /probe cwd"
	expect_eq "else \$HOME" "cwd /usr" "$OUT"
	rm -rf "$d"

	run sh -c "exec 5</dev/null 6</dev/null; exec '$AJ' ${BASE[*]} --proc /proc /probe fds"
	expect_eq "inherited fds are closed" "" "$OUT"
	run sh -c "exec 5</dev/null 6</dev/null; exec '$AJ' ${BASE[*]} --proc /proc --keep-fd 6 /probe fds"
	expect_eq "--keep-fd passes one on" "fd 6 /dev/null" "$OUT"
	local t
	t=$(mktemp -d)
	ln -s "$AJ" "$t/bwrap"
	run sh -c "exec 5</dev/null; exec '$t/bwrap' ${BASE[*]} --proc /proc /probe fds"
	expect_eq "as bwrap, inherited fds pass through (bwrap's behaviour)" "fd 5 /dev/null" "$OUT"

	run sh -c "exec 3>'$t/info'; exec '$AJ' ${BASE[*]} --unshare-pid --unshare-net --info-fd 3 --proc /proc /probe ns"
	local pid ns
	pid=$(sed -n 's/.*"child-pid": \([0-9]*\).*/\1/p' "$t/info")
	expect_match "--info-fd has bwrap's pretty shape" \
		'^\{\n?' "$(head -1 "$t/info")"
	ns=$(echo "$OUT" | sed -n 's/^net //p')
	expect_match "--info-fd names the sandbox's net namespace inode" \
		"\"net-namespace\": $ns" "$(cat "$t/info")"
	expect_match "--info-fd child-pid is a number" '^[0-9]+$' "$pid"
	expect_no_match "--info-fd never lists the user namespace" "user-namespace" "$(cat "$t/info")"

	run sh -c "exec 3>'$t/json'; exec '$AJ' ${BASE[*]} --json-status-fd 3 /probe exit 3"
	expect_match "--json-status-fd first line" '^\{ "child-pid": [0-9]+, "mnt-namespace": [0-9]+ \}$' \
		"$(head -1 "$t/json")"
	expect_eq "--json-status-fd exit-code line" '{ "exit-code": 3 }' "$(sed -n 2p "$t/json")"
	run sh -c "exec 3>'$t/json2'; exec '$AJ' ${BASE[*]} --json-status-fd 3 /nonexistent"
	expect_eq "--json-status-fd: no exit-code when exec failed" 1 "$(wc -l <"$t/json2")"
	rm -rf "$t"

	run "$AJ" "${BASE[@]}" --unshare-net /probe connect 127.0.0.1 1
	expect_eq "--unshare-net: loopback is up (refused, not unreachable)" "connect ECONNREFUSED" "$OUT"
}

aj_main
