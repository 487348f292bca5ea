/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * A cgroup v2 for the sandbox, where one was delegated to the caller: the
 * limits on an outer group, the sandbox's processes in a leaf under it (so a
 * cgroup namespace inside sees only the leaf and can never reach the
 * limits).  Helpers: they never print; a refusal comes with a reason text.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum {
	AJ_CG_MEMORY = 1u << 0,
	AJ_CG_PIDS = 1u << 1,
	AJ_CG_CPU = 1u << 2,
};

struct aj_cgroup;

/* What goes into the outer group; 0 leaves a file at its default. */
struct aj_cgroup_limits {
	uint64_t memory;      /* memory.max (and memory.swap.max = 0) */
	uint64_t pids;        /* pids.max */
	uint64_t cpus_milli;  /* cpu.max quota per 100 ms period, in thousandths of a CPU */
};

/* Pure parts, for unit tests: "0::/a/b" from /proc/self/cgroup text. */
int aj_cgroup_parse_self(const char *text, char **ret_path);
/* The mount point of the cgroup2 file system (whose root is "/") in mountinfo text. */
int aj_cgroup_parse_mountinfo(const char *text, char **ret_mountpoint);
/* The AJ_CG_* bits named in a cgroup.controllers list. */
unsigned aj_cgroup_parse_controllers(const char *list);
/* "memory pids" for a mask. */
const char *aj_cgroup_mask_names(unsigned mask, char *buf, size_t size);

/*
 * Can this process make a child cgroup with the controllers?  Changes
 * nothing.  0 with the path of our own cgroup, else -errno and the reason.
 */
int aj_cgroup_probe(unsigned controllers, char **ret_dir, char *why, size_t why_size);

/*
 * Create <dir>/agentjail-<pid> with the limits and its leaf "sandbox".  When
 * the controllers are not yet enabled below dir and this process is the only
 * one in dir (a scope made for it, as with systemd-run --scope -p
 * Delegate=yes), it moves itself into <dir>/agentjail-monitor first: cgroup
 * v2 lets a group with processes hand no controllers down.
 */
int aj_cgroup_create(const char *dir, unsigned controllers, const struct aj_cgroup_limits *lim,
		     struct aj_cgroup **ret, char *why, size_t why_size);
/* An fd of the leaf, for clone3(CLONE_INTO_CGROUP). */
int aj_cgroup_leaf_fd(const struct aj_cgroup *cg);
const char *aj_cgroup_path(const struct aj_cgroup *cg);
/*
 * Kill what is left in the group, wait (briefly) until it is empty, remove
 * both directories and free cg.  -EBUSY when something could not be removed.
 */
int aj_cgroup_destroy(struct aj_cgroup *cg);
