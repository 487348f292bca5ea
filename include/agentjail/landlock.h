/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Landlock: a second wall under the mounts, built from the same plan.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

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
/*
 * Confine the calling process, and the threads it starts afterwards, to
 * reading files beneath paths (missing ones skipped): no writing, creating or
 * executing anywhere; from ABI 4 no TCP bind; from ABI 6 no signals to, and
 * no abstract unix sockets of, processes outside.  Sets no_new_privs.
 * 0, -EOPNOTSUPP without Landlock, or -errno.  No log.
 */
int aj_landlock_confine_reader(const char *const *paths, size_t n);
/* Child stage (after the mounts): restrict the sandbox to the plan's paths. Logs. */
int aj_landlock_apply(struct aj_run *run);
