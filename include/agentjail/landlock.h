/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Landlock: a second wall under the mounts, built from the same plan.
 */
#pragma once

#include <stdbool.h>

struct aj_run;

/* The kernel's Landlock ABI version, or 0 when it has none (or it is disabled). */
int aj_landlock_abi(void);
/*
 * A ruleset for a domain that keeps its processes away from those outside
 * it (ptrace, /proc/PID) and changes nothing else they may do; or -EOPNOTSUPP
 * when this kernel cannot make one for this caller.  No log.
 */
int aj_landlock_fence_open(bool privileged);
/* Enter the domain of aj_landlock_fence_open()'s ruleset (no_new_privs set). Logs. */
int aj_landlock_fence_enter(int ruleset);
/* Child stage (after the mounts): restrict the sandbox to the plan's paths. Logs. */
int aj_landlock_apply(struct aj_run *run);
