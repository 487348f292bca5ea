# SPDX-License-Identifier: LGPL-2.0-or-later
# Differential helpers: run one command line through Debian's bwrap and
# through agentjail (linked as bwrap, $AJB), compare what comes out.
# Source after tests/lib.sh; set AJB before calling same/same_sh.

BWRAP=${BWRAP:-$(command -v bwrap)}

# /proc/{sys,irq,bus,sysrq-trigger} are always read-only in agentjail
# (bwrap covers them only when the setup process could write them).
normalise() {
	sed -E -e 's/^(bwrap|agentjail): /TOOL: /' \
		-e '/^\/proc\/(sys|irq|bus|sysrq-trigger) /d' \
		-e '/^_=/d' -e 's/^(\/proc\/self link .* -> )[0-9]+$/\1PID/' \
		-e 's/"child-pid": [0-9]+/"child-pid": N/' \
		-e 's/-namespace": [0-9]+/-namespace": N/g'
}

# observe TOOL ARGS...: the command's output, stderr and exit status.
observe() {
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\nexit=%s\n' "$out" "$rc" | normalise
}

# same NAME ARGS... : run ARGS with bwrap and with agentjail (named bwrap).
same() {
	local name=$1
	shift
	local b a
	b=$(observe "$BWRAP" "$@")
	a=$(observe "$AJB" "$@")
	if [ "$b" = "$a" ]; then
		tap_ok "same: $name"
	else
		tap_not_ok "same: $name" "bwrap:" "$b" "agentjail:" "$a" \
			"diff:" "$(diff <(echo "$b") <(echo "$a"))"
	fi
}

# same_sh NAME SHELL-PREFIX ARGS...: as same, with fds set up by a shell prefix
# such as "exec 3<file;" ($TOOL is the binary under test).
same_sh() {
	local name=$1 prefix=$2
	shift 2
	local b a q
	q=$(printf '%q ' "$@")
	b=$(TOOL=$BWRAP observe sh -c "$prefix exec \"\$TOOL\" $q")
	a=$(TOOL=$AJB observe sh -c "$prefix exec \"\$TOOL\" $q")
	if [ "$b" = "$a" ]; then
		tap_ok "same: $name"
	else
		tap_not_ok "same: $name" "bwrap:" "$b" "agentjail:" "$a"
	fi
}


# both NAME FUNCTION ARGS...: call FUNCTION TOOL ARGS... with bwrap, then with
# agentjail; the normalised outputs must be the same.  $BOTH_RESET, when set,
# is run after each call (to undo what a scenario wrote).
both() {
	local name=$1 fn=$2
	shift 2
	local b a
	b=$($fn "$BWRAP" "$@" 2>&1 | normalise)
	${BOTH_RESET:-:}
	a=$($fn "$AJB" "$@" 2>&1 | normalise)
	${BOTH_RESET:-:}
	BOTH_OUT=$a
	if [ "$b" = "$a" ]; then
		tap_ok "same: $name"
	else
		tap_not_ok "same: $name" "bwrap:" "$b" "agentjail:" "$a"
	fi
}
