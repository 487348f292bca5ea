#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# The kernel walls (docs/WALLS.md): the built-in seccomp filter, terminal
# injection under a pty with job control intact, capabilities and
# securebits, root mapped away, the reaper not dumpable, /proc knobs, /sys,
# inherited fds, tmpfs sizes, Landlock.  Each wall is shown holding and, in
# the same test, shown open without it, so the test can fail.
. "${AJ_SRCDIR:?}/tests/lib.sh"

# words ARGS...: the probe's output on one line.
words() {
	run "$@"
	OUT=$(echo $OUT)
}

seccomp_tests() {
	local calls=(/probe syscall ptrace keyctl setns clone3 io_uring_setup process_vm_readv
		: personality 0 : personality 40000 : userns)
	words "$AJ" "${BASE[@]}" "${calls[@]}"
	expect_eq "without a filter (bwrap's default) the calls reach the kernel" \
		"syscall ptrace ESRCH syscall keyctl EINVAL syscall setns EBADF syscall clone3 EINVAL syscall io_uring_setup EFAULT syscall process_vm_readv ok personality 0 ok personality 40000 ok userns ok" \
		"$OUT"
	words "$AJ" "${BASE[@]}" --seccomp-default "${calls[@]}"
	expect_eq "--seccomp-default: EPERM, ENOSYS where programs fall back" \
		"syscall ptrace EPERM syscall keyctl EPERM syscall setns EPERM syscall clone3 ENOSYS syscall io_uring_setup ENOSYS syscall process_vm_readv EPERM personality 0 ok personality 40000 EPERM userns EPERM" \
		"$OUT"
	words "$AJ" "${BASE[@]}" --seccomp-filter default --nested-userns true --io-uring yes \
		--seccomp-allow ptrace /probe userns : io-uring : syscall ptrace keyctl
	expect_eq "nested-userns, io-uring and seccomp-allow lift their rules only" \
		"userns ok io-uring ok syscall ptrace ESRCH syscall keyctl EPERM" "$OUT"
	words "$AJ" "${BASE[@]}" --seccomp-deny "getpid, keyctl" /probe syscall getpid keyctl ptrace
	expect_eq "--seccomp-deny without the default list" \
		"syscall getpid EPERM syscall keyctl EPERM syscall ptrace ESRCH" "$OUT"
	expect_fail "an unknown system call name is an error" \
		"^agentjail: --seccomp-deny: unknown system call 'no_such_call'$" \
		"$AJ" "${BASE[@]}" --seccomp-deny no_such_call /probe exit 0
	expect_fail "--seccomp-filter takes default or none" \
		"^agentjail: --seccomp-filter takes default or none, not 'all'$" \
		"$AJ" --seccomp-filter all /probe

	# Stacks with a caller's program: ERRNO(77) for getpid (x86_64 nr 39).
	local t
	t=$(mktemp -d /var/tmp/aj-walls.XXXXXX)
	/usr/bin/python3 -c 'import struct,sys
prog = [(0x20,0,0,0), (0x15,0,1,39), (0x06,0,0,0x00050000|77), (0x06,0,0,0x7fff0000)]
sys.stdout.buffer.write(b"".join(struct.pack("<HBBI", *i) for i in prog))' >"$t/getpid.bpf"
	words sh -c "exec 3<'$t/getpid.bpf'; exec '$AJ' ${BASE[*]} --seccomp-default --add-seccomp-fd 3 \
		/probe syscall getpid ptrace"
	expect_eq "--add-seccomp-fd stacks on the built-in filter" \
		"syscall getpid E77 syscall ptrace EPERM" "$OUT"
	words sh -c "exec 3<'$t/getpid.bpf'; exec '$AJ' ${BASE[*]} --hardened --seccomp 3 \
		/probe syscall getpid ptrace"
	expect_eq "--seccomp stacks on the built-in filter" "syscall getpid E77 syscall ptrace EPERM" "$OUT"
	rm -rf "$t"

	# Other ABIs: refused wholesale.  Some machines cannot reach int 0x80 at all.
	words "$AJ" "${BASE[@]}" /probe i386-getpid
	if [ "$OUT" = "i386-getpid ok" ]; then
		words "$AJ" "${BASE[@]}" --seccomp-default /probe i386-getpid
		expect_eq "i386 calls refused" "i386-getpid ENOSYS" "$OUT"
	else
		tap_skip "i386 calls refused" "int 0x80 does not work here ($OUT); test-seccomp checks the verdict"
	fi
	words "$AJ" "${BASE[@]}" /probe x32-getpid
	if [ "$OUT" = "x32-getpid ok" ]; then
		words "$AJ" "${BASE[@]}" --seccomp-default /probe x32-getpid
		expect_eq "x32 calls refused" "x32-getpid ENOSYS" "$OUT"
	else
		tap_skip "x32 calls refused" "no x32 ABI in this kernel; test-seccomp checks the verdict"
	fi
}

