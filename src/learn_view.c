/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The learning view: the base profile's sandbox, except that the rest of
 * the host shows through, read-only, with writes landing in a throwaway
 * layer.
 *
 * The host is shown as overlays (lower: the host directory, upper: the
 * setup tmpfs, gone with the sandbox), one per directory tree that holds
 * no other mount: overlayfs does not cross mounts, and the kernel refuses
 * to clone a mount with locked children (every mount below another, in a
 * user namespace) as a lower layer ("failed to clone lowerpath").  So the
 * tree is cut at the mounts: a directory with a mount below it is made
 * (`dir`) and its entries are shown one by one, each directory without a
 * mount below it as one overlay, each file as a read-only bind, each link
 * as a link.  An overlay shows a host socket as a socket nobody listens on
 * (connect() fails: the bound socket belongs to the host's inode, not to
 * the overlay's), so no host service is reachable through the view.
 *
 * Not shown, as in the base: /proc, /sys, /dev and /run (the base's own
 * proc and dev ops stay), pseudo filesystems wherever they are mounted.
 * FUSE mounts are bound read-only (a FUSE server as a lower layer can
 * stall the kernel).  A filesystem overlayfs refuses falls back to a
 * read-only bind (AJ_OPF_RO_FALLBACK).
 *
 * Then the base's operations, in order, on top, except a tmpfs on the
 * home directory: the home is where an agent's tools and configuration
 * live, the point of learning.  The base's read-only directory binds become
 * overlays of the same directories: a write there is thrown away too.  The home and the project are shown again
 * right after a tmpfs of the base above them (/var/tmp, /home).  The base's hide and mask
 * rules are expanded against this view (expand.c reads single-layer
 * overlays as the host), so what they hide stays hidden while learning.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/learn.h"
#include "agentjail/log.h"
#include "agentjail/plan.h"
#include "agentjail/vars.h"
#include "cleanup.h"

struct mnt {
	char *path;
	char *type;
};

struct view {
	struct mnt *mnts;
	size_t n_mnts;
	struct aj_op *ops;
	size_t n_ops;
	const struct aj_plan *plan; /* the base: destinations it defines itself */
	const char *home;
};

/* Directories the view never shows (the base has its own /proc and /dev). */
static const char *const skipped[] = { "/proc", "/sys", "/dev", "/run" };

/* Filesystems that are the kernel's interfaces, not files. */
static bool pseudo_fs(const char *type)
{
	static const char *const pseudo[] = {
		"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "debugfs",
		"tracefs", "bpf", "pstore", "mqueue", "hugetlbfs", "fusectl", "configfs",
		"binfmt_misc", "autofs", "nsfs", "efivarfs", "rpc_pipefs", "selinuxfs", "nfsd",
	};

	for (size_t i = 0; i < ELEMENTSOF(pseudo); i++)
		if (strcmp(type, pseudo[i]) == 0)
			return true;
	return false;
}

/* mountinfo escapes blanks, tabs, newlines and backslashes as \ooo. */
static char *unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

static int read_mounts(struct view *v)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return aj_err(-errno, "learn: reading /proc/self/mountinfo");
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *field, *mp = NULL, *sep = strstr(line, " - ");
		char type[64] = "";
		struct mnt *nv;
		int i = 0;

		if (!sep || sscanf(sep + 3, "%63s", type) != 1)
			continue;
		*sep = '\0';
		for (field = strtok_r(line, " ", &save); field; field = strtok_r(NULL, " ", &save))
			if (++i == 5)
				mp = field;
		if (!mp)
			continue;
		nv = reallocarray(v->mnts, v->n_mnts + 1, sizeof(*nv));
		if (!nv)
			return aj_err(-ENOMEM, "Out of memory");
		v->mnts = nv;
		nv[v->n_mnts] = (struct mnt){ .path = unescape(mp), .type = strdup(type) };
		if (!nv[v->n_mnts].path || !nv[v->n_mnts].type) {
			free(nv[v->n_mnts].path);
			free(nv[v->n_mnts].type);
			return aj_err(-ENOMEM, "Out of memory");
		}
		v->n_mnts++;
	}
	return 0;
}

/* The filesystem mounted last at exactly p (it covers the earlier ones), or NULL. */
static const struct mnt *mount_at(const struct view *v, const char *p)
{
	for (size_t i = v->n_mnts; i-- > 0;)
		if (strcmp(v->mnts[i].path, p) == 0)
			return &v->mnts[i];
	return NULL;
}

static bool mount_below(const struct view *v, const char *p)
{
	for (size_t i = 0; i < v->n_mnts; i++)
		if (aj_path_covers(p, v->mnts[i].path) && strcmp(p, v->mnts[i].path) != 0)
			return true;
	return false;
}

static bool drops(const struct aj_op *op, const char *home);

