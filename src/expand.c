/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/expand.h"
#include "agentjail/front.h"
#include "agentjail/gitscan.h"
#include "agentjail/glob.h"
#include "agentjail/log.h"
#include "agentjail/plan.h"
#include "agentjail/views.h"
#include "agentjail/walk.h"
#include "cleanup.h"

/* A mask or protect glob, matched against host paths during a walk. */
struct req {
	const struct aj_op *rule;
	struct aj_glob *glob; /* rebased onto the host */
	char *hroot;          /* the pattern's root on the host */
};

struct opvec {
	struct aj_op *v;
	size_t n;
};

struct ex {
	struct aj_plan *plan;
	struct aj_front *f;
	struct aj_views views;
	struct req *reqs;
	size_t n_reqs;
	struct aj_glob **walk_globs; /* the globs of the walk in progress */
	struct req **walk_reqs;
	char **git_roots; /* host */
	size_t n_git_roots;
	struct aj_git_scan git;
	struct opvec masks, protects;
};

/* ---- paths -------------------------------------------------------------- */

/* base + what follows prefix in path ("" or "/x/y"). */
static char *rebase(const char *base, const char *prefix, const char *path)
{
	const char *rest = strcmp(prefix, "/") == 0 ? path : path + strlen(prefix);
	char *s;

	if (strcmp(rest, "/") == 0)
		rest = "";
	if (asprintf(&s, "%s%s", strcmp(base, "/") == 0 && *rest ? "" : base, rest) < 0)
		return NULL;
	return s;
}

/* The host path behind the sandbox path s, or NULL (not the host, or ENOMEM). */
static char *host_of(const struct ex *x, const char *s, const struct aj_view **ret_view)
{
	const struct aj_view *v = aj_views_at(&x->views, s);

	if (ret_view)
		*ret_view = v;
	if (!v || !v->host)
		return NULL;
	return rebase(v->host, v->dest, s);
}

/* Where the sandbox sees the host path h, or NULL. */
static char *sandbox_of(const struct ex *x, const char *h)
{
	for (size_t i = x->views.n; i-- > 0;) {
		const struct aj_view *v = &x->views.v[i];
		char *s;

		if (!v->host || !aj_path_covers(v->host, h))
			continue;
		s = rebase(v->dest, v->host, h);
		if (s && aj_views_at(&x->views, s) == v)
			return s;
		free(s);
	}
	return NULL;
}

/* ---- views and bind sources --------------------------------------------- */

/* The views (views.c), after the socket binds' sources are checked. */
static int build_views(struct ex *x)
{
	const struct aj_plan *plan = x->plan;

	for (size_t i = 0; i < plan->n_ops; i++) {
		const struct aj_op *op = &plan->ops[i];
		char where[PATH_MAX + 32];
		_cleanup_free_ char *real = NULL;
		struct stat st;
		int e;

		if ((op->kind != AJ_OP_BIND && op->kind != AJ_OP_BIND_FD) ||
		    !(op->flags & AJ_OPF_SOCKET))
			continue;
		real = aj_op_source_realpath(op);
		/* A missing -try source is skipped; a missing other one fails in mount.c. */
		if (!real && errno == ENOENT && (op->flags & AJ_OPF_TRY))
			continue;
		e = !real || stat(real, &st) < 0 ? errno : 0;
		aj_src_format(&op->where, where, sizeof(where));
		if (e)
			return aj_err(-e, "%s: socket '%s'", where, op->src);
		if (!S_ISSOCK(st.st_mode))
			return aj_errx(-ENOTSOCK, "%s: socket '%s': not a socket", where, op->src);
	}
	if (aj_views_add_plan(&x->views, plan, 0) < 0)
		return aj_err(-ENOMEM, "Out of memory");
	return 0;
}

/* Is the link at loc (a resolved path) inside a writable bind, where the sandbox could plant it? */
static const struct aj_view *planted(const struct ex *x, const char *loc)
{
	for (size_t i = 0; i < x->views.n; i++) {
		const struct aj_view *v = &x->views.v[i];

		if (v->host && v->writable && aj_path_covers(v->host, loc) && strcmp(v->host, loc) != 0)
			return v;
	}
	return NULL;
}

