#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# The launcher under valgrind: no memory error and no definite leak, in the
# monitor, the setup child and the reaper (valgrind follows the forks).
#
# Valgrind 3.19 (Debian 12) does not know openat2 or the new mount API, so
# under it every filesystem operation fails with ENOSYS: the full run is
# made an empty sandbox (everything but the operations runs: parsing, the
# seccomp filter built, clone, id maps, the base tmpfs and both pivots, the
# stages, the reaper, exec); a sandbox with operations is checked too when
# the installed valgrind can run it.
. "${AJ_SRCDIR:?}/tests/lib.sh"

VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --suppressions="$AJ_SRCDIR/tests/valgrind.supp")

# clean NAME: no valgrind report in $ERR (its lines start with ==PID==).
clean() {
	expect_eq "$1" "" "$(echo "$ERR" | grep -E '^==[0-9]+==' | head -20)"
}

tests() {
	run "${VG[@]}" "$AJ" --version
	expect_eq "--version exits 0 under valgrind" 0 "$RC"
	clean "--version: valgrind clean"
	run "${VG[@]}" "$AJ" --bind /usr
	clean "a parse error: valgrind clean"

	run "${VG[@]}" "$AJ" --hardened --unshare-all --die-with-parent -- /nonexistent-command
	expect_match "a hardened empty sandbox runs up to exec" \
		"execvp /nonexistent-command: No such file or directory" "$ERR"
	expect_eq "... exit status 1 (not valgrind's 99)" 1 "$RC"
	clean "a hardened empty sandbox: valgrind clean (monitor, setup, reaper)"
	run "${VG[@]}" "$AJ" --unshare-user-try --die-with-parent -- /nonexistent-command
	clean "a bwrap-style empty sandbox: valgrind clean"

	run "${VG[@]}" "$AJ" "${BASE[@]}" --unshare-pid /probe exit 0
	if echo "$ERR" | grep -q "Function not implemented"; then
		tap_skip "a plain run with binds: valgrind clean" \
			"this valgrind ($(valgrind --version)) lacks openat2 and the new mount API"
	else
		expect_eq "a plain run with binds exits 0 under valgrind" 0 "$RC"
		clean "a plain run with binds: valgrind clean"
	fi
}

aj_main
