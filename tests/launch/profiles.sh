#!/bin/bash
# SPDX-License-Identifier: LGPL-2.0-or-later
# Every shipped profile, run the way people run it (agentjail --profile NAME,
# the profile's own command), against a fake home full of decoy secrets and a
# project with .env files at several depths and nested git repositories.  The
# "agent" is a stub on PATH that reports what it could do.
. "${AJ_SRCDIR:?}/tests/lib.sh"

PROFILES="default claude codex gemini goose aider opencode"

# The agent stub: one line per check, "check:result".
write_stub() {
	cat >"$1" <<'STUB'
#!/bin/bash
p=$PWD
echo "cwd:$p"
if echo written >"$p/agent-wrote" 2>/dev/null; then echo "write:ok"; else echo "write:no"; fi
for f in .ssh/id_rsa .ssh/config .aws/credentials .config/gcloud/credentials.db .netrc \
	.docker/config.json .mozilla/firefox/x.default/key4.db \
	.config/google-chrome/Default/Cookies .gnupg/private-keys-v1.d/k.key .git-credentials \
	.kube/config; do
	if grep -q DECOY "$HOME/$f" 2>/dev/null; then echo "leak:$f"; fi
	if [ -e "$HOME/.ssh" ] && ls -A "$HOME/.ssh" 2>/dev/null | grep -q .; then echo "leak:ls-ssh"; fi
done
if env | grep -q DECOY; then echo "leak:env"; fi
for f in .env sub/.env.local sub/deep/er/.env.production nested/.env nested/inner/.env.test \
	certs/server.pem nested/id_rsa; do
	echo "mask:$f:$(wc -c <"$f" 2>/dev/null || echo unreadable)"
done
try() {
	if (eval "$2") >/dev/null 2>&1; then echo "changed:$1"; else echo "kept:$1"; fi
}
try hook 'echo evil >>.git/hooks/pre-commit'
try new-hook 'echo evil >.git/hooks/post-checkout'
try rm-hooks 'rm -rf .git/hooks && [ ! -e .git/hooks ]'
try config 'echo "[core]" >>.git/config'
try rename-git 'mv .git .git-old'
try nested-hook 'echo evil >>nested/.git/hooks/pre-commit'
try nested-config 'echo x >>nested/.git/config'
try nested-husky 'echo evil >nested/.husky/pre-commit'
try rename-nested 'mv nested nested-old'
try module-hook 'echo evil >>.git/modules/mod/hooks/pre-commit'
try module-pointer 'echo "gitdir: /tmp" >mod/.git'
try envrc 'echo evil >.envrc'
try vscode 'mkdir -p .vscode && echo {} >.vscode/tasks.json'
try mcp 'echo {} >.mcp.json'
try env-file 'echo leak >>.env'
if git add agent-wrote && git -c user.name=t -c user.email=t@t commit -qm agent; then
	echo "commit:ok"
else
	echo "commit:failed"
fi
git branch agent-branch && echo "branch:ok"
echo "env:$(env | cut -d= -f1 | grep -v '^_$' | LC_ALL=C sort | tr '\n' ' ')"
STUB
	chmod 755 "$1"
}