/*
 * Follow src one component at a time as the kernel would, and refuse a
 * symbolic link met inside a writable bind: a previous run of the sandbox
 * could have put it there to be shown something else next time.
 */
static int check_source(const struct ex *x, const struct aj_op *op)
{
	_cleanup_free_ char *copy = strdup(op->src);
	char real[PATH_MAX] = "";
	unsigned links = 0;
	char *save = NULL;

	if (!copy)
		return aj_err(-ENOMEM, "Out of memory");
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		char cand[PATH_MAX];
		const struct aj_view *v;
		struct stat st;
		char *r;

		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			char *slash = strrchr(real, '/');

			if (slash)
				*slash = '\0';
			continue;
		}
		if ((size_t)snprintf(cand, sizeof(cand), "%s/%s", real, c) >= sizeof(cand))
			return aj_errx(-ENAMETOOLONG, "bind source '%s': path too long", op->src);
		if (lstat(cand, &st) < 0)
			return 0; /* missing: mount.c says so, or skips a -try */
		if (!S_ISLNK(st.st_mode)) {
			strcpy(real, cand);
			continue;
		}
		v = planted(x, cand);
		if (v) {
			char where[PATH_MAX + 32];

			return aj_errx(-ELOOP, "%s: bind source '%s' goes through the symbolic link '%s', "
					       "which is inside the writable '%s' (the sandbox could have "
					       "made it); refusing",
				       aj_src_format(&op->where, where, sizeof(where)), op->src, cand,
				       v->dest);
		}
		if (++links > 40)
			return 0;
		r = realpath(cand, NULL);
		if (!r)
			return 0;
		snprintf(real, sizeof(real), "%s", strcmp(r, "/") ? r : "");
		free(r);
	}
	return 0;
}

/* ---- rules -------------------------------------------------------------- */

static int push_op(struct opvec *v, const struct aj_op *op)
{
	struct aj_op *n = reallocarray(v->v, v->n + 1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	v->v = n;
	n[v->n++] = *op;
	return 0;
}

static void opvec_free(struct opvec *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].src);
		free(v->v[i].dest);
	}
	free(v->v);
	*v = (struct opvec){ 0 };
}

/* A concrete op (dest set) made from a rule. */
static int add_concrete(struct opvec *v, const struct aj_op *rule, char *dest, const char *note)
{
	struct aj_op op = { .kind = rule->kind, .flags = rule->flags & ~(AJ_OPF_GIT | AJ_OPF_TRY), .fd = -EBADF,
			    .perms = -1, .where = rule->where, .dest = dest,
			    .src = note ? strdup(note) : NULL };

	if (!dest || (note && !op.src) || push_op(v, &op) < 0) {
		free(op.src);
		free(dest);
		return aj_err(-ENOMEM, "Out of memory");
	}
	return 0;
}

static bool has_dest(const struct opvec *v, const char *dest)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i].dest, dest) == 0)
			return true;
	return false;
}

