#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# The three bwrap command lines from the articles agentjail started from, with
# agentjail in bwrap's place, and the results the articles describe.
. "${AJ_SRCDIR:?}/tests/lib.sh"

tests() {
	local t proj home
	# Not under /tmp: each recipe mounts a fresh /tmp over it.
	t=$(mktemp -d /var/tmp/aj-recipe.XXXXXX)
	chmod 755 "$t"
	proj="$t/project"
	mkdir -p "$proj"

	# 1. A shell that sees /usr read-only, no /etc, no network, and can write
	#    the current directory.  /bin, /lib, /lib64 are symlinks into /usr
	#    on Debian 12: bound like bwrap does, by their real path.
	run sh -c "cd '$proj' && exec '$AJ' --ro-bind /usr /usr --ro-bind /bin /bin --ro-bind /lib /lib \
		--ro-bind /lib64 /lib64 --bind \"\$PWD\" \"\$PWD\" --tmpfs /tmp --unshare-all \
		--die-with-parent --proc /proc /usr/bin/bash -c '
			touch /usr/x 2>/dev/null && echo usr-writable || echo usr-readonly
			[ -e /etc ] && echo etc-present || echo etc-absent
			echo hi >written && echo cwd-writable
			(exec 3<>/dev/tcp/1.1.1.1/53) 2>/dev/null && echo net || echo no-net
			[ -x /bin/ls ] && echo bin-ok'"
	expect_eq "recipe 1: /usr read-only, /etc absent, cwd writable, no network" \
		"usr-readonly etc-absent cwd-writable no-net bin-ok" "$(echo $OUT)"
	expect_eq "recipe 1: the write landed in the real directory" hi "$(cat "$proj/written" 2>&1)"

	# 2. Symlinks for /lib and /bin, a fresh /proc and /dev.
	run "$AJ" --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
		--symlink usr/bin /bin --proc /proc --dev /dev --unshare-all --die-with-parent \
		/bin/bash -c '
			ls -A /home 2>/dev/null | wc -l; [ -e /home ] && echo home || echo no-home
			[ -e /etc ] && echo etc || echo no-etc
			(exec 3<>/dev/tcp/1.1.1.1/53) 2>/dev/null && echo net || echo no-net
			echo x >/dev/null && echo devnull-ok'
	expect_eq "recipe 2: /home and /etc absent, no network, /dev/null works" \
		"0 no-home no-etc no-net devnull-ok" "$(echo $OUT)"

	# 3. The Claude Code recipe, with a fake home full of things that must
	#    stay out of reach.
	home="$t/home"
	mkdir -p "$home/.ssh" "$home/.nvm/bin" "$home/.claude" "$home/.aws"
	echo "[user]" >"$home/.gitconfig"
	echo secret-key >"$home/.ssh/id_rsa"
	echo creds >"$home/.aws/credentials"
	echo state >"$home/.claude/state"
	for f in .env .env.local .env.production; do echo "API_KEY=do-not-leak" >"$proj/$f"; done
	local args=(--ro-bind /usr /usr --ro-bind /lib /lib --ro-bind /lib64 /lib64 --ro-bind /bin /bin)
	local f
	for f in /etc/resolv.conf /etc/hosts /etc/ssl /etc/passwd /etc/group; do
		if [ -e "$f" ]; then args+=(--ro-bind "$f" "$f"); fi
	done
	args+=(--ro-bind "$home/.gitconfig" "$home/.gitconfig" --ro-bind "$home/.nvm" "$home/.nvm"
	       --bind "$proj" "$proj" --bind "$home/.claude" "$home/.claude"
	       --tmpfs /tmp --proc /proc --dev /dev --share-net --unshare-pid --die-with-parent
	       --chdir "$proj")
	for f in .env .env.local .env.production; do args+=(--ro-bind /dev/null "$proj/$f"); done
	run "$AJ" "${args[@]}" /bin/bash -c "
		for f in .env .env.local .env.production; do
			printf '%s:%s ' \$f \"\$(cat \$f 2>/dev/null | wc -c)\"
			(echo leak >\$f) 2>/dev/null && echo \$f-writable
		done
		echo; echo edit >main.py && echo project-writable
		echo more >>'$home/.claude/state' && echo claude-writable
		[ -e '$home/.ssh' ] && echo ssh-visible || echo ssh-absent
		[ -e '$home/.aws' ] && echo aws-visible || echo aws-absent
		cat '$home/.gitconfig'"
	expect_eq "recipe 3: .env files read empty and are not writable; project and ~/.claude writable; ~/.ssh absent" \
		".env:0 .env.local:0 .env.production:0 project-writable claude-writable ssh-absent aws-absent [user]" \
		"$(echo $OUT)"
	expect_eq "recipe 3: the real .env kept its content" "API_KEY=do-not-leak" "$(cat "$proj/.env")"
	rm -rf "$t"
}

aj_main
