# SPDX-License-Identifier: LGPL-2.0-or-later
# Shared TAP harness for the launch and compat tests.
#
# A test script defines a function `tests` and ends with `aj_main`.  As root,
# aj_main runs `tests` once as root and once more as the unprivileged test
# user ($AJ_TEST_USER, default ajtest), from a world-readable copy of the
# binaries and scripts (the build tree may live under /root).  Not as root,
# only the unprivileged half runs.  Test names start with "root:" or "user:".
#
# Environment from meson: AGENTJAIL (the binary), AGENTJAIL_TEST (the same
# program built to honour AGENTJAIL_TEST_BWRAP_INI; never installed),
# AJ_PROBE (tests/probe.c, static), AJ_SRCDIR (source tree), AJ_VARIANT (a
# script registered twice tells its runs apart by it).

set -u

AJ_TEST_USER=${AJ_TEST_USER:-ajtest}
AJ=${AGENTJAIL:?AGENTJAIL must point to the agentjail binary}
PROBE=${AJ_PROBE:?AJ_PROBE must point to aj-probe}
AJ_MODE=${AJ_MODE:-}
_tap_n=0

# The smallest usable system view: /usr plus the merged-/usr symlinks, and
# the probe at /probe.
BASE=(--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib
      --symlink usr/lib64 /lib64 --ro-bind "$PROBE" /probe)

tap_ok() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $AJ_MODE: $1"
}

tap_not_ok() {
	_tap_n=$((_tap_n + 1))
	echo "not ok $_tap_n - $AJ_MODE: $1"
	shift
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
}

tap_skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $AJ_MODE: $1 # SKIP $2"
}

# run CMD...: sets RC, OUT, ERR.
run() {
	local o e
	o=$(mktemp) e=$(mktemp)
	"$@" >"$o" 2>"$e" </dev/null
	RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	rm -f "$o" "$e"
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		tap_ok "$1"
	else
		tap_not_ok "$1" "expected: $2" "actual:   $3" "stderr: ${ERR:-}"
	fi
}

# expect_match NAME REGEX ACTUAL (grep -E, against the whole text)
expect_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		tap_ok "$1"
	else
		tap_not_ok "$1" "expected to match: $2" "actual: $3" "stderr: ${ERR:-}"
	fi
}

# expect_no_match NAME REGEX ACTUAL
expect_no_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		tap_not_ok "$1" "must not match: $2" "actual: $3"
	else
		tap_ok "$1"
	fi
}

# expect_fail NAME STDERR_REGEX CMD...: exit 1 and a message on stderr.
expect_fail() {
	local name=$1 re=$2
	shift 2
	run "$@"
	if [ "$RC" = 1 ] && printf '%s\n' "$ERR" | grep -Eq -- "$re"; then
		tap_ok "$name"
	else
		tap_not_ok "$name" "expected exit 1 and stderr matching: $re" "rc=$RC" \
			"stderr: $ERR" "stdout: $OUT"
	fi
}

# Does this host let the current user create a user namespace?
userns_ok() {
	unshare --user true >/dev/null 2>&1 || "$AJ" --unshare-user --ro-bind / / true >/dev/null 2>&1
}

# A world-readable copy of what the unprivileged half needs.
_aj_stage() {
	local d
	d=$(mktemp -d /tmp/aj-test.XXXXXX)
	chmod 755 "$d"
	mkdir "$d/bin" "$d/tests"
	cp "$AJ" "$d/bin/agentjail"
	# The reaper program agentjail finds next to itself (reaper.c).
	if [ -x "$(dirname "$AJ")/agentjail-reaper" ]; then
		cp "$(dirname "$AJ")/agentjail-reaper" "$d/bin/"
	fi
	cp "$PROBE" "$d/bin/aj-probe"
	if [ -n "${AGENTJAIL_TEST:-}" ]; then
		cp "$AGENTJAIL_TEST" "$d/bin/agentjail-test"
	fi
	cp -r "$AJ_SRCDIR/tests/." "$d/tests/"
	if [ -d "$AJ_SRCDIR/profiles" ]; then
		cp -r "$AJ_SRCDIR/profiles" "$d/profiles"
	fi
	chmod -R a+rX "$d"
	echo "$d"
}

# tap_relay: pass on the TAP lines of a nested run (stdin), numbered as ours.
tap_relay() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok "* | "not ok "*)
			_tap_n=$((_tap_n + 1))
			echo "$line" | sed -E "s/^(not )?ok [0-9]+/\\1ok $_tap_n/"
			;;
		*) echo "$line" ;;
		esac
	done
}

# wait_for_file PATH [TRIES]: until PATH exists, at most TRIES x 50 ms (100:
# 5 s); fails when it never does.
wait_for_file() {
	local i
	for i in $(seq "${2:-100}"); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

aj_main() {
	if [ -n "${AJ_INNER:-}" ]; then
		AJ_MODE=user
		tests
		return 0
	fi
	if [ "$(id -u)" = 0 ]; then
		AJ_MODE=root
		tests
		if ! id "$AJ_TEST_USER" >/dev/null 2>&1; then
			echo "# no user '$AJ_TEST_USER': the unprivileged half did not run"
			AJ_MODE=user
			tap_skip "unprivileged half" "no test user $AJ_TEST_USER (tests/run-all.sh creates it)"
		else
			local d script
			d=$(_aj_stage)
			script="$d/tests/${0#"$AJ_SRCDIR"/tests/}"
			[ -f "$script" ] || script="$d/tests/$(basename "$(dirname "$0")")/$(basename "$0")"
			tap_relay < <(cd "$d" && runuser -u "$AJ_TEST_USER" -- env -i PATH=/usr/bin:/bin \
				HOME=/tmp LANG=C AJ_INNER=1 AJ_TEST_USER="$AJ_TEST_USER" \
				AGENTJAIL="$d/bin/agentjail" AJ_PROBE="$d/bin/aj-probe" \
				AGENTJAIL_TEST="${AGENTJAIL_TEST:+$d/bin/agentjail-test}" \
				AJ_VARIANT="${AJ_VARIANT:-}" \
				AJ_SRCDIR="$d" AJ_STAGE="$d" bash "$script" 2>&1)
			rm -rf "$d"
		fi
	else
		AJ_MODE=user
		tests
		echo "# not root: the root half did not run"
	fi
	echo "1..$_tap_n"
}
