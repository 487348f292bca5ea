#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# The whole test suite, as the README's quick start runs it:
#   sudo tests/run-all.sh
# As root it installs the Debian packages the tests need (when missing) and
# the unprivileged test user, so every launch test runs as root and as that
# user.  It builds and tests twice: a normal -Dwerror build, then one with
# AddressSanitizer and UndefinedBehaviorSanitizer; then, when clang is there,
# a libFuzzer build runs the fuzz suite (AJ_SKIP_FUZZ=1 skips it).  The last line is
# "N passed, N failed", counting every TAP test case.
set -u
cd "$(dirname "$0")/.." || exit 1
SRC=$PWD
AJ_TEST_USER=${AJ_TEST_USER:-ajtest}
export AJ_TEST_USER

PACKAGES="meson ninja-build pkg-config gcc libc6-dev libseccomp-dev libcap-dev libinih-dev
	bubblewrap util-linux iproute2 socat curl python3 git ripgrep clang libclang-rt-dev valgrind"

if [ "$(id -u)" = 0 ]; then
	missing=""
	for p in $PACKAGES; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "== installing:$missing"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null ||
			{ echo "apt-get install failed"; echo "0 passed, 1 failed"; exit 1; }
	fi
	if ! id "$AJ_TEST_USER" >/dev/null 2>&1; then
		useradd --create-home --shell /bin/bash "$AJ_TEST_USER" ||
			{ echo "cannot create $AJ_TEST_USER"; echo "0 passed, 1 failed"; exit 1; }
	fi
else
	echo "== not root: only the unprivileged half of the launch tests runs"
fi

status=0
builds=()

# build DIR MESON-OPTIONS...
build_and_test() {
	local dir=$1
	shift
	echo "== $dir: meson setup $*"
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; status=1; return; }
	else
		meson configure "$dir" "$@" >/dev/null 2>&1
	fi
	meson compile -C "$dir" || { status=1; return; }
	builds+=("$dir")
	meson test -C "$dir" --print-errorlogs --no-rebuild "${AJ_TEST_ARGS[@]}" || status=1
}

AJ_TEST_ARGS=()
build_and_test build-test -Dwerror=true
if [ "${AJ_SKIP_SANITIZERS:-}" != 1 ]; then
	build_and_test build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
fi
# The libFuzzer harnesses (clang), each run for a short bounded time.
if [ "${AJ_SKIP_FUZZ:-}" != 1 ] && command -v clang >/dev/null; then
	AJ_TEST_ARGS=(--suite fuzz)
	CC=clang build_and_test build-fuzz -Dwerror=true -Dfuzz=true
fi

# Count TAP cases (a non-TAP test counts as one case).
/usr/bin/python3 - "${builds[@]}" <<'PY'
import json, re, sys
passed = failed = skipped = 0
for d in sys.argv[1:]:
    try:
        lines = open(d + "/meson-logs/testlog.json").read().splitlines()
    except OSError:
        failed += 1
        continue
    for line in lines:
        t = json.loads(line)
        out = t.get("stdout") or ""
        cases = [l for l in out.splitlines() if re.match(r"(not )?ok\b", l)]
        if cases:
            for c in cases:
                if c.startswith("not ok"):
                    failed += 1
                elif "# SKIP" in c:
                    skipped += 1
                else:
                    passed += 1
            if t.get("result") not in ("OK", "SKIP") and not any(c.startswith("not ok") for c in cases):
                failed += 1  # crashed or timed out after its last case
        elif t.get("result") in ("OK",):
            passed += 1
        elif t.get("result") == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{skipped} skipped")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
rc=$?
[ $status = 0 ] && exit $rc
exit 1
