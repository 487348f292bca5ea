#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# agentjail learn, end to end: a scripted agent (learn-agent.py) that needs a
# handful of paths and two hosts is learned from the base profile; the
# profile written must read back, keep every secret out, mark what needs a
# look, and let a second run of the same task succeed.  The hosts are
# servers on the host's 127.0.0.1 (learn-server.py), allowed by address the
# way net.sh does: nothing leaves the machine.  Also --verbose on a normal
# run: each denied path and refused host said once.
. "${AJ_SRCDIR:?}/tests/lib.sh"

BASE_INI=$AJ_SRCDIR/profiles/base.ini

make_fixtures() {
	local d=$1
	mkdir -p "$d/home/.fakeagent" "$d/home/tools/bin" "$d/home/tools/share" "$d/home/.ssh" \
		"$d/home/.aws" "$d/home/notes" "$d/home/.local/share/fakeagent" "$d/proj/src"
	echo '{"model": "test"}' >"$d/home/.fakeagent/config.json"
	echo '{"runs": 0}' >"$d/home/.fakeagent/state.json"
	printf '#!/bin/sh\ncat "$HOME/tools/share/data.txt"\n' >"$d/home/tools/bin/helper"
	chmod 755 "$d/home/tools/bin/helper"
	echo "tool data" >"$d/home/tools/share/data.txt"
	echo "//registry.example/:_authToken=SECRET-NPM" >"$d/home/.npmrc"
	echo "SECRET-SSH" >"$d/home/.ssh/id_rsa"
	echo "SECRET-AWS" >"$d/home/.aws/credentials"
	echo "API_KEY=SECRET-DOTENV" >"$d/home/notes/.env"
	echo "unrelated" >"$d/home/notes/other.txt"
	echo "main" >"$d/proj/src/main.txt"
	echo "PROJECT_KEY=SECRET-PROJECT" >"$d/proj/.env"
	cp "$AJ_SRCDIR/tests/launch/learn-agent.py" "$d/home/.local/share/fakeagent/fakeagent.py"
	chmod -R a+rX "$d"
	# Root's sandbox runs as the project's owner: make that the test user.
	if [ "$(id -u)" = 0 ] && id "$AJ_TEST_USER" >/dev/null 2>&1; then
		chown -R "$AJ_TEST_USER:$(id -gn "$AJ_TEST_USER")" "$d/home" "$d/proj"
	fi
}

start_servers() {
	local d=$1
	/usr/bin/python3 "$AJ_SRCDIR/tests/launch/learn-server.py" "$d/ready" "$d/home/sock" \
		>"$d/server.log" 2>&1 &
	SRV=$!
	wait_for_file "$d/ready"
}

# In the project, with the fake home.
in_proj() {
	(cd "$D/proj" && HOME=$D/home "$@")
}