tty_tests() {
	local dev=(--dev /dev --proc /proc --tmpfs /tmp)
	words "$AJ" "${BASE[@]}" "${dev[@]}" /probe tiocsti-pty
	expect_no_match "without the filter TIOCSTI on our terminal is not refused by seccomp" \
		"EPERM" "$OUT"
	words "$AJ" "${BASE[@]}" "${dev[@]}" --seccomp-default /probe tiocsti-pty
	expect_eq "TIOCSTI refused, with bit 32 of the request set too" \
		"tiocsti-pty EPERM tiocsti-pty high EPERM" "$OUT"

	# A shell under a pty: job control, window size and the controlling
	# terminal work; injecting into that terminal does not.
	local sh_cmd='sleep 0.2 & fg %1; echo fg=$?; set -o | grep ^monitor; stty rows 40 cols 100; stty size; /probe tiocsti : tiocsti high : tioclinux'
	run timeout 30 script -qec "$(printf '%q ' "$AJ" --hardened "${BASE[@]}" "${dev[@]}" --unshare-pid \
		/usr/bin/bash --norc --noprofile -i -c "$sh_cmd")" /dev/null
	OUT=$(echo $(echo "$OUT" | tr -d '\r' | grep -v '^\[1\]' | grep -v '^sleep'))
	expect_eq "a job-control shell under a pty keeps job control; TIOCSTI/TIOCLINUX refused" \
		"fg=0 monitor on 40 100 tiocsti EPERM tiocsti high EPERM tioclinux EPERM" "$OUT"
	run timeout 30 script -qec "$(printf '%q ' "$AJ" "${BASE[@]}" "${dev[@]}" --unshare-pid \
		/probe tiocsti)" /dev/null
	expect_no_match "without the filter the same injection is not refused by seccomp" "EPERM" "$OUT"
	run timeout 30 script -qec "$(printf '%q ' "$AJ" "${BASE[@]}" "${dev[@]}" --unshare-pid --new-session \
		/usr/bin/bash --norc --noprofile -i -c 'sleep 0.1 & fg %1; echo fg=$?')" /dev/null
	expect_match "bwrap's answer, --new-session, loses job control" "no job control" "$OUT"
}

caps_tests() {
	words "$AJ" "${BASE[@]}" --hardened --proc /proc /probe ids : securebits
	expect_match "hardened: every capability set empty" \
		"CapInh: 0+ CapPrm: 0+ CapEff: 0+ CapBnd: 0+ CapAmb: 0+ NoNewPrivs: 1 Seccomp: 2" "$OUT"
	expect_match "hardened: securebits locked (noroot, no_setuid_fixup, no ambient raise)" \
		"securebits 0xef$" "$OUT"
	words "$AJ" "${BASE[@]}" --hardened --proc /proc --cap-add CAP_NET_ADMIN /probe ids : securebits
	expect_match "hardened: --cap-add keeps one capability, ambient raise stays possible" \
		"CapEff: 0+1000 CapBnd: 0+1000 CapAmb: 0+1000 .* securebits 0xaf$" "$OUT"
	words "$AJ" "${BASE[@]}" --proc /proc /probe securebits
	expect_eq "bwrap-style: securebits untouched" "securebits 0" "$OUT"
}

