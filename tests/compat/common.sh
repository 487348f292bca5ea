# SPDX-License-Identifier: LGPL-2.0-or-later
# Differential helpers: run one command line through Debian's bwrap and
# through agentjail (linked as bwrap, $AJB), compare what comes out.
# Source after tests/lib.sh; set AJB before calling same/same_sh.

BWRAP=${BWRAP:-$(command -v bwrap)}

# /proc/{sys,irq,bus,sysrq-trigger,fs} are always read-only in agentjail
# (bwrap covers them only when the setup process could write them), and
# /proc/{kcore,keys,...} are masked as container runtimes do (mount.c).  With
# the bwrap.ini hardening overlay on, the Seccomp line may differ too.
normalise() {
	if [ -n "${OVERLAY:-}" ]; then
		sed -E -e 's/^Seccomp:.*/Seccomp: (overlay)/'
	else
		cat
	fi | sed -E -e 's/^(bwrap|agentjail): /TOOL: /' \
		-e '/^\/proc\/(sys|irq|bus|sysrq-trigger|fs|kcore|keys|key-users|timer_list|sched_debug|latency_stats|acpi|asound|scsi|kallsyms) /d' \
		-e '/^_=/d' -e 's/^(\/proc\/self link .* -> )[0-9]+$/\1PID/' \
		-e 's/"child-pid": [0-9]+/"child-pid": N/' \
		-e 's/-namespace": [0-9]+/-namespace": N/g'
}

# compat_setup DIR: DIR/bwrap is agentjail under bwrap's name, in $AJB.  The
# bwrap.ini hardening overlay is off for an exact comparison (through the
# test build, which reads AGENTJAIL_TEST_BWRAP_INI) unless AJ_VARIANT=overlay;
# without the test build, the installed /etc/agentjail/bwrap.ini decides.
compat_setup() {
	ln -s "${AGENTJAIL_TEST:-$AJ}" "$1/bwrap"
	AJB="$1/bwrap"
	OVERLAY=
	if [ "${AJ_VARIANT:-}" = overlay ] || [ -z "${AGENTJAIL_TEST:-}" ]; then
		OVERLAY=1
	else
		printf '[bwrap]\nhardening = false\n' >"$1/bwrap-off.ini"
		export AGENTJAIL_TEST_BWRAP_INI="$1/bwrap-off.ini"
	fi
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
