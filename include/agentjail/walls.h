/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The kernel walls as a whole: which seccomp filter, Landlock, capability and
 * identity rules a plan gets.  A hardened plan (profiles, zero config,
 * --hardened) gets them all by default; a bwrap-style command line keeps
 * bwrap's behaviour unless asked, and as `bwrap` it gets the overlay that
 * /etc/agentjail/bwrap.ini configures.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "agentjail/filter.h"

struct aj_plan;
struct aj_run;

/* plan->bwrap_overlay: the rules of the overlay that are on. */
enum {
	AJ_OVERLAY_TTY = 1u << 0,      /* TIOCSTI / TIOCLINUX */
	AJ_OVERLAY_ABI = 1u << 1,      /* i386 / x32 calls refused */
	AJ_OVERLAY_IO_URING = 1u << 2, /* io_uring refused */
	AJ_OVERLAY_ALL = AJ_OVERLAY_TTY | AJ_OVERLAY_ABI | AJ_OVERLAY_IO_URING,
};

/* Host ids a hardened run by root maps the sandbox to, unless root-maps-to says. */
#define AJ_ROOT_MAP_DEFAULT 65534

/* The effective settings of a plan, its defaults resolved. */
struct aj_walls {
	bool filter;              /* a built-in seccomp filter is installed */
	struct aj_filter_spec spec;
	bool landlock;            /* Landlock asked for (on or require) */
	bool landlock_required;   /* and the launch fails without it */
	bool hardened_caps;       /* only --cap-add is kept; securebits locked */
	bool map_root;            /* a root caller runs as map_uid/map_gid on the host */
	uid_t map_uid;
	gid_t map_gid;
	uint64_t tmpfs_size;      /* default tmpfs size, 0 = the kernel's */
};

/* Resolve the plan's settings for a caller (privileged: real uid 0). Pure. */
void aj_walls_resolve(const struct aj_plan *plan, bool privileged, struct aj_walls *ret);

/* Before clone(): identity, tmpfs size, Landlock ABI, which filter. Logs. */
int aj_walls_prepare(struct aj_run *run);
/* In the setup child: build the seccomp filter aj_walls_prepare() chose. Logs. */
int aj_walls_build_filter(struct aj_run *run);

/* The walls in plain words (for --explain). */
void aj_walls_describe(const struct aj_plan *plan, FILE *f);

/* As bwrap: read the overlay settings; a missing file means all rules on. Logs. */
int aj_walls_load_bwrap_ini(struct aj_plan *plan, const char *path);
/* The same from text already read; name is for messages ("bwrap.ini:3: ..."). Logs. */
int aj_walls_parse_bwrap_ini(struct aj_plan *plan, const char *name, const char *text, size_t len);

/* Parse "true/false/yes/no/on/off/1/0"; returns 0/1 or -EINVAL. */
int aj_parse_bool(const char *s);