identity_tests() {
	local t
	t=$(mktemp -d /var/tmp/aj-walls.XXXXXX)
	chmod 755 "$t"
	mkdir "$t/rw" && chmod 777 "$t/rw"
	echo root-only >"$t/secret" && chmod 600 "$t/secret"
	if [ "$AJ_MODE" = root ]; then
		run "$AJ" "${BASE[@]}" --hardened --bind "$t/rw" /rw --ro-bind "$t/secret" /s \
			/probe write /rw/f : read /s : ids
		expect_eq "hardened root: files it creates belong to host uid 65534" \
			"65534:65534" "$(stat -c %u:%g "$t/rw/f" 2>&1)"
		expect_match "hardened root: root's 0600 file is out of reach" "read /s EACCES" "$OUT"
		expect_match "hardened root: still uid 0 inside, no supplementary groups" \
			"^uid=0 euid=0 gid=0 egid=0 groups=$" "$(echo "$OUT" | grep ^uid)"
		run "$AJ" "${BASE[@]}" --hardened --root-maps-to 4321:4322 --bind "$t/rw" /rw /probe write /rw/g
		expect_eq "--root-maps-to picks the host ids" "4321:4322" "$(stat -c %u:%g "$t/rw/g" 2>&1)"
		run "$AJ" "${BASE[@]}" --bind "$t/rw" /rw --ro-bind "$t/secret" /s /probe write /rw/h : read /s
		expect_eq "bwrap-style root stays host root (bwrap's behaviour)" "0:0 read /s 10" \
			"$(stat -c %u:%g "$t/rw/h") $(echo "$OUT" | grep '^read')"
	else
		run "$AJ" "${BASE[@]}" --hardened --bind "$t/rw" /rw /probe write /rw/f
		expect_eq "hardened, unprivileged: files belong to the caller" "$(id -u):$(id -g)" \
			"$(stat -c %u:%g "$t/rw/f" 2>&1)"
	fi
	rm -rf "$t"
}

