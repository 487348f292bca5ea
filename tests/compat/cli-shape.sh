#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# What scripts parse: --help and --version output shape and streams, usage
# errors, the argument cap, and that every bwrap option (as `bwrap --help`
# lists it) is accepted.
. "${AJ_SRCDIR:?}/tests/lib.sh"

tests() {
	local t
	t=$(mktemp -d)
	ln -s "$AJ" "$t/bwrap"

	run "$t/bwrap" --help
	expect_eq "--help: exit 0" 0 "$RC"
	expect_eq "--help: first line names argv[0]" "usage: $t/bwrap [OPTIONS...] [--] COMMAND [ARGS...]" \
		"$(echo "$OUT" | head -1)"
	expect_eq "--help: nothing on stderr" "" "$ERR"
	expect_match "--help: bwrap's layout, option padded to column 33" \
		'^    --ro-bind SRC DEST           [A-Z]' "$OUT"
	expect_no_match "--help as bwrap lists no agentjail-only option" "--keep-fd" "$OUT"
	run "$AJ" --help
	expect_match "--help as agentjail lists its own options too" "--keep-fd FD" "$OUT"
	run "$t/bwrap" --help --nonsense
	expect_eq "--help wins over later words" 0 "$RC"

	run "$t/bwrap" --version
	expect_eq "--version as bwrap: one bwrap-shaped line" "bubblewrap 0.11.1" "$OUT"
	run "$AJ" --version
	expect_match "--version as agentjail names itself and the bwrap it matches" \
		'^agentjail [0-9]+\.[0-9]+\.[0-9]+ \(bubblewrap 0\.11\.1 compatible\)$' "$OUT"
	run "$t/bwrap" --unshare-net --version
	expect_eq "--version after other options" "0 bubblewrap 0.11.1" "$RC $OUT"

	run "$t/bwrap"
	expect_eq "no arguments: usage on stderr, exit 1" "1 usage: $t/bwrap [OPTIONS...] [--] COMMAND [ARGS...]" \
		"$RC $(echo "$ERR" | head -1)"

	# Every option of Debian's bwrap is known to agentjail.
	if [ -x /usr/bin/bwrap ]; then
		local opt missing=""
		for opt in $(/usr/bin/bwrap --help | awk '/^    --/ {print $1}'); do
			"$t/bwrap" --help | grep -q -- "^    $opt[ ]" || missing="$missing $opt"
		done
		expect_eq "every option bwrap 0.8 lists is listed" "" "$missing"
	else
		tap_skip "every option bwrap 0.8 lists is listed" "no bwrap installed"
	fi
	local o
	for o in --argv0 --level-prefix --overlay-src --overlay --tmp-overlay --ro-overlay \
		--bind-fd --ro-bind-fd --not-a-security-boundary; do
		"$t/bwrap" --help | grep -q -- "^    $o[ ]" && tap_ok "bwrap 0.9-0.12 option $o is listed" ||
			tap_not_ok "bwrap 0.9-0.12 option $o is listed"
	done

	# At most 9000 arguments, --args included.
	local many
	many=$(for i in $(seq 4501); do printf -- '--dir /d%d ' "$i"; done)
	# shellcheck disable=SC2086
	run "$t/bwrap" $many /probe
	expect_eq "more than 9000 arguments are refused" "1 bwrap: Exceeded maximum number of arguments 9000" \
		"$RC $ERR"
	rm -rf "$t"
}

aj_main