/* Does the base make dest itself (a bind, a tmpfs, a link...)?  Then it is the base's. */
static bool base_defines(const struct view *v, const char *dest)
{
	for (size_t i = 0; i < v->plan->n_ops; i++) {
		const struct aj_op *op = &v->plan->ops[i];

		if (op->dest && strcmp(op->dest, dest) == 0 && !drops(op, v->home) &&
		    (op->kind == AJ_OP_BIND || op->kind == AJ_OP_BIND_FD || op->kind == AJ_OP_TMPFS ||
		     op->kind == AJ_OP_SYMLINK || op->kind == AJ_OP_PROC || op->kind == AJ_OP_DEV ||
		     op->kind == AJ_OP_OVERLAY))
			return true;
	}
	return false;
}

static struct aj_op *new_op(struct view *v, enum aj_op_kind kind, const char *dest)
{
	struct aj_op *nv = reallocarray(v->ops, v->n_ops + 1, sizeof(*nv));

	if (!nv)
		return NULL;
	v->ops = nv;
	nv[v->n_ops] = (struct aj_op){ .kind = kind, .fd = -EBADF, .perms = -1,
				       .dest = strdup(dest) };
	if (!nv[v->n_ops].dest)
		return NULL;
	return &nv[v->n_ops++];
}

static int add_overlay(struct view *v, const char *dir)
{
	struct aj_op *op = new_op(v, AJ_OP_OVERLAY, dir);

	if (!op)
		return -ENOMEM;
	op->flags = AJ_OPF_TMP_OVERLAY | AJ_OPF_RO_FALLBACK;
	op->layers = calloc(2, sizeof(char *));
	if (!op->layers || !(op->layers[0] = strdup(dir)))
		return -ENOMEM;
	op->n_layers = 1;
	return 0;
}

static int add_bind(struct view *v, const char *path)
{
	struct aj_op *op = new_op(v, AJ_OP_BIND, path);

	if (!op)
		return -ENOMEM;
	op->flags = AJ_OPF_RO | AJ_OPF_TRY;
	op->src = strdup(path);
	return op->src ? 0 : -ENOMEM;
}

static int cover(struct view *v, const char *dir, unsigned depth);

static int cover_entries(struct view *v, const char *dir, unsigned depth)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	int r = 0;

	if (fd < 0)
		return 0; /* unreadable: the sandbox could not read it either */
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -EBADF; /* the DIR owns it now */
	while (r >= 0 && (e = readdir(d))) {
		char p[PATH_MAX], target[PATH_MAX];
		struct stat st;
		ssize_t n;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", strcmp(dir, "/") ? dir : "", e->d_name) >=
		    sizeof(p))
			continue;
		if (base_defines(v, p) || lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			r = cover(v, p, depth + 1);
		else if (S_ISLNK(st.st_mode)) {
			struct aj_op *op;

			n = readlink(p, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			op = new_op(v, AJ_OP_SYMLINK, p);
			r = op && (op->src = strdup(target)) ? 0 : -ENOMEM;
		} else if (S_ISREG(st.st_mode))
			r = add_bind(v, p);
		/* Sockets, FIFOs, devices outside /dev: not shown. */
	}
	closedir(d);
	return r;
}

/* Show the host directory dir (absolute, no links) read-only with throwaway writes. */
static int cover(struct view *v, const char *dir, unsigned depth)
{
	const struct mnt *m = mount_at(v, dir);
	struct aj_op *op;
	struct stat st;

	for (size_t i = 0; i < ELEMENTSOF(skipped); i++)
		if (aj_path_covers(skipped[i], dir))
			return 0;
	if (m && pseudo_fs(m->type))
		return 0;
	if (m && strncmp(m->type, "fuse", 4) == 0)
		return add_bind(v, dir);
	if (!mount_below(v, dir))
		return add_overlay(v, dir);
	/* Too deep to cut further: read-only, submounts and all. */
	if (depth > 16)
		return add_bind(v, dir);
	if (strcmp(dir, "/") != 0) {
		if (stat(dir, &st) < 0)
			return 0;
		op = new_op(v, AJ_OP_DIR, dir);
		if (!op)
			return -ENOMEM;
		op->perms = (int)(st.st_mode & 07777);
	}
	return cover_entries(v, dir, depth);
}

/* ---- the plan ---------------------------------------------------------------- */

static void op_free(struct aj_op *op)
{
	free(op->src);
	free(op->dest);
	if (op->layers)
		for (size_t i = 0; i < op->n_layers; i++)
			free(op->layers[i]);
	free(op->layers);
	free(op->workdir);
	if (op->fd >= 0)
		(void)close(op->fd);
}

/*
 * The base's tmpfs on the home directory: the host's home shows instead.  A
 * tmpfs above it (/home, /var/tmp) stays, and the home is shown again on it.
 */
static bool drops(const struct aj_op *op, const char *home)
{
	return op->kind == AJ_OP_TMPFS && home && strcmp(op->dest, home) == 0;
}

