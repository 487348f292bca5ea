/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Capabilities, with bwrap's rules (BWRAP-COMPAT.md 3.10, 4.5):
 *  - an unprivileged caller keeps nothing unless --cap-add asks;
 *  - a uid-0 caller keeps its own effective set, minus --cap-drop;
 *  - once --cap-add/--cap-drop is used, the kept set is also put in the
 *    inheritable and ambient sets, so it survives exec for a non-zero uid
 *    (otherwise those two are empty);
 *  - the bounding set is cut to the kept set whenever a user namespace was
 *    made, so a uid-0 command inside cannot regain dropped caps by exec.
 * A hardened plan (walls.h) is stricter: the caller's own set is never kept
 * (root included: only --cap-add counts), the bounding set is always
 * emptied, and the securebits are locked so that no uid 0 inside regains
 * anything by exec or setuid, and no later code can unlock them.
 *
 * The one order that works: securebits and bounding (both need CAP_SETPCAP),
 * then the inheritable/permitted/effective sets, then ambient (needs P and I).
 */
#include <errno.h>
#include <linux/securebits.h>
#include <stdint.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "agentjail/caps.h"
#include "agentjail/launch.h"
#include "agentjail/log.h"
#include "agentjail/plan.h"
#include "cleanup.h"

static void cap_freep(cap_t *c)
{
	if (*c)
		(void)cap_free(*c); /* only fails for a non-libcap pointer */
}
#define _cleanup_cap_ _cleanup_(cap_freep)

static uint64_t all_caps(void)
{
	int last = (int)cap_max_bits() - 1;

	return last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
}

static int effective_caps(uint64_t *ret)
{
	_cleanup_cap_ cap_t c = cap_get_proc();
	uint64_t set = 0;
	int last = (int)cap_max_bits() - 1;

	if (!c)
		return -errno;
	for (int i = 0; i <= last; i++) {
		cap_flag_value_t v;

		if (cap_get_flag(c, (cap_value_t)i, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET)
			set |= UINT64_C(1) << i;
	}
	*ret = set;
	return 0;
}

static int set_caps(uint64_t keep, bool bounding, bool ambient)
{
	_cleanup_cap_ cap_t c = cap_init();
	int last = (int)cap_max_bits() - 1;

	if (!c)
		return aj_err(-errno, "cap_init");
	if (bounding)
		for (int i = 0; i <= last; i++)
			if (!(keep & (UINT64_C(1) << i)) && cap_drop_bound((cap_value_t)i) < 0 &&
			    errno != EINVAL)
				return aj_err(-errno, "Dropping capability %d from bounds", i);

	for (int i = 0; i <= last; i++) {
		cap_value_t v = (cap_value_t)i;

		if (!(keep & (UINT64_C(1) << i)))
			continue;
		if (cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0 ||
		    cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET) < 0 ||
		    (ambient && cap_set_flag(c, CAP_INHERITABLE, 1, &v, CAP_SET) < 0))
			return aj_err(-errno, "cap_set_flag");
	}
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return aj_err(-errno, "Clearing the ambient capabilities");
	if (cap_set_proc(c) < 0)
		return aj_err(-errno, "capset failed");
	if (ambient)
		for (int i = 0; i <= last; i++)
			if ((keep & (UINT64_C(1) << i)) &&
			    cap_set_ambient((cap_value_t)i, CAP_SET) < 0)
				return aj_err(-errno, "Adding ambient capability %d", i);
	return 0;
}

int aj_caps_plan(struct aj_run *run)
{
	const struct aj_plan *plan = run->plan;
	uint64_t keep = 0;
	int r;

	/* The caller's set, read before clone(): in a new userns we would see all. */
	if (run->privileged && !plan->hardened) {
		r = effective_caps(&keep);
		if (r < 0)
			return aj_err(r, "capget (for uid == 0) failed");
	}
	for (size_t i = 0; i < plan->n_capops; i++) {
		const struct aj_capop *op = &plan->capops[i];
		uint64_t bit = op->cap < 0 ? all_caps() : UINT64_C(1) << op->cap;

		keep = op->add ? keep | bit : keep & ~bit;
	}
	run->caps_keep = keep;
	return 0;
}

/*
 * NOROOT: uid 0 gets no capability from exec; NO_SETUID_FIXUP: changing uids
 * neither drops nor adds any; NO_CAP_AMBIENT_RAISE unless --cap-add needs the
 * ambient set; every bit locked, KEEP_CAPS locked off.
 */
static int lock_securebits(bool ambient)
{
	unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
			     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
			     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

	if (!ambient)
		bits |= SECBIT_NO_CAP_AMBIENT_RAISE;
	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		return aj_err(-errno, "prctl(PR_SET_SECUREBITS)");
	return 0;
}

int aj_caps_drop(const struct aj_run *run)
{
	const struct aj_plan *plan = run->plan;
	bool userns = run->ns & AJ_NS_USER;
	bool ambient = plan->n_capops > 0;
	int r;

	if (plan->hardened) {
		r = lock_securebits(ambient);
		if (r < 0)
			return r;
		return set_caps(run->caps_keep, true, ambient);
	}
	if (run->privileged && !userns && plan->n_capops == 0)
		return 0; /* root without a userns: unchanged, as bwrap */
	return set_caps(run->caps_keep, userns || !run->privileged, ambient);
}

int aj_caps_drop_all(void)
{
	int last = (int)cap_max_bits() - 1;

	/*
	 * The reaper forks after the command's set was applied, so it may lack
	 * CAP_SETPCAP: cutting the bounding set is best effort.  With empty
	 * permitted and effective sets and no-new-privs it holds nothing.
	 */
	for (int i = 0; i <= last; i++)
		(void)cap_drop_bound((cap_value_t)i);
	return set_caps(0, false, false);
}