tests() {
	local D AGENT P1 P2 PROFILE root_opts=()
	if ! userns_ok; then
		tap_skip "learn" "no unprivileged user namespaces"
		return
	fi
	D=$(mktemp -d /var/tmp/aj-learn.XXXXXX)
	chmod 755 "$D"
	make_fixtures "$D"
	if ! start_servers "$D"; then
		tap_not_ok "the test's servers start" "$(cat "$D/server.log")"
		rm -rf "$D"
		return
	fi
	trap 'kill "$SRV" 2>/dev/null' EXIT
	read -r P1 P2 <"$D/ready"
	AGENT=(/usr/bin/python3 "$D/home/.local/share/fakeagent/fakeagent.py")
	# Without a test user, root keeps its own ids (its files are root's).
	if [ "$(id -u)" = 0 ] && ! id "$AJ_TEST_USER" >/dev/null 2>&1; then
		root_opts=(--root-maps-to 0:0)
	fi

	# ---- learning ----
	run in_proj "$AJ" learn --profile "$BASE_INI" "${root_opts[@]}" -o "$D/new.ini" -- \
		"${AGENT[@]}" "$P1" "$P2"
	expect_match "learn: the agent runs while learning (its hosts refused)" \
		"config: ok.*state: ok.*helper: ok.*project read: ok.*project write: ok.*host $P1: FAILED RuntimeError: HTTP 403" \
		"$(echo $OUT)"
	expect_eq "learn: the exit status is the command's" 1 "$RC"
	expect_no_match "learn: no secret readable while learning" "LEAKED" "$OUT"
	expect_match "learn: secrets outside the base's rules refused too (~/.npmrc, ~/notes/.env)" \
		"secret .npmrc: refused.*secret notes/.env: refused" "$(echo $OUT)"
	expect_eq "learn: nothing written on the host (a file written in place)" '{"runs": 0}' \
		"$(cat "$D/home/.fakeagent/state.json")"
	if [ ! -e "$D/proj/out" ]; then
		tap_ok "learn: nothing written on the host (a directory made in the project)"
	else
		tap_not_ok "learn: nothing written on the host (a directory made in the project)" \
			"$(ls -la "$D/proj")"
	fi
	PROFILE=$(cat "$D/new.ini" 2>/dev/null)
	expect_match "learn: the profile includes the base" "^include = $BASE_INI$" "$PROFILE"
	expect_match "learn: reads become ro-bind-try, with \${HOME}" \
		'^ro-bind-try = \$\{HOME\}/\.fakeagent/config\.json$' "$PROFILE"
	expect_match "learn: a file written in place becomes bind-try of it" \
		'^bind-try = \$\{HOME\}/\.fakeagent/state\.json$' "$PROFILE"
	expect_match "learn: the project, read and written, is one bind-try line" \
		'^bind-try = \$\{PROJECT\}$' "$PROFILE"
	expect_match "learn: a tool's files become its nearest directory" \
		'^ro-bind-try = \$\{HOME\}/tools$' "$PROFILE"
	expect_match "learn: hosts tried become allow lines" \
		"\[network\] mode = proxy .*allow = 127.0.0.1:$P1 " "$(echo $PROFILE) "
	expect_match "learn: ... each of them" "allow = 127.0.0.1:$P2 " "$(echo $PROFILE) "
	expect_match "learn: outside the project and the agent's config: REVIEW" \
		'^; REVIEW \(outside the project.*\)' "$(printf '%s\n' "$PROFILE" | grep -B1 '^ro-bind-try = ${HOME}/tools$')"
	expect_no_match "learn: the agent's own config is not marked" "REVIEW" \
		"$(printf '%s\n' "$PROFILE" | grep -B1 '^ro-bind-try = ${HOME}/.fakeagent/config.json$')"
	expect_match "learn: an IP address to allow is marked REVIEW" "^; REVIEW \(an IP address\)" \
		"$(printf '%s\n' "$PROFILE" | grep -B1 "^allow = 127.0.0.1:$P1")"
	expect_no_match "learn: never a secret, nor what the base hides" \
		'npmrc|\.ssh|\.aws|\.env|notes' "$(printf '%s\n' "$PROFILE" | grep -v '^;')"
	expect_no_match "learn: never /, /etc, /home, the home or /run as a whole" \
		'^[a-z-]+ = (/|/etc|/home|/run|\$\{HOME\}|'"$D"'/home)$' "$PROFILE"
	expect_match "learn: the summary says what it proposes, who used it and how often" \
		"ro-bind-try  ~/.fakeagent/config.json  read 1 time by python3 \(pid [0-9]+\)" "$ERR"
	expect_match "learn: the summary says why secrets are left out" \
		"~/.npmrc: not proposed: it looks like a secret \(mask \*\*/\.npmrc\)" "$ERR"
	expect_match "learn: ... and what the base hides" "~/.ssh/id_rsa: not proposed: " "$ERR"

	run in_proj "$AJ" --profile "$D/new.ini" --dump-profile
	expect_eq "learn: the profile reads back with agentjail's own parser" 0 "$RC"

	# ---- the second run, with what was learned ----
	run in_proj "$AJ" --profile "$D/new.ini" -- "${AGENT[@]}" "$P1" "$P2"
	expect_eq "learn: a second run with the learned profile succeeds" 0 "$RC"
	expect_match "learn: ... with its files, its writes and its hosts" \
		"state: ok.*project write: ok.*host $P1: ok.*host $P2: ok" "$(echo $OUT)"
	expect_no_match "learn: ... and still no secret" "LEAKED" "$OUT"
	expect_eq "learn: ... whose writes now reach the host" '{"runs": 1}' \
		"$(cat "$D/home/.fakeagent/state.json")"
	run in_proj "$AJ" learn --profile "$D/new.ini" -o "$D/again.ini" -- "${AGENT[@]}" "$P1" "$P2"
	expect_match "learn: learning again from the learned profile finds nothing to add" \
		"nothing to add" "$ERR"

	# ---- host sockets ----
	run in_proj "$AJ" learn --profile "$BASE_INI" "${root_opts[@]}" -o "$D/sock.ini" -- \
		"${AGENT[@]}" --socket "$D/home/sock"
	expect_match "learn: a host socket is unreachable while learning" \
		"socket: FAILED ConnectionRefusedError" "$OUT"
	expect_match "learn: ... and not proposed unless asked" \
		"~/sock: not proposed: a host socket \(--sockets proposes host sockets\)" "$ERR"
	expect_no_match "learn: ... (no socket line)" "^socket = " "$(cat "$D/sock.ini")"
	run in_proj "$AJ" learn --profile "$BASE_INI" "${root_opts[@]}" --sockets -o "$D/sock.ini" -- \
		"${AGENT[@]}" --socket "$D/home/sock"
	expect_match "learn: --sockets proposes it" '^socket = \$\{HOME\}/sock$' "$(cat "$D/sock.ini")"
	expect_match "learn: ... for review" '^; REVIEW \(a host socket' \
		"$(grep -B1 '^socket = ' "$D/sock.ini" | head -1)"
	run in_proj "$AJ" --profile "$D/sock.ini" -- "${AGENT[@]}" --socket "$D/home/sock"
	expect_match "learn: ... and the next run reaches it" "socket: ok" "$OUT"

	# ---- the command line ----
	run "$AJ" learn --help
	expect_match "learn --help" "^usage: agentjail learn \[--profile BASE\]" "$OUT"
	expect_fail "learn: an unknown option is an error" "^agentjail: learn: unknown option --nope$" \
		"$AJ" learn --nope -- true
	expect_fail "learn: -o that cannot be written fails before the run" \
		"^agentjail: learn: -o '/nonexistent/x.ini': No such file or directory$" \
		"$AJ" learn --profile "$BASE_INI" -o /nonexistent/x.ini -- sh -c 'echo ran >&2'
	expect_no_match "learn: ... (the command did not run)" "^ran$" "$ERR"
	expect_fail "learn: a sandbox that cannot be set up writes no profile" \
		"^agentjail: learn: the command did not run: no profile written$" \
		"$AJ" learn --profile "$BASE_INI" -o "$D/failed.ini" --bind /nonexistent /x -- true
	if [ ! -e "$D/failed.ini" ]; then
		tap_ok "learn: ... (and leaves no empty file behind)"
	else
		tap_not_ok "learn: ... (and leaves no empty file behind)" "$(ls -l "$D/failed.ini")"
	fi
	echo "; kept" >"$D/kept.ini"
	run "$AJ" learn --profile "$BASE_INI" -o "$D/kept.ini" --bind /nonexistent /x -- true
	expect_eq "learn: ... nor empties an existing one" "; kept" "$(cat "$D/kept.ini")"

	# ---- --verbose on a normal run ----
	run in_proj "$AJ" --profile "$BASE_INI" "${root_opts[@]}" --verbose -- sh -c \
		"cat $D/home/tools/share/data.txt; cat $D/home/tools/share/data.txt; echo x >/usr/x"
	expect_eq "--verbose: a denied path is reported once, as it happens" 1 \
		"$(printf '%s\n' "$ERR" | grep -c "^agentjail: denied: read $D/home/tools/share/data.txt (cat, pid [0-9]*): not in the sandbox (the host has it)$")"
	expect_match "--verbose: a write to a read-only place says so" \
		"^agentjail: denied: write /usr/x \(sh, pid [0-9]+\): read-only in the sandbox$" "$ERR"
	run in_proj "$AJ" --profile "$BASE_INI" "${root_opts[@]}" --net proxy --allow-host nothing.invalid \
		--ro-bind "$D/home/.local/share/fakeagent" "$D/home/.local/share/fakeagent" \
		--verbose -- "${AGENT[@]}" "$P1" "$P1"
	expect_eq "--verbose: a refused host is reported once" 1 \
		"$(printf '%s\n' "$ERR" | grep -c "^agentjail: proxy: deny 127.0.0.1:$P1 (HTTP): ")"

	kill "$SRV" 2>/dev/null
	wait "$SRV" 2>/dev/null
	trap - EXIT
	rm -rf "$D"
}

aj_main
