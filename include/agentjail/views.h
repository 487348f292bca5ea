/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Which host directory the sandbox shows at each path, from a plan's
 * operations in order.  expand.c asks it where a mask or protect glob
 * reaches host files; learn_base.c what a base profile already provides.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct aj_plan;

/* What the sandbox shows at dest and below (the last view covering a path wins). */
struct aj_view {
	char *dest;
	char *host;     /* the host path shown there, NULL: not the host's (tmpfs, proc, ...) */
	bool writable;  /* see enum aj_views_flags */
};

struct aj_views {
	struct aj_view *v;
	size_t n;
};

enum aj_views_flags {
	/*
	 * Without it, writable means writes there reach the host (a read-write
	 * bind).  With it, that the command may write there at all: a tmpfs and
	 * an overlay whose changes are thrown away count too (learn asks this).
	 */
	AJ_VIEWS_COMMAND_WRITES = 1 << 0,
};

/*
 * Append the views of plan's operations: a bind shows its source (a -try
 * source that does not exist: nothing; another one that cannot be resolved:
 * a view without host, mount.c fails on it), an overlay of one host layer
 * with no upper directory of the host's shows that layer, and whatever else
 * mounts shows nothing of the host's.  --remount-ro clears writable.
 * 0 or -ENOMEM; no log.
 */
int aj_views_add_plan(struct aj_views *vs, const struct aj_plan *plan, unsigned flags);
void aj_views_clear(struct aj_views *vs);
/* The view covering the sandbox path p, or NULL (nothing of the plan is there). */
const struct aj_view *aj_views_at(const struct aj_views *vs, const char *p);

/* Is a equal to b or one of its ancestors? */
bool aj_path_covers(const char *a, const char *b);
