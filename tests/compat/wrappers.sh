#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# Command lines as people write them: a one-liner of the kind the bwrap man
# page shows, a Flatpak-style wrapper (options through --args, generated
# /etc/passwd with --ro-bind-data, runtime dirs, locks, sync and info fds),
# and published agent recipes.  Each runs with Debian's bwrap and with
# agentjail in its place (BWRAP=...), and the outputs must be the same.
. "${AJ_SRCDIR:?}/tests/lib.sh"
. "$AJ_SRCDIR/tests/compat/common.sh"

# A man-page style one-liner: a throwaway shell with the host's /usr.
oneliner() {
	"$1" --ro-bind /usr /usr --symlink usr/lib64 /lib64 --symlink usr/lib /lib --symlink usr/bin /bin \
		--proc /proc --dev /dev --unshare-pid --unshare-uts --hostname sandbox \
		bash -c 'echo $$ $(hostname); ls / | tr "\n" " "; echo; id -u; test -w /usr || echo usr-ro'
}

# A Flatpak-style wrapper: most options go through an --args fd, the
# identity files are generated, the app sees its own runtime dir.
flatpak_like() {
	local BWRAP_BIN=$1 uid app
	uid=$(id -u)
	app="$W/app"
	printf '%s\0' --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
		--symlink usr/bin /bin --proc /proc --dev /dev --tmpfs /tmp \
		--dir "/run/user/$uid" --setenv XDG_RUNTIME_DIR "/run/user/$uid" \
		--ro-bind "$app" /app --setenv PATH /app/bin:/usr/bin \
		--lock-file /app/.ref --unshare-pid --unshare-ipc --die-with-parent --new-session \
		>"$W/args"
	printf 'app:x:%s:%s:App:/home/app:/bin/sh\n' "$uid" "$(id -g)" >"$W/passwd"
	printf 'app:x:%s:\n' "$(id -g)" >"$W/group"
	"$BWRAP_BIN" --args 10 --ro-bind-data 11 /etc/passwd --ro-bind-data 12 /etc/group \
		--sync-fd 13 --info-fd 14 --chdir /app hello \
		10<"$W/args" 11<"$W/passwd" 12<"$W/group" 13>/dev/null 14>"$W/info"
	echo "exit=$?"
	sed -E 's/[0-9]{2,}/N/g' "$W/info"
}

# A published agent recipe: read-only system, writable project, the agent's
# own state directory, secrets masked with /dev/null, host network.
agent_recipe() {
	local BWRAP_BIN=$1
	(cd "$W/project" && "$BWRAP_BIN" --ro-bind /usr /usr --ro-bind /lib /lib --ro-bind /lib64 /lib64 \
		--ro-bind /bin /bin --ro-bind-try /etc/ssl /etc/ssl --ro-bind-try /etc/hosts /etc/hosts \
		--bind "$W/project" "$W/project" --bind "$W/state" "$W/state" \
		--ro-bind /dev/null "$W/project/.env" --tmpfs /tmp --proc /proc --dev /dev \
		--share-net --unshare-pid --die-with-parent --new-session --chdir "$W/project" \
		bash -c 'cat .env | wc -c; echo work >out.txt && cat out.txt; ls -a | tr "\n" " "; echo;
			 echo x >>"'"$W"'/state/log" && echo state-ok; cat /etc/shadow 2>&1 | head -1')
}


reset_outputs() {
	rm -f "$W/project/out.txt" "$W/state/log"
}

tests() {
	if [ -z "$BWRAP" ] || [ ! -x "$BWRAP" ]; then
		tap_skip "wrapper scripts" "no bwrap installed"
		return
	fi
	W=$(mktemp -d /var/tmp/aj-wrap.XXXXXX)
	chmod 755 "$W"
	compat_setup "$W"
	mkdir -p "$W/app/bin" "$W/project" "$W/state"
	touch "$W/app/.ref"
	printf '#!/bin/sh\necho "hello from $(id -un) in $PWD, runtime $XDG_RUNTIME_DIR"\nls -ld /run/user/* | cut -c1-10\n' \
		>"$W/app/bin/hello"
	chmod 755 "$W/app/bin/hello"
	echo "TOKEN=secret" >"$W/project/.env"

	BOTH_RESET=reset_outputs
	local name
	for name in "man-page one-liner:oneliner" \
		"Flatpak-style wrapper (--args, --ro-bind-data, lock, sync and info fds):flatpak_like" \
		"agent recipe with masked .env:agent_recipe"; do
		both "${name%:*}" "${name##*:}"
		expect_no_match "${name%:*}: it ran (no setup error)" "^TOOL: " "$BOTH_OUT"
	done
	unset BOTH_RESET
	# The same scripts with agentjail under its own name (BWRAP=agentjail).
	local a b
	b=$(agent_recipe "$BWRAP" 2>&1)
	rm -f "$W/project/out.txt" "$W/state/log"
	a=$(agent_recipe "$AJ" 2>&1)
	expect_eq "BWRAP=agentjail runs the agent recipe the same" "$b" "$a"
	rm -rf "$W"
}

aj_main
