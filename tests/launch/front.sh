#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# agentjail's front end: zero-config runs, -c, --profile and options after it,
# --explain, --dump-profile, the search path, and every bad profile stopping
# the launch with file:line before the command runs.
. "${AJ_SRCDIR:?}/tests/lib.sh"

# aj_env CMD...: run with a clean environment, the fake home and the profiles
# in $XDG_CONFIG_HOME/agentjail (the staged binary is not in a build tree).
aj_env() {
	env -i PATH=/usr/bin:/bin HOME="$T/home" XDG_CONFIG_HOME="$T/xdg" LANG=C TERM=dumb \
		SHELL=/bin/bash AWS_SECRET_ACCESS_KEY=DECOY "$@"
}

in_dir() {
	(cd "$1" && shift && "$@")
}

# in_proj DIR CMD...: run (RC, OUT, ERR) CMD in DIR.
in_proj() {
	run in_dir "$@"
}

tests() {
	local p marker out1 out2
	T=$(mktemp -d /var/tmp/aj-front.XXXXXX)
	chmod 755 "$T"
	mkdir -p "$T/home" "$T/xdg/agentjail" "$T/proj/sub"
	cp "$AJ_SRCDIR"/profiles/*.ini "$T/xdg/agentjail/"
	p="$T/proj"
	git -C "$p" init -q
	echo "TOKEN=DECOY" >"$p/.env"
	echo "TOKEN=DECOY" >"$p/sub/.env.local"

	# Zero-config: -c runs one command in the default profile, in the project.
	in_proj "$p/sub" aj_env "$AJ" -c 'echo "$AGENTJAIL:$PWD:$(cat ../.env | wc -c)"; env | grep -c DECOY; true'
	expect_eq "-c: runs in the default profile, in the working directory, secrets masked" \
		"1:$p/sub:0
0" "$OUT"
	expect_eq "-c: exit status 0" 0 "$RC"
	in_proj "$p" aj_env "$AJ" -c 'exit 7'
	expect_eq "-c: the command's exit status" 7 "$RC"

	# No arguments: an interactive shell with a marked prompt (fed on stdin here).
	# (bash drops PS1 when not interactive: read what it was given.)
	cat >"$T/stdin.sh" <<'EOF'
tr '\0' '\n' </proc/$$/environ | grep '^PS1=' | sed 's/^PS1/ps1/'
echo "chroot=$debian_chroot"
exit 3
EOF
	run sh -c "cd '$p' && exec env -i PATH=/usr/bin:/bin HOME='$T/home' XDG_CONFIG_HOME='$T/xdg' \
		SHELL=/bin/bash '$AJ' <'$T/stdin.sh'"
	expect_eq "no arguments: starts \$SHELL in the default profile" 3 "$RC"
	expect_eq "no arguments: says where it is" "agentjail: sandboxed in $p (profile default)" \
		"$(echo "$ERR" | grep sandboxed)"
	expect_match "no arguments: the prompt is marked" '^ps1=\(agentjail\) ' "$OUT"
	expect_match "no arguments: Debian's bash.bashrc shows the mark too" '^chroot=agentjail$' "$OUT"
	run sh -c "cd '$p' && echo 'exit 0' | env -i PATH=/usr/bin:/bin HOME='$T/home' \
		XDG_CONFIG_HOME='$T/xdg' '$AJ' --quiet"
	expect_eq "agentjail's own options alone still start the shell" 0 "$RC"
	expect_eq "--quiet hides the notice" "" "$ERR"

	# The project is the git top level; never the home directory or above.
	in_proj "$p/sub" aj_env "$AJ" --explain
	expect_match "the project is the git top level of the working directory" \
		"^  project: +$p\$" "$OUT"
	in_proj "$T/home" aj_env "$AJ" -c true
	expect_eq "refuses to make the home directory the project (exit 1)" 1 "$RC"
	expect_match "refuses to make the home directory the project (the message)" \
		"the project would be '$T/home', which holds your home directory; run agentjail in a project directory or name one with --project DIR" \
		"$ERR"
	in_proj "$T/home" aj_env "$AJ" --project "$p/sub" -c "wc -c <'$p/sub/.env.local'; [ -e '$p/.env' ] && echo visible || echo absent"
	expect_eq "--project names the project" "0
absent" "$OUT"

	# Explain: plain words, with the matched files.
	in_proj "$p" aj_env "$AJ" --explain
	expect_eq "--explain exits 0 without running anything" 0 "$RC"
	expect_match "--explain lists the read-write project" "^  read-write +$p\$" "$OUT"
	expect_match "--explain lists masked files" "^ +$p/sub/.env.local\$" "$OUT"
	expect_match "--explain lists git protection" "^  protected +$p/.git/config  \(git config of $p\)" "$OUT"
	expect_match "--explain gives the network mode" "^  mode: none" "$OUT"
	expect_no_match "--explain never prints a variable's value" "DECOY" "$OUT"
	expect_eq "--explain creates no placeholder" "" "$(ls -d "$p/.envrc" "$p/.vscode" 2>/dev/null)"
	in_proj "$p" aj_env "$AJ" --explain --profile claude --net host --bind "$T/xdg" "$T/xdg"
	expect_match "options after the profile win (--net host)" "^  mode: host" "$OUT"
	expect_match "options after the profile add to it (--bind)" "^  read-write +$T/xdg\$" "$OUT"
	expect_match "--explain names the profile's file" "^  profile: +claude \($T/xdg/agentjail/claude.ini\)" "$OUT"

	# Dump: the effective profile, which reads back to itself.
	in_proj "$p" aj_env "$AJ" --dump-profile --profile claude --ro-bind /opt /opt --setenv X 'a b'
	out1=$OUT
	expect_match "--dump-profile inlines base" "^ro-bind = /usr$" "$out1"
	expect_match "--dump-profile expands variables" "^bind = $p$" "$out1"
	expect_match "--dump-profile adds options after the profile" "^ro-bind = /opt /opt$" "$out1"
	expect_match "--dump-profile quotes what needs it" "^set = 'X=a b'$" "$out1"
	expect_no_match "--dump-profile has no include" "^include" "$out1"
	echo "$out1" >"$T/dumped.ini"
	in_proj "$p" aj_env "$AJ" --dump-profile --profile "$T/dumped.ini"
	out2=$OUT
	expect_eq "--dump-profile reads back to the same profile" \
		"$(echo "$out1" | grep -v '^;')" "$(echo "$out2" | grep -v '^;')"

	# Options before the profile come first, so the profile's win over them.
	in_proj "$p" aj_env "$AJ" --explain --net host --profile default
	expect_match "options before the profile come first (the profile's mode wins)" "^  mode: none" "$OUT"

	# The command: a profile's own, or the one after --.
	in_proj "$p" aj_env "$AJ" --profile default -- sh -c 'echo ran:$AGENTJAIL'
	expect_eq "--profile NAME -- COMMAND" "ran:1" "$OUT"

	# Search path: $XDG_CONFIG_HOME/agentjail, '.ini' optional, paths as given.
	printf '[profile]\ninclude = default\ncommand = sh -c "echo mine"\n' >"$T/xdg/agentjail/mine.ini"
	in_proj "$p" aj_env "$AJ" --profile mine
	expect_eq "a profile in \$XDG_CONFIG_HOME/agentjail, its command" "mine" "$OUT"
	in_proj "$p" aj_env "$AJ" --profile "$T/xdg/agentjail/mine"
	expect_eq "a profile by path, .ini left out" "mine" "$OUT"

	# Host sockets only by name: the one named is reachable, nothing else next to it.
	mkdir -p "$T/run"
	/usr/bin/python3 - "$T/run" <<'EOF' &
import os, socket, sys
socks = []
for name in ("agent.sock", "other.sock"):
    s = socket.socket(socket.AF_UNIX)
    s.bind(os.path.join(sys.argv[1], name))
    # Root's profile sandbox runs as another uid (root-maps-to): let it connect.
    os.chmod(os.path.join(sys.argv[1], name), 0o666)
    s.listen(4)
    socks.append(s)
open(os.path.join(sys.argv[1], "ready"), "w").close()
c, _ = socks[0].accept()
c.sendall(b"hello from the host\n")
c.close()
EOF
	local server=$! i
	for i in $(seq 50); do [ -e "$T/run/ready" ] && break; sleep 0.1; done
	in_proj "$p" aj_env "$AJ" --socket "$T/run/agent.sock" -c "ls '$T/run'; /usr/bin/python3 -c '
import socket; s = socket.socket(socket.AF_UNIX); s.connect(\"$T/run/agent.sock\"); print(s.recv(64).decode().strip())'"
	expect_eq "--socket: the named socket works, nothing else of its directory is there" \
		"agent.sock
hello from the host" "$OUT"
	kill "$server" 2>/dev/null
	wait "$server" 2>/dev/null
	in_proj "$p" aj_env "$AJ" --socket "$T/run/ready" -c true
	expect_eq "--socket of something that is not a socket" \
		"agentjail: argument 1: socket '$T/run/ready': not a socket" "$ERR"

	# Invoked as bwrap nothing of this exists; as agentjail with options only, usage.
	ln -s "$AJ" "$T/bwrap"
	run "$T/bwrap"
	expect_match "as bwrap, no arguments still print usage" "^usage: $T/bwrap" "$ERR"
	expect_eq "as bwrap, no arguments still exit 1" 1 "$RC"
	run "$T/bwrap" --profile default true
	expect_eq "as bwrap, --profile is unknown" "bwrap: Unknown option --profile" "$ERR"

	# Bad profiles: exit 1, file:line, and the command never starts.
	marker="$T/started"
	bad() {
		local name=$1 re=$2 text=$3
		printf '%b' "$text" >"$T/xdg/agentjail/bad.ini"
		rm -f "$marker"
		in_proj "$p" aj_env "$AJ" --profile bad -- touch "$marker"
		if [ "$RC" = 1 ] && [ ! -e "$marker" ] && printf '%s\n' "$ERR" | grep -Eq -- "$re"; then
			tap_ok "bad profile: $name"
		else
			tap_not_ok "bad profile: $name" "rc=$RC" "stderr: $ERR" \
				"started: $([ -e "$marker" ] && echo yes || echo no)" "expected: $re"
		fi
	}
	local f="$T/xdg/agentjail/bad.ini"
	bad "unknown section" "^agentjail: $f:2: unknown section \[filesytem\]$" \
		'[profile]\n[filesytem]\nbind = /x\n'
	bad "unknown key" "^agentjail: $f:3: unknown key 'bnd' in \[filesystem\]$" \
		'[filesystem]\nbind = /usr\nbnd = /x\n'
	bad "bad value" "^agentjail: $f:2: --net takes none, host or proxy, not 'everything'$" \
		'[network]\nmode = everything\n'
	bad "unknown variable" "^agentjail: $f:2: bind: unknown variable \\$\{PROJECTS\}$" \
		'[filesystem]\nbind = ${PROJECTS}\n'
	bad "missing include" "^agentjail: $f:2: include 'nope': no such profile \(looked in " \
		'[profile]\ninclude = nope\n'
	printf '[profile]\ninclude = bad\n' >"$T/xdg/agentjail/loop.ini"
	bad "include cycle" "include cycle: $f -> $T/xdg/agentjail/loop.ini -> $f$" \
		'[profile]\ninclude = loop\n'
	bad "a line inih would split" "^agentjail: $f:2: line longer than 197 bytes" \
		"[filesystem]\nbind = /$(printf '%0200d' 0)\n"
	bad "an indented line" "^agentjail: $f:3: indented line" '[filesystem]\nbind = /usr\n  /x\n'
	bad "a missing bind source" "^agentjail: Can't find source path /no/such/dir: No such file or directory$" \
		'[filesystem]\nbind = /no/such/dir\n'
	rm -f "$marker"
	in_proj "$p" aj_env "$AJ" --profile nosuch -- touch "$marker"
	expect_match "a profile that does not exist" \
		"^agentjail: profile 'nosuch' not found \(looked in $T/xdg/agentjail, " "$ERR"
	in_proj "$p" aj_env "$AJ" -c true -- touch "$marker"
	expect_eq "-c and a command do not go together" \
		"agentjail: -c COMMAND and a command after the options do not go together" "$ERR"
	in_proj "$p" aj_env "$AJ" --profile default --profile claude true
	expect_match "one profile per run" "only one profile per run" "$ERR"
	expect_eq "no bad run started its command" "absent" "$([ -e "$marker" ] && echo present || echo absent)"
	rm -rf "$T"
}

aj_main