/*
 * A read-only directory bind of the base (/usr, /etc/ssl): writes there land
 * in a throwaway layer too, so the run goes on as far as it would and the
 * write is seen.  The same directory, as an overlay.  Returns 1 when the op
 * goes (a -try source that is missing), else 0.
 */
static int throwaway_bind(struct aj_op *op)
{
	_cleanup_free_ char *real = NULL;
	struct stat st;

	if (op->kind != AJ_OP_BIND || !(op->flags & AJ_OPF_RO) || (op->flags & AJ_OPF_SOCKET))
		return 0;
	real = realpath(op->src, NULL);
	if (!real)
		return (op->flags & AJ_OPF_TRY) && errno == ENOENT ? 1 : 0; /* mount.c says why */
	if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0; /* a file stays a read-only bind */
	op->layers = calloc(2, sizeof(char *));
	if (!op->layers)
		return -ENOMEM;
	op->layers[0] = TAKE_PTR(real);
	op->n_layers = 1;
	free(op->src);
	op->src = NULL;
	op->kind = AJ_OP_OVERLAY;
	op->flags = AJ_OPF_TMP_OVERLAY | AJ_OPF_RO_FALLBACK;
	return 0;
}

/* The last tmpfs of the base covering dir, as an index into plan->ops, or -1. */
static ssize_t tmpfs_over(const struct aj_plan *plan, const char *dir, const char *home)
{
	ssize_t k = -1;

	for (size_t i = 0; i < plan->n_ops; i++) {
		const struct aj_op *op = &plan->ops[i];

		if (op->dest && aj_path_covers(op->dest, dir) && !drops(op, home) &&
		    (op->kind == AJ_OP_TMPFS || op->kind == AJ_OP_BIND || op->kind == AJ_OP_BIND_FD))
			k = op->kind == AJ_OP_TMPFS ? (ssize_t)i : -1;
	}
	return k;
}

int aj_learn_view_apply(struct aj_plan *plan, const struct aj_vars *vars)
{
	struct view v = { .plan = plan, .home = vars->home };
	const char *shown[2] = { vars->home, vars->project };
	ssize_t after[2];
	struct aj_op *ops;
	size_t k = 0, total;
	int r;

	r = read_mounts(&v);
	if (r >= 0 && (r = cover(&v, "/", 0)) < 0)
		aj_err(r, "learn: showing the host");
	for (size_t i = 0; i < 2; i++) {
		struct stat st;

		after[i] = -1;
		if (r >= 0 && shown[i] && stat(shown[i], &st) == 0 && S_ISDIR(st.st_mode) &&
		    (i == 0 || !vars->home || !aj_path_covers(vars->home, shown[i])))
			after[i] = tmpfs_over(plan, shown[i], vars->home);
	}
	total = v.n_ops + plan->n_ops + 2;
	ops = r >= 0 ? calloc(total, sizeof(*ops)) : NULL;
	if (r >= 0 && !ops)
		r = aj_err(-ENOMEM, "Out of memory");
	if (r >= 0) {
		/* The host first, the base on top; a home or project under a kept tmpfs after it. */
		for (size_t i = 0; i < v.n_ops; i++)
			ops[k++] = v.ops[i];
		v.n_ops = 0;
		for (size_t i = 0; i < plan->n_ops && r >= 0; i++) {
			int t = drops(&plan->ops[i], vars->home) ? 1 : throwaway_bind(&plan->ops[i]);

			if (t < 0) {
				r = aj_err(-ENOMEM, "Out of memory");
				ops[k++] = plan->ops[i]; /* freed with the plan */
				continue;
			}
			if (t > 0) {
				op_free(&plan->ops[i]);
				continue;
			}
			ops[k++] = plan->ops[i];
			for (size_t s = 0; s < 2 && r >= 0; s++)
				if (after[s] == (ssize_t)i) {
					struct view one = { .plan = plan };

					r = add_overlay(&one, shown[s]) < 0 ? aj_err(-ENOMEM, "Out of memory") : 0;
					if (r >= 0)
						ops[k++] = one.ops[0];
					free(one.ops);
				}
		}
		free(plan->ops);
		plan->ops = ops;
		plan->n_ops = k;
		plan->cap_ops = total;
	}
	for (size_t i = 0; i < v.n_ops; i++)
		op_free(&v.ops[i]);
	free(v.ops);
	for (size_t i = 0; i < v.n_mnts; i++) {
		free(v.mnts[i].path);
		free(v.mnts[i].type);
	}
	free(v.mnts);
	if (r < 0)
		return r;

	/*
	 * The network stays the base's, but goes through the proxy so the
	 * names tried are seen: with no host allowed, that is no network.
	 */
	if (plan->net_mode == AJ_NET_NONE || (plan->net_mode == AJ_NET_UNSET && (plan->unshare & AJ_NS_NET)))
		plan->net_mode = AJ_NET_PROXY;
	return 0;
}