# make_world DIR: DIR/home (decoys, the stub) and DIR/proj (secrets, repos).
make_world() {
	local t=$1 h=$1/home p=$1/proj f
	mkdir -p "$h/.local/bin" "$h/.ssh" "$h/.aws" "$h/.config/gcloud" "$h/.docker" \
		"$h/.mozilla/firefox/x.default" "$h/.config/google-chrome/Default" \
		"$h/.gnupg/private-keys-v1.d" "$h/.kube" "$h/.claude" "$h/.codex" "$h/.gemini"
	for f in .ssh/id_rsa .ssh/config .aws/credentials .config/gcloud/credentials.db .netrc \
		.docker/config.json .mozilla/firefox/x.default/key4.db \
		.config/google-chrome/Default/Cookies .gnupg/private-keys-v1.d/k.key .git-credentials \
		.kube/config; do
		echo "DECOY secret $f" >"$h/$f"
	done
	printf '[user]\n\tname = Test\n\temail = t@example.com\n' >"$h/.gitconfig"
	for f in claude codex gemini goose aider opencode; do write_stub "$h/.local/bin/$f"; done

	mkdir -p "$p/sub/deep/er" "$p/certs" "$p/nested/inner"
	# The default profile sees nothing of the home directory: its stub is in the project.
	write_stub "$p/agent-stub"
	echo "API_KEY=DECOY-top" >"$p/.env"
	echo "API_KEY=DECOY-sub" >"$p/sub/.env.local"
	echo "API_KEY=DECOY-deep" >"$p/sub/deep/er/.env.production"
	echo "DECOY-cert" >"$p/certs/server.pem"
	echo "main" >"$p/main.py"
	(
		cd "$p" || exit 1
		git init -q . && git add main.py && git -c user.name=t -c user.email=t@t commit -qm init
		echo agent-stub >>.git/info/exclude
		echo '#!/bin/sh' >.git/hooks/pre-commit && chmod 755 .git/hooks/pre-commit
		# A submodule-shaped repository: a .git file pointing into .git/modules.
		mkdir -p mod .git/modules && git init -q --separate-git-dir .git/modules/mod mod
		echo '#!/bin/sh' >.git/modules/mod/hooks/pre-commit
		# A nested repository using husky's hooksPath.
		cd nested && git init -q . && git config core.hooksPath .husky/_
		mkdir -p .husky/_ && echo '#!/bin/sh' >.husky/pre-commit
		echo '#!/bin/sh' >.git/hooks/pre-commit
		echo "API_KEY=DECOY-nested" >.env
		echo "API_KEY=DECOY-inner" >inner/.env.test
		echo "DECOY-key" >id_rsa
	) || return 1
	chmod -R go+rX "$t"
}

# run_profile NAME: sets RC OUT ERR
run_profile() {
	local name=$1
	run env -i PATH="$HOME_DIR/.local/bin:/usr/bin:/bin" HOME="$HOME_DIR" TERM=dumb LANG=C.UTF-8 \
		AWS_SECRET_ACCESS_KEY=DECOY-aws GITHUB_TOKEN=DECOY-gh SSH_AUTH_SOCK=/tmp/DECOY.sock \
		ANTHROPIC_API_KEY=sk-test OPENAI_API_KEY=sk-test GEMINI_API_KEY=g-test \
		GOOSE_PROVIDER=openai DATABASE_URL=DECOY-db \
		sh -c "cd '$PROJ' && exec '$AJ' --profile '$AJ_SRCDIR/profiles/$name.ini' $( [ "$name" = default ] && echo "-- ./agent-stub")"
}

