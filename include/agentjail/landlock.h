/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Landlock: a second wall under the mounts, built from the same plan.
 */
#pragma once

struct aj_run;

/* The kernel's Landlock ABI version, or 0 when it has none (or it is disabled). */
int aj_landlock_abi(void);
/* Child stage (after the mounts): restrict the sandbox to the plan's paths. Logs. */
int aj_landlock_apply(struct aj_run *run);
