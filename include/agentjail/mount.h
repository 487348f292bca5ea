/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Building the sandbox's root: a tmpfs, the plan's operations applied in
 * order, then pivot_root into it.  Runs in the setup child, inside the new
 * mount (and user) namespace.
 */
#pragma once

struct aj_run;

/* Logs and returns -errno on the first failing operation. */
int aj_mount_build_root(struct aj_run *run);