static int add_placeholder(struct aj_front *f, const char *host, const char *root)
{
	struct aj_placeholder *v;

	for (size_t i = 0; i < f->n_placeholders; i++)
		if (strcmp(f->placeholders[i].host, host) == 0)
			return 0;
	v = reallocarray(f->placeholders, f->n_placeholders + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	f->placeholders = v;
	v[f->n_placeholders] = (struct aj_placeholder){ .host = strdup(host), .root = strdup(root) };
	if (!v[f->n_placeholders].host || !v[f->n_placeholders].root) {
		free(v[f->n_placeholders].host);
		free(v[f->n_placeholders].root);
		return -ENOMEM;
	}
	f->n_placeholders++;
	return 0;
}

/*
 * A path to keep read-only.  If it is missing where the sandbox could create
 * it on the host, an empty directory takes its place for the run (when
 * placeholder is allowed); if the sandbox cannot create it, there is nothing
 * to protect.
 */
static int add_protect(struct ex *x, const struct aj_op *rule, const char *s, const char *why,
		       bool placeholder)
{
	_cleanup_free_ char *clean = strdup(s), *h = NULL, *note = NULL;
	const struct aj_view *v;
	struct stat st;
	size_t n;

	if (!clean)
		return aj_err(-ENOMEM, "Out of memory");
	n = strlen(clean);
	while (n > 1 && clean[n - 1] == '/')
		clean[--n] = '\0';
	if (has_dest(&x->protects, clean))
		return 0;
	h = host_of(x, clean, &v);
	/* Not the host's (a tmpfs, /proc...): whatever is there goes with the sandbox. */
	if (!h)
		return 0;
	if (lstat(h, &st) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			return aj_err(-errno, "protect '%s'", clean);
		/*
		 * Placeholders only in profile runs, whose sandbox is gone when
		 * agentjail returns (launch.c): only then can they go safely.
		 */
		if (!placeholder || !v->writable || !x->plan->hardened)
			return 0;
		if (add_placeholder(x->f, h, v->host) < 0)
			return aj_err(-ENOMEM, "Out of memory");
		if (asprintf(&note, "%s%smissing: an empty directory holds its place", why ? why : "",
			     why ? "; " : "") < 0)
			return aj_err(-ENOMEM, "Out of memory");
		why = note;
	}
	return add_concrete(&x->protects, rule, TAKE_PTR(clean), why);
}

static int add_req(struct ex *x, const struct aj_op *rule)
{
	struct aj_glob *g = NULL;
	struct req *v;
	char *hroot;
	int r = aj_glob_compile(rule->src, &g);

	if (r < 0)
		return aj_errx(r, "bad pattern '%s'", rule->src);
	hroot = host_of(x, aj_glob_root(g), NULL);
	if (!hroot) {
		aj_glob_free(g);
		return 0; /* not a host directory: nothing there to match */
	}
	v = reallocarray(x->reqs, x->n_reqs + 1, sizeof(*v));
	if (!v) {
		aj_glob_free(g);
		free(hroot);
		return aj_err(-ENOMEM, "Out of memory");
	}
	x->reqs = v;
	v = &v[x->n_reqs];
	*v = (struct req){ .rule = rule, .hroot = hroot };
	r = aj_glob_rebase(g, hroot, &v->glob);
	aj_glob_free(g);
	if (r < 0) {
		free(hroot);
		return aj_err(r, "pattern '%s'", rule->src);
	}
	x->n_reqs++;
	return 0;
}

static int on_match(void *userdata, size_t i, const char *path, unsigned char type)
{
	struct ex *x = userdata;
	const struct req *q = x->walk_reqs[i];
	_cleanup_free_ char *s = sandbox_of(x, path);

	if (!s)
		return 0; /* covered by another mount inside: the sandbox does not see it */
	if (q->rule->kind == AJ_OP_PROTECT) {
		char why[PATH_MAX + 16];

		snprintf(why, sizeof(why), "matches %s", q->rule->src);
		return add_protect(x, q->rule, s, why, false);
	}
	if (x->masks.n && strcmp(x->masks.v[x->masks.n - 1].dest, s) == 0)
		return type == DT_DIR;
	if (x->masks.n >= AJ_MASK_MAX)
		return aj_errx(-E2BIG, "mask: more than %d matches (at '%s'); narrow the patterns",
			       AJ_MASK_MAX, s);
	if (add_concrete(&x->masks, q->rule, TAKE_PTR(s), q->rule->src) < 0)
		return -ENOMEM;
	/* A masked directory shows empty: nothing below it needs a look. */
	return type == DT_DIR;
}

static int on_git(void *userdata, const char *path, enum aj_walk_git kind)
{
	struct ex *x = userdata;

	for (size_t i = 0; i < x->n_git_roots; i++)
		if (aj_path_covers(x->git_roots[i], path))
			return aj_git_scan_add(&x->git, path, kind);
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One walk per tree: roots sorted, a root inside an earlier one shares its walk. */
static int walk_all(struct ex *x)
{
	_cleanup_free_ char **roots = calloc(x->n_reqs + x->n_git_roots + 1, sizeof(char *));
	size_t n = 0;
	int r = 0;

	if (!roots)
		return aj_err(-ENOMEM, "Out of memory");
	for (size_t i = 0; i < x->n_reqs; i++)
		roots[n++] = x->reqs[i].hroot;
	for (size_t i = 0; i < x->n_git_roots; i++)
		roots[n++] = x->git_roots[i];
	qsort(roots, n, sizeof(char *), str_cmp);
	for (size_t i = 0; i < n && r >= 0; i++) {
		struct aj_walk w = { .root = roots[i], .on_match = on_match, .on_git = on_git,
				     .userdata = x };
		bool nested = false;

		for (size_t k = 0; k < i && !nested; k++)
			nested = strcmp(roots[k], roots[i]) == 0 || aj_path_covers(roots[k], roots[i]);
		if (nested)
			continue;
		x->walk_globs = calloc(x->n_reqs + 1, sizeof(*x->walk_globs));
		x->walk_reqs = calloc(x->n_reqs + 1, sizeof(*x->walk_reqs));
		if (!x->walk_globs || !x->walk_reqs) {
			r = aj_err(-ENOMEM, "Out of memory");
			break;
		}
		for (size_t q = 0; q < x->n_reqs; q++)
			if (aj_path_covers(roots[i], x->reqs[q].hroot)) {
				x->walk_reqs[w.n_globs] = &x->reqs[q];
				x->walk_globs[w.n_globs++] = x->reqs[q].glob;
			}
		for (size_t g = 0; g < x->n_git_roots; g++)
			w.git |= aj_path_covers(roots[i], x->git_roots[g]);
		w.globs = x->walk_globs;
		r = aj_walk_run(&w);
		if (r < 0 && r != -ENOMEM && w.failed_path) {
			if (r == -EACCES)
				aj_errx(r, "cannot read '%s' to look for secrets and repositories: it is "
					   "yours, so the sandbox could open it up; fix its mode, or "
					   "hide it",
					w.failed_path);
			else if (r == -ELOOP)
				aj_errx(r, "'%s': directories nested more than %d deep", w.failed_path,
					AJ_WALK_MAX_DEPTH);
			else if (r != -E2BIG)
				aj_err(r, "reading '%s'", w.failed_path);
		} else if (r == -ENOMEM)
			aj_err(r, "Out of memory");
		aj_debug("walk %s: %zu directories, %zu entries", roots[i], w.n_dirs, w.n_entries);
		aj_walk_done(&w);
		free(x->walk_globs);
		free(x->walk_reqs);
		x->walk_globs = NULL;
		x->walk_reqs = NULL;
	}
	return r;
}

static int git_targets(struct ex *x, const struct aj_op *rule)
{
	for (size_t i = 0; i < x->git.n_targets; i++) {
		const struct aj_git_target *t = &x->git.targets[i];
		_cleanup_free_ char *s = sandbox_of(x, t->path), *repo = sandbox_of(x, t->repo);
		char why[2 * PATH_MAX];
		int r;

		if (!s)
			continue; /* not in the sandbox: nothing it could change */
		snprintf(why, sizeof(why), "%s of %s", t->why, repo ? repo : t->repo);
		r = add_protect(x, rule, s, why, t->placeholder);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A hide covers something of the host, or nothing at all (then it is dropped). */
static bool hide_needed(const struct ex *x, const struct aj_op *op)
{
	_cleanup_free_ char *h = host_of(x, op->dest, NULL);
	struct stat st;

	return h && lstat(h, &st) == 0;
}

static int op_dest_cmp(const void *a, const void *b)
{
	return strcmp(((const struct aj_op *)a)->dest, ((const struct aj_op *)b)->dest);
}

/* hide, mask, protect after everything else; a rule's matches right after it. */
static int reorder(struct ex *x)
{
	struct aj_plan *plan = x->plan;
	size_t total = plan->n_ops + x->masks.n + x->protects.n, k = 0;
	struct aj_op *ops = calloc(total + 1, sizeof(*ops));
	static const enum aj_op_kind late[] = { AJ_OP_HIDE, AJ_OP_MASK, AJ_OP_PROTECT };

	if (!ops)
		return aj_err(-ENOMEM, "Out of memory");
	/* Matches come in readdir order: sorted, the plan reads the same every time. */
	if (x->masks.n) /* qsort(NULL, 0) is undefined */
		qsort(x->masks.v, x->masks.n, sizeof(*x->masks.v), op_dest_cmp);
	if (x->protects.n)
		qsort(x->protects.v, x->protects.n, sizeof(*x->protects.v), op_dest_cmp);
	for (size_t i = 0; i < plan->n_ops; i++)
		if (plan->ops[i].kind != AJ_OP_HIDE && plan->ops[i].kind != AJ_OP_MASK &&
		    plan->ops[i].kind != AJ_OP_PROTECT)
			ops[k++] = plan->ops[i];
	for (size_t l = 0; l < ELEMENTSOF(late); l++)
		for (size_t i = 0; i < plan->n_ops; i++) {
			const struct aj_op *op = &plan->ops[i];

			if (op->kind != late[l])
				continue;
			if (op->kind == AJ_OP_HIDE && !hide_needed(x, op)) {
				free(op->dest);
				continue;
			}
			ops[k++] = *op;
			if (op->kind == AJ_OP_MASK && !op->dest)
				for (size_t m = 0; m < x->masks.n; m++)
					if (x->masks.v[m].src && strcmp(x->masks.v[m].src, op->src) == 0) {
						ops[k++] = x->masks.v[m];
						x->masks.v[m].src = x->masks.v[m].dest = NULL;
					}
		}
	for (size_t m = 0; m < x->protects.n; m++) {
		ops[k++] = x->protects.v[m];
		x->protects.v[m].src = x->protects.v[m].dest = NULL;
	}
	/* Matches of a pattern given twice went with its first rule. */
	free(plan->ops);
	plan->ops = ops;
	plan->n_ops = plan->cap_ops = k;
	if (k < total)
		plan->cap_ops = total;
	return 0;
}

int aj_expand_plan(struct aj_plan *plan, struct aj_front *f)
{
	struct ex x = { .plan = plan, .f = f };
	const struct aj_vars *vars;
	int r;

	r = aj_front_vars(f, &vars);
	if (r < 0)
		return r;
	r = build_views(&x);
	for (size_t i = 0; r >= 0 && plan->hardened && i < plan->n_ops; i++)
		if (plan->ops[i].kind == AJ_OP_BIND)
			r = check_source(&x, &plan->ops[i]);
	if (r >= 0)
		r = aj_git_scan_init(&x.git, vars) < 0 ? aj_err(-ENOMEM, "reading git config") : 0;

	for (size_t i = 0; r >= 0 && i < plan->n_ops; i++) {
		const struct aj_op *op = &plan->ops[i];

		if ((op->kind != AJ_OP_MASK && op->kind != AJ_OP_PROTECT) || op->dest)
			continue;
		if (op->flags & AJ_OPF_GIT) {
			char *h = host_of(&x, op->src, NULL);
			char **v;

			if (!h)
				continue;
			v = reallocarray(x.git_roots, x.n_git_roots + 1, sizeof(char *));
			if (!v) {
				free(h);
				r = aj_err(-ENOMEM, "Out of memory");
				break;
			}
			x.git_roots = v;
			v[x.n_git_roots++] = h;
		} else if (op->kind == AJ_OP_MASK || aj_glob_has_magic(op->src))
			r = add_req(&x, op);
		else
			r = add_protect(&x, op, op->src, NULL, !(op->flags & AJ_OPF_TRY));
	}
	if (r >= 0)
		r = walk_all(&x);
	for (size_t i = 0; r >= 0 && i < plan->n_ops; i++)
		if (plan->ops[i].kind == AJ_OP_PROTECT && (plan->ops[i].flags & AJ_OPF_GIT))
			r = git_targets(&x, &plan->ops[i]);
	if (r >= 0)
		r = reorder(&x);

	aj_views_clear(&x.views);
	for (size_t i = 0; i < x.n_reqs; i++) {
		aj_glob_free(x.reqs[i].glob);
		free(x.reqs[i].hroot);
	}
	free(x.reqs);
	for (size_t i = 0; i < x.n_git_roots; i++)
		free(x.git_roots[i]);
	free(x.git_roots);
	aj_git_scan_done(&x.git);
	opvec_free(&x.masks);
	opvec_free(&x.protects);
	return r;
}

/* ---- placeholders ------------------------------------------------------- */

/* Open the parent of host below root, one component at a time, no links. */
static int open_parent(const char *root, const char *host, char **ret_name)
{
	_cleanup_free_ char *rel = NULL;
	_cleanup_close_ int fd = -EBADF;
	char *save = NULL, *c, *next;

	if (!aj_path_covers(root, host) || strcmp(root, host) == 0)
		return -EINVAL;
	rel = strdup(host + (strcmp(root, "/") ? strlen(root) : 0) + 1);
	if (!rel)
		return -ENOMEM;
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	c = strtok_r(rel, "/", &save);
	while (c && (next = strtok_r(NULL, "/", &save))) {
		int nfd = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (nfd < 0)
			return -errno;
		aj_closep(&fd);
		fd = nfd;
		c = next;
	}
	if (!c)
		return -EINVAL;
	*ret_name = strdup(c);
	return *ret_name ? TAKE_FD(fd) : -ENOMEM;
}

static int remember(struct aj_front *f, const char *host, const char *root, int dfd,
		    const char *name)
{
	struct aj_placeholder *v;
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	v = reallocarray(f->placeholders, f->n_placeholders + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	f->placeholders = v;
	v[f->n_placeholders] = (struct aj_placeholder){ .host = strdup(host), .root = strdup(root),
							.dev = st.st_dev, .ino = st.st_ino,
							.created = true };
	if (!v[f->n_placeholders].host || !v[f->n_placeholders].root) {
		free(v[f->n_placeholders].host);
		free(v[f->n_placeholders].root);
		return -ENOMEM;
	}
	f->n_placeholders++;
	return 0;
}

/* mkdir -p below root, never through a link; note each directory made. */
static int make_placeholder(struct aj_front *f, const char *host, const char *root)
{
	_cleanup_free_ char *path = strdup(host);
	char *p;
	int r;

	if (!path)
		return -ENOMEM;
	/* p walks the '/' before each component below root. */
	for (p = path + (strcmp(root, "/") ? strlen(root) : 0); *p == '/';) {
		char *next = strchr(p + 1, '/');
		struct stat st;

		if (next)
			*next = '\0';
		if (lstat(path, &st) < 0) {
			_cleanup_close_ int dfd = -EBADF;
			_cleanup_free_ char *name = NULL;

			if (errno != ENOENT)
				return -errno;
			dfd = open_parent(root, path, &name);
			if (dfd < 0)
				return dfd;
			if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST)
				return -errno;
			r = remember(f, path, root, dfd, name);
			if (r < 0)
				return r;
		}
		if (!next)
			break;
		*next = '/';
		p = next;
	}
	return 0;
}

int aj_expand_placeholders_create(struct aj_front *f)
{
	size_t planned = f->n_placeholders;

	for (size_t i = 0; i < planned; i++) {
		struct aj_placeholder *p = &f->placeholders[i];
		_cleanup_free_ char *host = NULL, *root = NULL;
		int r;

		if (p->created)
			continue;
		/* f->placeholders may move as directories are remembered. */
		host = strdup(p->host);
		root = strdup(p->root);
		if (!host || !root)
			return aj_err(-ENOMEM, "Out of memory");
		r = make_placeholder(f, host, root);
		/*
		 * Not writable here (or a link on the way): the sandbox cannot
		 * create it either, or protect refuses the link when it mounts.
		 */
		if (r == -EACCES || r == -EPERM || r == -EROFS || r == -ELOOP || r == -ENOTDIR)
			continue;
		if (r < 0)
			return aj_err(r, "creating the placeholder '%s'", host);
	}
	return 0;
}

void aj_expand_placeholders_remove(struct aj_front *f)
{
	for (size_t i = f->n_placeholders; i-- > 0;) {
		struct aj_placeholder *p = &f->placeholders[i];
		_cleanup_free_ char *name = NULL;
		_cleanup_close_ int dfd = -EBADF;
		struct stat st;

		if (p->created) {
			dfd = open_parent(p->root, p->host, &name);
			/* Only what we made, and only if still empty (rmdir refuses otherwise). */
			if (dfd >= 0 && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    st.st_dev == p->dev && st.st_ino == p->ino)
				(void)unlinkat(dfd, name, AT_REMOVEDIR);
		}
		free(p->host);
		free(p->root);
	}
	free(f->placeholders);
	f->placeholders = NULL;
	f->n_placeholders = 0;
}