proc_tests() {
	local pidns=(--unshare-pid --proc /proc)
	local nolandlock=()
	# Root keeps CAP_SYS_PTRACE in a bwrap-style run: look through the hardened one,
	# without Landlock so that only dumpability is tested.
	[ "$AJ_MODE" = root ] && nolandlock=(--hardened --landlock off)
	words "$AJ" "${BASE[@]}" "${pidns[@]}" "${nolandlock[@]}" /probe readlink /proc/1/exe : \
		read /proc/1/environ : readlink /proc/1/fd/0 : readlink /proc/self/exe : dumpable
	expect_eq "pid 1 is out of the command's reach: /proc/1 gives nothing; the command is dumpable" \
		"readlink /proc/1/exe EACCES read /proc/1/environ EACCES readlink /proc/1/fd/0 EACCES readlink /proc/self/exe ok dumpable 1" \
		"$OUT"
	# Without the fence (old kernels): the executed reaper is not dumpable either.
	if [ "$AJ_MODE" != root ] && [ -n "${AGENTJAIL_TEST:-}" ]; then
		AGENTJAIL_TEST_NO_FENCE=1 words "$AGENTJAIL_TEST" "${BASE[@]}" "${pidns[@]}" /probe \
			readlink /proc/1/exe : read /proc/1/environ : readlink /proc/1/fd/0 : dumpable
		expect_eq "without the fence: pid 1 (agentjail-reaper) gives nothing either" \
			"readlink /proc/1/exe EACCES read /proc/1/environ EACCES readlink /proc/1/fd/0 EACCES dumpable 1" \
			"$OUT"
	fi
	# The Landlock fence of a bwrap-style run holds even against root's CAP_SYS_PTRACE,
	# where the kernel can make one for root (ABI 6: signal scoping).
	local abi
	abi=$("$AJ" "${BASE[@]}" /probe landlock-abi | awk '{ print $2 }')
	if [ "$AJ_MODE" = root ] && [ "${abi:-0}" -ge 6 ]; then
		words "$AJ" "${BASE[@]}" "${pidns[@]}" /probe readlink /proc/1/exe : read /proc/1/mem : \
			readlink /proc/1/root
		expect_eq "bwrap-style, root with CAP_SYS_PTRACE: the fence keeps pid 1 out of reach" \
			"readlink /proc/1/exe EACCES read /proc/1/mem EACCES readlink /proc/1/root EACCES" "$OUT"
	fi

	run "$AJ" "${BASE[@]}" --hardened "${pidns[@]}" /probe mounts : write /proc/sys/kernel/core_pattern \
		/proc/sysrq-trigger : read /proc/keys /proc/kallsyms /proc/timer_list
	expect_match "/proc/sys and /proc/fs are read-only mounts" \
		"/proc/sys /sys proc ro,.*/proc/fs /fs proc ro," "$(echo $OUT)"
	expect_match "/proc/sys cannot be written" "write /proc/sys/kernel/core_pattern (EROFS|EACCES)" "$OUT"
	expect_no_match "/proc/sysrq-trigger cannot be written" "write /proc/sysrq-trigger ok" "$OUT"
	expect_match "/proc/keys, kallsyms, timer_list read empty" \
		"read /proc/keys 0 read /proc/kallsyms 0 read /proc/timer_list 0" "$(echo $OUT)"
	words "$AJ" "${BASE[@]}" --hardened /probe stat /sys
	expect_eq "/sys is absent unless named" "/sys ENOENT" "$OUT"
	words "$AJ" "${BASE[@]}" --hardened --ro-bind /sys /sys /probe stat /sys
	expect_match "/sys when named" "^/sys dir " "$OUT"
}

fd_tests() {
	local t
	t=$(mktemp -d /var/tmp/aj-walls.XXXXXX)
	chmod 755 "$t"
	mkdir "$t/outside"
	echo secret >"$t/outside/secret"
	chmod 644 "$t/outside/secret"
	words sh -c "exec 7<'$t/outside'; exec '$AJ' ${BASE[*]} --hardened /probe openat 7 secret"
	expect_eq "a leaked directory fd is closed before exec (CVE-2024-21626 class)" \
		"openat 7 secret EBADF" "$OUT"
	words sh -c "exec 7<'$t/outside'; exec '$AJ' ${BASE[*]} --keep-fd 7 /probe openat 7 secret"
	expect_eq "passed on with --keep-fd and no Landlock, it walks out of the root" \
		"openat 7 secret ok" "$OUT"
	words sh -c "exec 7<'$t/outside'; exec '$AJ' ${BASE[*]} --keep-fd 7 --landlock on /probe openat 7 secret"
	expect_eq "with Landlock, even a passed directory fd leads nowhere outside the plan" \
		"openat 7 secret EACCES" "$OUT"
	rm -rf "$t"
}

