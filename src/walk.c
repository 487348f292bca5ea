/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/glob.h"
#include "agentjail/walk.h"
#include "cleanup.h"

/* Big enough that most directories come in one getdents64 call. */
#define DENTS_BUF (64u * 1024u)

struct state {
	struct aj_walk *w;
	char *path; /* the current path, absolute */
	size_t len, cap;
	char *buf;  /* getdents64 buffer, shared by all levels (a level reads fully first) */
	char *names; /* stack of subdirectory names to visit, NUL-separated */
	size_t names_len, names_cap;
	size_t *root_len; /* per glob: strlen of its root, or SIZE_MAX if not under the walk root */
	size_t root_len_walk; /* strlen of the walk's root: every path starts with it */
	size_t max_depth;
	uid_t euid;
	bool callback_failed; /* the error is the callback's: it said why */
};

static int fail(struct state *s, int r)
{
	if (!s->w->failed_path && !s->callback_failed)
		s->w->failed_path = strdup(s->path);
	return r;
}

static int path_push(struct state *s, const char *name, size_t n)
{
	if (s->len + n + 2 > s->cap) {
		size_t cap = s->cap * 2;
		char *np;

		while (cap < s->len + n + 2)
			cap *= 2;
		np = realloc(s->path, cap);
		if (!np)
			return -ENOMEM;
		s->path = np;
		s->cap = cap;
	}
	if (s->len > 1)
		s->path[s->len++] = '/';
	memcpy(s->path + s->len, name, n + 1);
	s->len += n;
	return 0;
}

static void path_pop(struct state *s, size_t old)
{
	s->len = old;
	s->path[old] = '\0';
}

static int names_push(struct state *s, const char *name, size_t n)
{
	if (s->names_len + n + 1 > s->names_cap) {
		size_t cap = s->names_cap ? s->names_cap * 2 : 4096;
		char *nn;

		while (cap < s->names_len + n + 1)
			cap *= 2;
		nn = realloc(s->names, cap);
		if (!nn)
			return -ENOMEM;
		s->names = nn;
		s->names_cap = cap;
	}
	memcpy(s->names + s->names_len, name, n + 1);
	s->names_len += n + 1;
	return 0;
}

/* Match the entry now in s->path against every pattern; > 0: do not descend. */
static int visit(struct state *s, const char *name, unsigned char type)
{
	struct aj_walk *w = s->w;
	int skip = 0;

	for (size_t i = 0; i < w->n_globs; i++) {
		size_t rl = s->root_len[i];
		const char *rel;
		int r;

		if (rl == SIZE_MAX || s->len <= rl || s->path[rl] != '/' ||
		    (rl > s->root_len_walk && memcmp(s->path, aj_glob_root(w->globs[i]), rl) != 0))
			continue;
		rel = s->path + rl + 1;
		if (!aj_glob_match(w->globs[i], rel, name, type == DT_DIR))
			continue;
		r = w->on_match(w->userdata, i, s->path, type);
		if (r < 0) {
			s->callback_failed = true;
			return r;
		}
		if (r > 0)
			skip = 1;
	}
	if (w->git && name[0] == '.' && strcmp(name, ".git") == 0 &&
	    (type == DT_DIR || type == DT_REG || type == DT_LNK)) {
		int r = w->on_git(w->userdata, s->path,
				  type == DT_REG ? AJ_WALK_GIT_FILE : AJ_WALK_GIT_DIR);
		if (r < 0) {
			s->callback_failed = true;
			return r;
		}
	}
	return skip;
}

/* A directory we may not read: fine if the sandbox cannot read it either. */
static int unreadable(struct state *s, int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	/* Its owner (the same user as the sandbox) could chmod it and read it. */
	return st.st_uid == s->euid ? -EACCES : 0;
}

