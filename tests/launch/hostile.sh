#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# What a previous sandboxed run could have planted in the project or in a
# writable bind, and the next run must not fall for: links that would point a
# mask, a protection or a bind somewhere else, a gitdir pointer leading out,
# a directory made unreadable to hide secrets from the walk.
. "${AJ_SRCDIR:?}/tests/lib.sh"

aj_env() {
	env -i PATH=/usr/bin:/bin HOME="$T/home" LANG=C TERM=dumb "$@"
}

in_dir() {
	(cd "$1" && shift && "$@")
}

# sandbox DIR PROFILE-ARGS... -- COMMAND: run in DIR with a fresh project copy.
prof() {
	run in_dir "$P" aj_env "$AJ" --profile "$AJ_SRCDIR/profiles/$1.ini" "${@:2}"
}

fresh_project() {
	rm -rf "$P"
	mkdir -p "$P/secrets" "$P/githooks"
	git -C "$P" init -q
	echo "DECOY-real-secret" >"$P/secrets/plain.txt"
	echo '#!/bin/sh' >"$P/githooks/pre-commit"
}

tests() {
	T=$(mktemp -d /var/tmp/aj-hostile.XXXXXX)
	chmod 755 "$T"
	P="$T/proj"
	mkdir -p "$T/home/.ssh" "$T/home/.claude"
	echo "DECOY-ssh" >"$T/home/.ssh/id_rsa"

	# A .env that is a link: what it shows is masked, wherever in the project.
	fresh_project
	ln -s secrets/plain.txt "$P/.env"
	ln -s /dev/null "$P/.env.dev"
	prof default -- sh -c 'wc -c <.env; wc -c <secrets/plain.txt; echo x >/dev/null && echo devnull-ok'
	expect_eq "a .env link: its target reads empty; a link to /dev/null leaves /dev/null alone" \
		"0 0 devnull-ok" "$(echo $OUT)"

	# .git/hooks replaced by a link: the link cannot be swapped, its target is protected.
	fresh_project
	rm -rf "$P/.git/hooks"
	ln -s ../githooks "$P/.git/hooks"
	prof default -- sh -c '
		(echo evil >>githooks/pre-commit) 2>/dev/null && echo target-changed
		(rm .git/hooks) 2>/dev/null && echo link-removed
		(mv githooks gh2) 2>/dev/null && echo target-moved
		(ln -sfn /tmp .git/hooks) 2>/dev/null && echo link-swapped
		echo done'
	expect_eq "a hooks link: neither the link nor its target can be changed" "done" "$OUT"
	expect_eq "a hooks link: the host's hook is intact" "#!/bin/sh" "$(cat "$P/githooks/pre-commit")"

	# A hooks link to something missing: the sandbox could create it; refuse to start.
	fresh_project
	rm -rf "$P/.git/hooks"
	ln -s ../not-there "$P/.git/hooks"
	prof default -- touch "$T/started"
	expect_match "a dangling hooks link: the launch is refused" \
		"protect '$P/.git/hooks': a symbolic link to something missing" "$ERR"
	expect_eq "a dangling hooks link: exit 1, nothing ran" "1 absent" \
		"$RC $([ -e "$T/started" ] && echo present || echo absent)"

	# A bind source reached through a link inside a writable bind is refused.
	fresh_project
	ln -s "$T/home/.ssh" "$P/cache"
	prof default --ro-bind "$P/cache" /mnt/cache -- cat /mnt/cache/id_rsa
	expect_match "a bind through a link the sandbox could have planted: refused" \
		"bind source '$P/cache' goes through the symbolic link '$P/cache', which is inside the writable '$P'" \
		"$ERR"
	expect_no_match "a bind through a planted link: nothing read" "DECOY" "$OUT"

	# Links planted in a writable bind lead nowhere: only what the profile names exists.
	ln -sfn ../.ssh "$T/home/.claude/ssh-link"
	mkdir -p "$T/home/.local/bin"
	prof claude -- sh -c 'cat ~/.claude/ssh-link/id_rsa 2>/dev/null; ls ~/.ssh 2>/dev/null; echo end'
	expect_eq "a link planted in ~/.claude leads nowhere" "end" "$OUT"

	# A gitdir pointer leading out of the project shows nothing of where it points.
	fresh_project
	mkdir -p "$P/sub"
	echo "gitdir: $T/home/.ssh" >"$P/sub/.git"
	prof default -- sh -c 'cat '"$T"'/home/.ssh/id_rsa 2>/dev/null; (echo x >sub/.git) 2>/dev/null && echo changed; echo end'
	expect_eq "a gitdir file pointing out: nothing shown, the pointer itself protected" "end" "$OUT"

	# Nested namespaces cannot lift a mask: the mounts are locked to their
	# parents (no umount, no bind of the directory without its submounts).
	fresh_project
	echo "DECOY" >"$P/.env"
	prof default -- sh -c 'unshare -Urm true 2>/dev/null || { echo no-nested; exit 0; }
		unshare -Urm sh -c "umount '"$P"'/.env; mkdir /tmp/m /tmp/n
			mount --bind '"$P"' /tmp/m && cat /tmp/m/.env
			mount --rbind '"$P"' /tmp/n && cat /tmp/n/.env; cat '"$P"'/.env" 2>/dev/null
		echo nested'
	if [ "$OUT" = no-nested ]; then
		tap_skip "a nested user and mount namespace cannot unmask a file" \
			"no user namespace inside the sandbox here"
	else
		expect_eq "a nested user and mount namespace cannot unmask a file" "nested" "$OUT"
	fi

	# A directory of ours we cannot read could hide secrets from the walk: refuse.
	if [ "$(id -u)" != 0 ]; then
		fresh_project
		mkdir -p "$P/locked"
		echo "DECOY" >"$P/locked/.env"
		chmod 000 "$P/locked"
		prof default -- touch "$T/started"
		expect_match "an unreadable directory of the user's in the project: refused" \
			"cannot read '$P/locked' to look for secrets and repositories" "$ERR"
		chmod 755 "$P/locked"
	else
		tap_skip "an unreadable directory of the user's in the project: refused" \
			"root reads every directory"
	fi
	rm -rf "$T"
}

aj_main