check_profile() {
	local name=$1 line expected_env
	run_profile "$name"
	if [ "$RC" != 0 ]; then
		tap_not_ok "$name: the stub ran" "rc=$RC" "stderr: $ERR" "stdout: $OUT"
		return
	fi
	expect_eq "$name: the stub runs in the project" "cwd:$PROJ" "$(echo "$OUT" | grep '^cwd:')"
	expect_eq "$name: the project is writable" "write:ok" "$(echo "$OUT" | grep '^write:')"
	expect_eq "$name: no decoy (files, ~/.ssh, environment) is readable" "" \
		"$(echo "$OUT" | grep '^leak:' | tr '\n' ' ')"
	expect_eq "$name: every secret in the project reads as empty" \
		"mask:.env:0 mask:sub/.env.local:0 mask:sub/deep/er/.env.production:0 mask:nested/.env:0 mask:nested/inner/.env.test:0 mask:certs/server.pem:0 mask:nested/id_rsa:0" \
		"$(echo "$OUT" | grep '^mask:' | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "$name: protected paths stay as they are" "" \
		"$(echo "$OUT" | grep '^changed:' | tr '\n' ' ')"
	expect_eq "$name: commits and branches work" "commit:ok branch:ok" \
		"$(echo "$OUT" | grep -E '^(commit|branch):' | tr '\n' ' ' | sed 's/ $//')"
	# The environment: what base passes and sets, plus the agent's own keys.
	expected_env="AGENTJAIL HOME LANG LOGNAME PATH PWD SHELL SHLVL TERM USER"
	case $name in
	claude) expected_env="AGENTJAIL ANTHROPIC_API_KEY HOME LANG LOGNAME PATH PWD SHELL SHLVL TERM USER" ;;
	codex) expected_env="AGENTJAIL HOME LANG LOGNAME OPENAI_API_KEY PATH PWD SHELL SHLVL TERM USER" ;;
	gemini) expected_env="AGENTJAIL GEMINI_API_KEY HOME LANG LOGNAME PATH PWD SHELL SHLVL TERM USER" ;;
	goose) expected_env="AGENTJAIL ANTHROPIC_API_KEY GOOSE_PROVIDER HOME LANG LOGNAME OPENAI_API_KEY PATH PWD SHELL SHLVL TERM USER" ;;
	aider) expected_env="AGENTJAIL ANTHROPIC_API_KEY GEMINI_API_KEY HOME LANG LOGNAME OPENAI_API_KEY PATH PWD SHELL SHLVL TERM USER" ;;
	opencode) expected_env="AGENTJAIL ANTHROPIC_API_KEY GEMINI_API_KEY HOME LANG LOGNAME OPENAI_API_KEY PATH PWD SHELL SHLVL TERM USER" ;;
	esac
	# The agent profiles reach their APIs through the proxy, whose variables
	# the launcher sets.
	if [ "$name" != base ] && [ "$name" != default ]; then
		expected_env=$(echo $expected_env ALL_PROXY GRPC_PROXY HTTPS_PROXY HTTP_PROXY \
			JAVA_TOOL_OPTIONS NODE_USE_ENV_PROXY NO_PROXY all_proxy grpc_proxy http_proxy \
			https_proxy no_proxy | tr ' ' '\n' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
	fi
	expect_eq "$name: only the allowed environment" "env:$expected_env " "$(echo "$OUT" | grep '^env:')"

	# On the host afterwards: secrets and hooks intact, the work landed,
	# the placeholders are gone.
	expect_eq "$name: host: secrets and hooks unchanged" \
		"API_KEY=DECOY-top|#!/bin/sh|#!/bin/sh|#!/bin/sh" \
		"$(cat "$PROJ/.env")|$(cat "$PROJ/.git/hooks/pre-commit")|$(cat "$PROJ/nested/.git/hooks/pre-commit")|$(cat "$PROJ/nested/.husky/pre-commit")"
	expect_eq "$name: host: the commit landed" "agent" "$(hgit log -1 --format=%s)"
	expect_eq "$name: host: no placeholder left behind" "" \
		"$(cd "$PROJ" && ls -d .envrc .vscode .idea .mcp.json .claude .git/hooks/post-checkout 2>/dev/null | tr '\n' ' ')"
	hgit reset -q --hard HEAD~1
	hgit branch -q -D agent-branch
	rm -f "$PROJ/agent-wrote"
}

# git on the host side; as root the project may belong to the test user.
hgit() {
	git -c safe.directory='*' -C "$PROJ" "$@"
}

tests() {
	local t
	# Not under /tmp: base mounts a fresh /tmp.  /var/tmp is a fresh tmpfs too,
	# but the project and home are bound on top of it.
	t=$(mktemp -d /var/tmp/aj-profiles.XXXXXX)
	chmod 755 "$t"
	HOME_DIR="$t/home"
	PROJ="$t/proj"
	if ! make_world "$t"; then
		tap_not_ok "setting up the fake home and project"
		rm -rf "$t"
		return
	fi
	# Root running an agent on a user's project: the sandbox runs as that
	# user on the host (never as uid 0), so the project is the user's.
	if [ "$AJ_MODE" = root ] && id "$AJ_TEST_USER" >/dev/null 2>&1; then
		chown -R "$AJ_TEST_USER:" "$t"
	fi
	for name in $PROFILES; do
		check_profile "$name"
	done
	rm -rf "$t"
}

aj_main
