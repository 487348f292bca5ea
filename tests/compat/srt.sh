#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# A real bwrap client: Anthropic's sandbox-runtime (`srt`, npm package
# @anthropic-ai/sandbox-runtime) builds long bwrap command lines (--ro-bind /
# /, /dev/null placeholders, --new-session, --die-with-parent, a seccomp
# helper that makes a nested user namespace, unix-socket bridges made with
# socat).  It must work unchanged with agentjail first on PATH as `bwrap`:
# same results as with Debian's bwrap, denied reads and writes still denied,
# the network allowlist still holding.
. "${AJ_SRCDIR:?}/tests/lib.sh"

SRT_DIR=${AJ_SRT_DIR:-/var/tmp/aj-srt}

install_srt() {
	[ -x "$SRT_DIR/node_modules/.bin/srt" ] && return 0
	[ "$(id -u)" = 0 ] || return 1
	mkdir -p "$SRT_DIR" &&
		timeout 300 npm install --prefix "$SRT_DIR" --no-audit --no-fund \
			@anthropic-ai/sandbox-runtime >"$SRT_DIR/install.log" 2>&1 &&
		chmod -R a+rX "$SRT_DIR"
}

# srt_run BWRAP_DIR SCRIPT: run SCRIPT under srt with BWRAP_DIR first on PATH.
srt_run() {
	(cd "$W/proj" && PATH="$1:/usr/bin:/bin" timeout 120 "$SRT_DIR/node_modules/.bin/srt" \
		--settings "$W/settings.json" -c "$2" 2>&1)
}

tests() {
	local why=""
	command -v node >/dev/null || why="node is not installed"
	[ -z "$why" ] && ! command -v npm >/dev/null && why="npm is not installed"
	[ -z "$why" ] && ! command -v socat >/dev/null && why="socat is not installed"
	[ -z "$why" ] && ! command -v rg >/dev/null && why="ripgrep is not installed"
	[ -z "$why" ] && [ ! -x /usr/bin/bwrap ] && why="Debian's bwrap is not installed"
	[ -z "$why" ] && ! install_srt && why="npm could not install @anthropic-ai/sandbox-runtime (no registry?)"
	if [ -n "$why" ]; then
		tap_skip "sandbox-runtime runs unchanged with agentjail as bwrap" "$why"
		return
	fi

	W=$(mktemp -d /var/tmp/aj-srtw.XXXXXX)
	chmod 755 "$W"
	mkdir -p "$W/proj" "$W/secret" "$W/ajbin" "$W/bwbin"
	echo topsecret >"$W/secret/key"
	ln -s "$AJ" "$W/ajbin/bwrap"
	ln -s /usr/bin/bwrap "$W/bwbin/bwrap"
	local port
	port=$((20000 + RANDOM % 20000))
	/usr/bin/python3 -m http.server "$port" --bind 127.0.0.1 --directory "$W/secret" \
		>/dev/null 2>&1 &
	local server=$!
	cat >"$W/settings.json" <<JSON
{
  "filesystem": { "denyRead": ["$W/secret"], "allowWrite": ["."], "denyWrite": [] },
  "network": { "allowedDomains": ["localhost"], "deniedDomains": [] }
}
JSON
	sleep 0.5
	# The allowed request may retry: once in a loaded CI run srt's own proxy
	# answered nothing (000) under Debian's bwrap and agentjail alike.
	local script="command -v bwrap; echo hello from srt
cat '$W/secret/key' 2>&1 | sed 's/.*key: /read: /'
touch ok.txt && echo project-writable
touch '$W/outside.txt' 2>/dev/null || echo outside-denied
echo x 2>/dev/null >.bashrc || echo bashrc-protected
curl --noproxy '' -s --retry 3 --retry-all-errors --retry-delay 1 -o /dev/null -w 'allowed host: %{http_code}\n' http://localhost:$port/key
curl --noproxy '' -s -o /dev/null -w 'denied host: %{http_code}\n' http://127.0.0.1:$port/key
curl --noproxy '*' -s -m 3 -o /dev/null -w 'direct: %{http_code}\n' http://127.0.0.1:$port/key
exit 3"
	local b a
	b=$(srt_run "$W/bwbin" "$script")
	a=$(srt_run "$W/ajbin" "$script")
	expect_eq "srt found agentjail as bwrap" "$W/ajbin/bwrap" "$(echo "$a" | head -1)"
	expect_eq "srt: same results with agentjail as with bwrap" "$(echo "$b" | sed 1d)" \
		"$(echo "$a" | sed 1d)"
	expect_match "srt: the command ran" "^hello from srt$" "$a"
	expect_match "srt: denyRead stays denied" "^read: No such file or directory$" "$a"
	expect_match "srt: the project is writable" "^project-writable$" "$a"
	expect_match "srt: writes outside stay denied" "^outside-denied$" "$a"
	expect_match "srt: its protected files stay protected" "^bashrc-protected$" "$a"
	expect_match "srt: allowed host reachable through its proxy" "^allowed host: 200$" "$a"
	expect_match "srt: other hosts refused by its proxy" "^denied host: 403$" "$a"
	expect_match "srt: no direct network" "^direct: 000$" "$a"
	expect_eq "srt: nothing was written outside" "absent" \
		"$([ -e "$W/outside.txt" ] && echo present || echo absent)"
	kill "$server" 2>/dev/null
	wait "$server" 2>/dev/null
	rm -rf "$W"
}

aj_main