tmpfs_tests() {
	local quarter half
	quarter=$(awk '/^MemTotal:/ { print int($2 * 1024 / 4) }' /proc/meminfo)
	words "$AJ" "${BASE[@]}" --hardened --tmpfs /tmp --proc /proc --dev /dev /probe statfs /tmp : statfs /dev/shm : statfs /
	local sizes
	sizes=$(echo "$OUT" | awk -v q="$quarter" '{ for (i = 3; i <= NF; i += 3) {
		d = $i - q; if (d < 0) d = -d; printf "%s ", (d <= q / 100 ? "quarter" : $i) } }')
	expect_eq "hardened: /tmp, /dev/shm and the root are limited to 25% of RAM" \
		"quarter quarter quarter " "$sizes"
	words "$AJ" "${BASE[@]}" --hardened --limit-tmp-size 64M --tmpfs /tmp --size 1048576 --tmpfs /small \
		--proc /proc --dev /dev /probe statfs /tmp : statfs /small : statfs /dev/shm
	expect_eq "--limit-tmp-size sets the default, --size still wins" \
		"statfs /tmp 67108864 statfs /small 1048576 statfs /dev/shm 67108864" "$OUT"
	words "$AJ" "${BASE[@]}" --tmpfs /tmp /probe statfs /tmp
	half=$(echo "$OUT" | awk -v q="$quarter" '{ print ($3 > q * 3 / 2) ? "kernel default" : $3 }')
	expect_eq "bwrap-style: the kernel's default size" "kernel default" "$half"
}

landlock_tests() {
	local abi
	abi=$("$AJ" "${BASE[@]}" /probe landlock-abi | awk '{ print $2 }')
	echo "# Landlock ABI of this kernel: $abi"
	if [ "${abi:-0}" -lt 2 ]; then
		tap_skip "Landlock" "kernel Landlock ABI ${abi:-0} (2 or later needed)"
		expect_fail "--landlock require fails without Landlock" "^agentjail: landlock = require" \
			"$AJ" "${BASE[@]}" --landlock require /probe exit 0
		return
	fi
	words "$AJ" "${BASE[@]}" --hardened --tmpfs /tmp /probe write /x /tmp/x : listdir / : read /probe
	expect_eq "Landlock: the root may be listed, not written; the plan's paths work" \
		"write /x EACCES write /tmp/x ok listdir / ok read /probe $(stat -c %s "$PROBE")" "$OUT"
	words "$AJ" "${BASE[@]}" --hardened --landlock off --tmpfs /tmp /probe write /x
	expect_eq "landlock = off: the root tmpfs is writable again" "write /x ok" "$OUT"
	run "$AJ" "${BASE[@]}" --landlock require /probe exit 0
	expect_eq "--landlock require works where the kernel has it" 0 "$RC"

	if [ "$abi" -lt 6 ]; then
		tap_skip "Landlock scoping" "ABI $abi (6 or later scopes sockets and signals)"
		return
	fi
	local name="aj-walls-$$-$RANDOM" lpid spid
	/usr/bin/python3 -c "import socket,time
s = socket.socket(socket.AF_UNIX); s.bind('\0$name'); s.listen(4); time.sleep(30)" &
	lpid=$!
	sleep 0.3
	words "$AJ" "${BASE[@]}" --share-net --landlock off /probe abstract-connect "$name"
	expect_eq "with the host network, a host abstract socket is reachable" "abstract-connect ok" "$OUT"
	words "$AJ" "${BASE[@]}" --hardened --share-net /probe abstract-connect "$name"
	expect_eq "Landlock scoping: host abstract sockets unreachable, host network or not" \
		"abstract-connect EPERM" "$OUT"
	kill "$lpid" 2>/dev/null
	sleep 30 &
	spid=$!
	if [ "$AJ_MODE" = user ]; then
		words "$AJ" "${BASE[@]}" --landlock off /probe signal "$spid" 0
		expect_eq "without a pid namespace a host process can be signalled" "signal $spid ok" "$OUT"
	fi
	words "$AJ" "${BASE[@]}" --landlock on /probe signal "$spid" 0
	expect_eq "Landlock scoping: no signal reaches a host process" "signal $spid EPERM" "$OUT"
	kill "$spid" 2>/dev/null
	wait 2>/dev/null
}

tests() {
	seccomp_tests
	tty_tests
	caps_tests
	identity_tests
	proc_tests
	fd_tests
	tmpfs_tests
	landlock_tests
}

aj_main
