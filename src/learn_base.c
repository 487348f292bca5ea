/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * What the base profile shows, asked for by path: used by the observer (is
 * this path the base's? does it look like a secret?) and by the proposals.
 *
 * Views come from the expanded plan, in order, as mount.c applies them (the
 * last operation covering a path wins).  The secret patterns come from the
 * base's own rules, not from a second list: every `hide` below the home
 * directory becomes a relative path matched anywhere (`hide = ~/.ssh`
 * makes any ".../.ssh" a secret, another user's too), every `mask` glob
 * of the form ROOT/ ** /NAME becomes / ** /NAME (a `.env` or `*.pem` is a
 * secret wherever it lies).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "agentjail/glob.h"
#include "agentjail/learn.h"
#include "agentjail/plan.h"
#include "agentjail/strmap.h"
#include "agentjail/vars.h"
#include "cleanup.h"

/* ---- paths ---------------------------------------------------------------- */

int aj_path_join(const char *dir, const char *rel, char *out, size_t size)
{
	size_t n = 0;
	const char *parts[2] = { rel[0] == '/' ? NULL : dir, rel };

	if (size < 2)
		return -ENAMETOOLONG;
	out[n++] = '/';
	for (size_t k = 0; k < 2; k++) {
		const char *s = parts[k];

		while (s && *s) {
			const char *e;
			size_t len;

			while (*s == '/')
				s++;
			e = strchrnul(s, '/');
			len = (size_t)(e - s);
			if (len == 0 || (len == 1 && s[0] == '.')) {
				/* nothing */
			} else if (len == 2 && s[0] == '.' && s[1] == '.') {
				while (n > 1 && out[n - 1] != '/')
					n--;
				if (n > 1)
					n--; /* the slash before the dropped component */
			} else {
				if (n > 1) {
					if (n + 1 >= size)
						return -ENAMETOOLONG;
					out[n++] = '/';
				}
				if (n + len >= size)
					return -ENAMETOOLONG;
				memcpy(out + n, s, len);
				n += len;
			}
			s = e;
		}
	}
	out[n] = '\0';
	return 0;
}

/* ---- building --------------------------------------------------------------- */

static int push(char ***v, size_t *n, const char *s)
{
	char **nv = reallocarray(*v, *n + 1, sizeof(char *));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

struct aj_base *aj_learn_base_new(const struct aj_vars *vars)
{
	struct aj_base *b = calloc(1, sizeof(*b));
	struct aj_strmap *memo = calloc(1, sizeof(*memo));

	if (!b || !memo)
		goto fail;
	b->memo = memo;
	if (vars && vars->home && !(b->home = strdup(vars->home)))
		goto fail;
	if (vars && vars->project && !(b->project = strdup(vars->project)))
		goto fail;
	return b;
fail:
	free(memo);
	if (b)
		b->memo = NULL;
	return aj_learn_base_free(b);
}

struct aj_base *aj_learn_base_free(struct aj_base *b)
{
	if (!b)
		return NULL;
	aj_views_clear(&b->views);
	strv_free(b->hidden, b->n_hidden);
	strv_free(b->hidden_rule, b->n_hidden);
	strv_free(b->protect, b->n_protect);
	strv_free(b->hide_rel, b->n_hide_rel);
	strv_free(b->hide_abs, b->n_hide_abs);
	for (size_t i = 0; i < b->n_masks; i++)
		aj_glob_free(b->masks[i]);
	free(b->masks);
	strv_free(b->mask_text, b->n_masks);
	free(b->home);
	free(b->project);
	if (b->memo) {
		aj_strmap_done(b->memo);
		free(b->memo);
	}
	free(b);
	return NULL;
}

static int add_mask_rule(struct aj_base *b, const char *pattern)
{
	struct aj_glob *g = NULL, *gen = NULL;
	const char *root, *tail;
	struct aj_glob **v;
	char **t;
	int r = aj_glob_compile(pattern, &g);

	if (r < 0)
		return r;
	root = aj_glob_root(g);
	tail = pattern + (strcmp(root, "/") == 0 ? 0 : strlen(root));
	/* ROOT/ ** /NAME: NAME anywhere.  Anything else stays where it was written. */
	if (strncmp(tail, "/**/", 4) == 0) {
		r = aj_glob_compile(tail, &gen);
		aj_glob_free(g);
		if (r < 0)
			return r;
		g = gen;
		pattern = tail + 1;
	}
	v = reallocarray(b->masks, b->n_masks + 1, sizeof(*v));
	if (!v) {
		aj_glob_free(g);
		return -ENOMEM;
	}
	b->masks = v;
	t = reallocarray(b->mask_text, b->n_masks + 1, sizeof(*t));
	if (!t) {
		aj_glob_free(g);
		return -ENOMEM;
	}
	b->mask_text = t;
	if (asprintf(&t[b->n_masks], "mask %s", pattern) < 0) {
		aj_glob_free(g);
		return -ENOMEM;
	}
	v[b->n_masks++] = g;
	return 0;
}

int aj_learn_base_add_rules(struct aj_base *b, const struct aj_plan *plan)
{
	for (size_t i = 0; i < plan->n_ops; i++) {
		const struct aj_op *op = &plan->ops[i];
		int r = 0;

		if (op->kind == AJ_OP_HIDE && op->dest) {
			if (b->home && aj_path_covers(b->home, op->dest) && strcmp(b->home, op->dest) != 0)
				r = push(&b->hide_rel, &b->n_hide_rel, op->dest + strlen(b->home) + 1);
			else
				r = push(&b->hide_abs, &b->n_hide_abs, op->dest);
		} else if (op->kind == AJ_OP_MASK && !op->dest && op->src)
			r = add_mask_rule(b, op->src);
		if (r < 0)
			return r;
	}
	return 0;
}

int aj_learn_base_add_views(struct aj_base *b, const struct aj_plan *plan)
{
	int r = aj_views_add_plan(&b->views, plan, AJ_VIEWS_COMMAND_WRITES);

	for (size_t i = 0; r >= 0 && i < plan->n_ops; i++) {
		const struct aj_op *op = &plan->ops[i];
		char rule[PATH_MAX + 16];

		if ((op->kind != AJ_OP_HIDE && op->kind != AJ_OP_MASK && op->kind != AJ_OP_PROTECT) ||
		    !op->dest)
			continue;
		if (op->kind == AJ_OP_PROTECT) {
			r = push(&b->protect, &b->n_protect, op->dest);
			continue;
		}
		snprintf(rule, sizeof(rule), "%s %s", op->kind == AJ_OP_HIDE ? "hide" : "mask",
			 op->kind == AJ_OP_MASK && op->src ? op->src : op->dest);
		r = push(&b->hidden, &b->n_hidden, op->dest);
		if (r >= 0) {
			size_t n = b->n_hidden - 1;

			r = push(&b->hidden_rule, &n, rule);
		}
	}
	return r;
}

/* ---- questions -------------------------------------------------------------- */

const struct aj_view *aj_learn_base_view(const struct aj_base *b, const char *p)
{
	return aj_views_at(&b->views, p);
}

bool aj_learn_base_provides(const struct aj_base *b, const char *p, bool write)
{
	const struct aj_view *v = aj_learn_base_view(b, p);

	if (!v || !v->host || aj_learn_base_hidden(b, p))
		return false;
	return !write || (v->writable && !aj_learn_base_protected(b, p));
}

const char *aj_learn_base_hidden(const struct aj_base *b, const char *p)
{
	for (size_t i = 0; i < b->n_hidden; i++)
		if (aj_path_covers(b->hidden[i], p))
			return b->hidden_rule[i];
	return NULL;
}

const char *aj_learn_base_protected(const struct aj_base *b, const char *p)
{
	for (size_t i = 0; i < b->n_protect; i++)
		if (aj_path_covers(b->protect[i], p))
			return b->protect[i];
	return NULL;
}

/* Does p contain rel as whole components ("/x/.ssh" and "/x/.ssh/y" contain ".ssh")? */
static bool has_components(const char *p, const char *rel)
{
	size_t n = strlen(rel);

	for (const char *s = p; (s = strchr(s, '/')); s++)
		if (strncmp(s + 1, rel, n) == 0 && (s[1 + n] == '\0' || s[1 + n] == '/'))
			return true;
	return false;
}

/* The last component of p (which is absolute and clean). */
static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static const char *name_secret(const struct aj_base *b, const char *p, bool is_dir)
{
	const char *name = base_name(p);

	if (!*name)
		return NULL;
	for (size_t i = 0; i < b->n_masks; i++)
		if (aj_glob_match(b->masks[i], p + 1, name, is_dir))
			return b->mask_text[i];
	return NULL;
}

const char *aj_learn_base_secret(struct aj_base *b, const char *p, bool is_dir)
{
	char dir[PATH_MAX];
	const char *why, *slash;
	size_t n, len, top;

	for (size_t i = 0; i < b->n_hide_abs; i++)
		if (aj_path_covers(b->hide_abs[i], p))
			return b->hide_abs[i];
	for (size_t i = 0; i < b->n_hide_rel; i++)
		if (has_components(p, b->hide_rel[i]))
			return b->hide_rel[i];
	why = name_secret(b, p, is_dir);
	if (why)
		return why;
	/* The directories above p, each once: most paths share their parents. */
	slash = strrchr(p, '/');
	if (!slash || slash == p)
		return NULL;
	n = (size_t)(slash - p);
	if (n >= sizeof(dir))
		return NULL;
	memcpy(dir, p, n);
	dir[n] = '\0';
	for (len = n; len > 0;) {
		const char *s;

		if (b->memo && aj_strmap_get(b->memo, p, len, NULL))
			break;
		dir[len] = '\0';
		why = name_secret(b, dir, true);
		if (why)
			return why;
		s = memrchr(dir, '/', len);
		if (!s || s == dir)
			break;
		len = (size_t)(s - dir);
	}
	/* Every directory checked is clean, and so is what is above it. */
	top = len;
	for (len = n; b->memo && len > top;) {
		const char *s = memrchr(p, '/', len);

		(void)aj_strmap_add(b->memo, p, len, 1, NULL); /* only a cache: ENOMEM is no error */
		if (!s || s == p)
			break;
		len = (size_t)(s - p);
	}
	return NULL;
}
