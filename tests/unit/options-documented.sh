#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# The option table is the single source of --help; every option it lists
# must be documented in the man page.
set -u
AJ=${AGENTJAIL:?}
MAN=${AJ_SRCDIR:?}/man/agentjail.1.scd
n=0
fail=0
for opt in $("$AJ" --help | awk '/^    --/ {print $1}'); do
	n=$((n + 1))
	if grep -qF -- "*$opt*" "$MAN"; then
		echo "ok $n - $opt is in agentjail(1)"
	else
		echo "not ok $n - $opt is missing from man/agentjail.1.scd"
		fail=1
	fi
done
echo "1..$n"
exit $fail