static int walk_dir(struct state *s, int dfd, size_t depth)
{
	struct aj_walk *w = s->w;
	size_t mark = s->names_len, base = s->len;
	bool head = false, objects = false, refs = false, commondir = false;

	w->n_dirs++;
	for (;;) {
		ssize_t n = getdents64(dfd, s->buf, DENTS_BUF);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail(s, -errno);
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(s->buf + off);
			const char *name = d->d_name;
			unsigned char type = d->d_type;
			size_t nl;
			int r;

			off += d->d_reclen;
			if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
				continue;
			if (type == DT_UNKNOWN) {
				struct stat st;

				if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
					if (errno == ENOENT)
						continue;
					return fail(s, -errno);
				}
				type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK
					: S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
			}
			w->n_entries++;
			nl = strlen(name);
			if (w->git) {
				head |= type == DT_REG && strcmp(name, "HEAD") == 0;
				objects |= type == DT_DIR && strcmp(name, "objects") == 0;
				refs |= type == DT_DIR && strcmp(name, "refs") == 0;
				commondir |= type == DT_REG && strcmp(name, "commondir") == 0;
			}
			r = path_push(s, name, nl);
			if (r < 0)
				return fail(s, r);
			r = visit(s, name, type);
			path_pop(s, base);
			if (r < 0)
				return fail(s, r);
			if (type == DT_DIR && r == 0 && depth + 1 < s->max_depth) {
				r = names_push(s, name, nl);
				if (r < 0)
					return fail(s, r);
			}
		}
	}
	if (w->git && head && ((objects && refs) || commondir)) {
		int r = w->on_git(w->userdata, s->path, commondir ? AJ_WALK_GIT_ADMIN : AJ_WALK_GIT_BARE);

		if (r < 0) {
			s->callback_failed = true;
			return r;
		}
	}
	if (depth + 1 >= AJ_WALK_MAX_DEPTH && s->names_len > mark)
		return fail(s, -ELOOP);

	for (size_t off = mark; off < s->names_len;) {
		_cleanup_close_ int fd = -EBADF;
		const char *name = s->names + off;
		size_t nl = strlen(name);
		int r;

		off += nl + 1;
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		r = path_push(s, name, nl);
		if (r < 0)
			return fail(s, r);
		if (fd < 0) {
			/* Gone, or replaced by a link or file since it was listed: nothing below. */
			if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR)
				r = 0;
			else if (errno == EACCES)
				r = unreadable(s, dfd, name);
			else
				r = -errno;
		} else
			r = walk_dir(s, fd, depth + 1);
		if (r < 0)
			return fail(s, r);
		path_pop(s, base);
		/* walk_dir may have grown (moved) the names stack. */
	}
	s->names_len = mark;
	return 0;
}

int aj_walk_run(struct aj_walk *w)
{
	struct state s = { .w = w, .euid = geteuid() };
	_cleanup_close_ int fd = -EBADF;
	size_t wl = strlen(w->root);
	int r;

	w->n_dirs = w->n_entries = 0;
	s.cap = wl + 256;
	s.path = malloc(s.cap);
	s.buf = malloc(DENTS_BUF);
	s.root_len = calloc(w->n_globs + 1, sizeof(size_t));
	if (!s.path || !s.buf || !s.root_len) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(s.path, w->root, wl + 1);
	s.len = wl;
	s.root_len_walk = wl;

	/* Which patterns live under this root, and how deep the walk must go. */
	s.max_depth = w->git ? SIZE_MAX : 0;
	for (size_t i = 0; i < w->n_globs; i++) {
		const char *gr = aj_glob_root(w->globs[i]);
		size_t gl = strlen(gr), extra = 0;

		s.root_len[i] = SIZE_MAX;
		if (strcmp(w->root, "/") == 0 || (strncmp(gr, w->root, wl) == 0 &&
						   (gr[wl] == '\0' || gr[wl] == '/'))) {
			s.root_len[i] = strcmp(gr, "/") == 0 ? 0 : gl;
			for (const char *c = gr + (strcmp(w->root, "/") ? wl : 0); *c; c++)
				extra += *c == '/';
			size_t d = aj_glob_max_depth(w->globs[i]);
			d = d == SIZE_MAX ? SIZE_MAX : d + extra;
			if (d > s.max_depth)
				s.max_depth = d;
		}
	}

	fd = open(w->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) ? 0 : fail(&s, -errno);
		goto out;
	}
	r = s.max_depth > 0 ? walk_dir(&s, fd, 0) : 0;
out:
	free(s.path);
	free(s.buf);
	free(s.names);
	free(s.root_len);
	return r;
}

void aj_walk_done(struct aj_walk *w)
{
	free(w->failed_path);
	w->failed_path = NULL;
}
