/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Which host directory the sandbox shows at each path (views.h), one
 * reading of the plan shared by expand.c and learn_base.c, so that what a
 * glob reaches and what learning thinks the base provides cannot drift
 * apart.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agentjail/plan.h"
#include "agentjail/views.h"

bool aj_path_covers(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (strcmp(a, "/") == 0)
		return b[0] == '/';
	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

/* Takes host (also on failure). */
static int add(struct aj_views *vs, const char *dest, char *host, bool writable)
{
	struct aj_view *v = reallocarray(vs->v, vs->n + 1, sizeof(*v));
	char *d = strdup(dest);

	if (v)
		vs->v = v;
	if (!v || !d) {
		free(host);
		free(d);
		return -ENOMEM;
	}
	v[vs->n++] = (struct aj_view){ .dest = d, .host = host, .writable = writable };
	return 0;
}

int aj_views_add_plan(struct aj_views *vs, const struct aj_plan *plan, unsigned flags)
{
	bool command = flags & AJ_VIEWS_COMMAND_WRITES;

	for (size_t i = 0; i < plan->n_ops; i++) {
		const struct aj_op *op = &plan->ops[i];
		char *real = NULL;
		int r = 0;

		switch (op->kind) {
		case AJ_OP_BIND:
		case AJ_OP_BIND_FD:
			real = aj_op_source_realpath(op);
			if (!real && errno == ENOMEM)
				return -ENOMEM;
			if (!real && errno == ENOENT && (op->flags & AJ_OPF_TRY))
				break;
			r = add(vs, op->dest, real, !(op->flags & AJ_OPF_RO));
			break;
		case AJ_OP_REMOUNT_RO:
			for (size_t k = vs->n; k-- > 0;)
				if (strcmp(vs->v[k].dest, op->dest) == 0) {
					vs->v[k].writable = false;
					break;
				}
			break;
		case AJ_OP_OVERLAY:
			/*
			 * One layer and no upper of the host's (--tmp-overlay,
			 * --ro-overlay, the learning view): the host's directory,
			 * with any change thrown away, so its rules apply there.
			 */
			if (op->n_layers == 1 && !op->src && (real = realpath(op->layers[0], NULL))) {
				r = add(vs, op->dest, real, command && !(op->flags & AJ_OPF_RO));
				break;
			}
			r = add(vs, op->dest, NULL, false);
			break;
		case AJ_OP_TMPFS:
		case AJ_OP_PROC:
		case AJ_OP_DEV:
		case AJ_OP_MQUEUE:
		case AJ_OP_FILE:
		case AJ_OP_BIND_DATA:
			r = add(vs, op->dest, NULL, command && op->kind == AJ_OP_TMPFS);
			break;
		case AJ_OP_DIR:
		case AJ_OP_SYMLINK:
		case AJ_OP_CHMOD:
		case AJ_OP_HIDE:
		case AJ_OP_MASK:
		case AJ_OP_PROTECT:
		case _AJ_OP_KIND_MAX:
			break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

void aj_views_clear(struct aj_views *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].dest);
		free(vs->v[i].host);
	}
	free(vs->v);
	*vs = (struct aj_views){ 0 };
}

const struct aj_view *aj_views_at(const struct aj_views *vs, const char *p)
{
	for (size_t i = vs->n; i-- > 0;)
		if (aj_path_covers(vs->v[i].dest, p))
			return &vs->v[i];
	return NULL;
}
