#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# run-fuzz.sh FUZZER CORPUS: a bounded libFuzzer run (AJ_FUZZ_SECONDS, default
# 20) starting from the committed corpus.  New inputs go to a scratch
# directory, never into the source tree; to grow the committed corpus, merge
# by hand:  FUZZER -merge=1 tests/fuzz/corpus/NAME SCRATCH
# The parsers' own messages are dropped (fd 2 closed for the target);
# sanitizer reports go to files that are printed when the run fails.
set -u
fuzzer=$1
corpus=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/new"
export ASAN_OPTIONS="log_path=$tmp/report:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$tmp/report:print_stacktrace=1"
"$fuzzer" -max_total_time="${AJ_FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 \
	-close_fd_mask=2 -print_final_stats=1 -artifact_prefix="$tmp/" "$tmp/new" "$corpus"
rc=$?
if [ $rc != 0 ]; then
	cat "$tmp"/report* 2>/dev/null
	for a in "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-*; do
		[ -e "$a" ] && { echo "input $a:"; od -c "$a" | head -20; }
	done
fi
exit $rc
