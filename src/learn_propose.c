/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * From what the observer saw to the lines a profile needs.
 *
 *  1. Each path: dropped when the base shows it already (from the host, and
 *     writable when written), when it is not on the host (a probe that
 *     fails everywhere, or a file made where the base has a tmpfs), when
 *     the learning run did not see the host there either (a tmpfs kept
 *     from the base, /proc, /dev).  Never proposed, and said why: what the
 *     base hides or masks, what looks like a secret by the base's own hide
 *     and mask rules, a host socket unless sockets are asked for.
 *  2. Symbolic links on the way are followed on the host: the target is
 *     what needs binding (a program that finds itself through
 *     /proc/self/exe must see its real place), each link becomes a
 *     `symlink` line unless the base or a proposed directory shows it.
 *     Interpreters the kernel opened itself (#! lines, PT_INTERP) join
 *     the executed files.
 *  3. Reads: ro-bind-try.  A path written in place: bind-try of it; one
 *     created, removed or renamed: bind-try of its directory (a bind of a
 *     file cannot be replaced by rename).  A directory that only had to
 *     exist: dir.
 *  4. Narrowing: everything under the project becomes the project; paths
 *     read below one tool's directory (the first directory below a wide
 *     one: ~, ~/.config, /opt...) become their nearest common directory,
 *     if a walk of it finds at most a few secret-looking entries (each then
 *     masked or hidden by name) and not too many entries to check.  Never
 *     /, /etc, /home, the home directory, /run, nor any top-level
 *     directory or XDG base directory as a whole.
 *  5. Outside the project and the agent's own configuration, a proposal is
 *     marked for a human look.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/learn.h"
#include "agentjail/log.h"
#include "agentjail/netpolicy.h"
#include "agentjail/observe.h"
#include "agentjail/strmap.h"
#include "agentjail/vars.h"
#include "cleanup.h"

/* A directory proposed whole is walked for secrets: at most this many entries. */
#define WALK_MAX_ENTRIES 50000
/* ... and at most this many secret-looking entries, each masked by name. */
#define WALK_MAX_SECRETS 32

struct ctx {
	const struct aj_learn_input *in;
	struct aj_prop *v;
	size_t n, cap;
	struct aj_strmap seen;   /* paths said not proposed */
	struct aj_strmap listed; /* directories read (listed) */
	struct aj_strmap made;   /* directories the command made or tried to (mkdir -p) */
	unsigned long in_listings; /* paths only looked at in a listing: left out */
};

/* ---- the proposal list ---------------------------------------------------------- */

static struct aj_prop *add(struct ctx *c, enum aj_prop_kind kind, const char *path)
{
	struct aj_prop *p;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct aj_prop *nv = reallocarray(c->v, cap, sizeof(*nv));

		if (!nv)
			return NULL;
		c->v = nv;
		c->cap = cap;
	}
	p = &c->v[c->n];
	*p = (struct aj_prop){ .kind = kind, .path = strdup(path) };
	if (!p->path)
		return NULL;
	c->n++;
	return p;
}

static void prop_clear(struct aj_prop *p)
{
	free(p->path);
	free(p->target);
	free(p->why);
	free(p->review_why);
	*p = (struct aj_prop){ 0 };
}

void aj_learn_out_done(struct aj_learn_out *out)
{
	for (size_t i = 0; i < out->n_props; i++)
		prop_clear(&out->props[i]);
	free(out->props);
	*out = (struct aj_learn_out){ 0 };
}

static void credit(struct aj_prop *p, const struct aj_observe_rec *r)
{
	if (!p->count || (r && r->count && !p->pid)) {
		p->pid = r ? r->pid : 0;
		snprintf(p->comm, sizeof(p->comm), "%s", r ? r->comm : "");
	}
	if (r) {
		p->acc |= r->acc;
		p->count += r->count;
	}
	p->n_paths++;
}

static int vset_why(struct aj_prop *p, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static int vset_why(struct aj_prop *p, const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		return -ENOMEM;
	free(p->why);
	p->why = s;
	return 0;
}

static int set_why(struct aj_prop *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_why(struct aj_prop *p, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vset_why(p, fmt, ap);
	va_end(ap);
	return r;
}

/* Not proposed, and why: each path once, for the summary. */
static int skip(struct ctx *c, const char *path, const struct aj_observe_rec *r, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));
static int skip(struct ctx *c, const char *path, const struct aj_observe_rec *r, const char *fmt,
		...)
{
	struct aj_prop *p;
	char key[PATH_MAX + 8];
	va_list ap;
	bool added;
	int ret;

	snprintf(key, sizeof(key), "s:%s", path);
	if (aj_strmap_add(&c->seen, key, strlen(key), 0, &added) < 0)
		return -ENOMEM;
	if (!added)
		return 0;
	p = add(c, AJ_PROP_SKIPPED, path);
	if (!p)
		return -ENOMEM;
	credit(p, r);
	va_start(ap, fmt);
	ret = vset_why(p, fmt, ap);
	va_end(ap);
	return ret;
}

/* ---- places ------------------------------------------------------------------ */

static size_t depth_of(const char *p)
{
	size_t d = 0;

	for (; *p; p++)
		d += *p == '/' && p[1];
	return d;
}

/* A directory never proposed as a whole: it holds too much of other things. */
static bool wide(const struct aj_learn_input *in, const char *p)
{
	const struct aj_vars *v = in->vars;
	const char *named[] = { v->home, v->xdg_config_home, v->xdg_cache_home, v->xdg_data_home,
				v->xdg_state_home, v->xdg_runtime_dir };
	static const char *const fixed[] = { "/etc", "/run", "/usr/local", "/usr/share", "/usr/lib",
					     "/var/lib", "/var/cache", "/var/log", "/var/tmp" };
	char buf[PATH_MAX];

	if (depth_of(p) <= 1)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(named); i++)
		if (named[i] && aj_path_covers(p, named[i]))
			return true; /* the place itself or one above it */
	for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
		if (strcmp(p, fixed[i]) == 0)
			return true;
	if (v->project && aj_path_covers(p, v->project) && strcmp(p, v->project) != 0)
		return true;
	/* ~/.local and ~/.local/bin: every tool's. */
	if (v->home) {
		snprintf(buf, sizeof(buf), "%s/.local", v->home);
		if (strcmp(p, buf) == 0)
			return true;
		snprintf(buf, sizeof(buf), "%s/.local/bin", v->home);
		if (strcmp(p, buf) == 0)
			return true;
	}
	return aj_path_covers("/run", p) || aj_path_covers("/proc", p) || aj_path_covers("/sys", p);
}

/* The first directory below the deepest wide one above p (p itself when directly below). */
static void anchor_of(const struct aj_learn_input *in, const char *p, char *out, size_t size)
{
	char buf[PATH_MAX];
	size_t best = 0;

	snprintf(buf, sizeof(buf), "%s", p);
	/* Find the longest wide ancestor. */
	for (char *s = buf + strlen(buf); s > buf; s = memrchr(buf, '/', (size_t)(s - buf))) {
		char save = *s;

		*s = '\0';
		if (*buf && wide(in, buf)) {
			best = strlen(buf);
			*s = save;
			break;
		}
		*s = save;
		if (s == buf)
			break;
	}
	/* One component more than the wide ancestor ("/" counts as wide); p itself when wide. */
	if (best >= strlen(p)) {
		snprintf(out, size, "%s", p);
		return;
	}
	{
		const char *next = strchr(p + best + 1, '/');
		size_t n = next ? (size_t)(next - p) : strlen(p);

		if (n >= size)
			n = size - 1;
		memcpy(out, p, n);
		out[n] = '\0';
	}
}

static bool in_project(const struct aj_learn_input *in, const char *p)
{
	return in->vars->project && aj_path_covers(in->vars->project, p);
}

/* Below the home (or an XDG base directory) under a name that contains the agent's. */
static bool agent_own(const struct aj_learn_input *in, const char *p)
{
	const struct aj_vars *v = in->vars;
	const char *roots[] = { v->xdg_config_home, v->xdg_data_home, v->xdg_state_home,
				v->xdg_cache_home, v->home };
	size_t an = in->agent ? strlen(in->agent) : 0;

	if (an < 2)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
		const char *r = roots[i], *first, *end;
		size_t rl;

		if (!r || !aj_path_covers(r, p) || strcmp(r, p) == 0)
			continue;
		rl = strlen(r);
		first = p + rl + 1;
		end = strchrnul(first, '/');
		while (*first == '.')
			first++;
		for (const char *s = first; s + an <= end; s++)
			if (strncasecmp(s, in->agent, an) == 0)
				return true;
		/* XDG directories first, so ~/.config/NAME is found as NAME. */
	}
	return false;
}

/* Does the base make dir exist (a view at it, or a mount point below it)? */
static bool base_has_dir(const struct aj_base *b, const char *dir)
{
	const struct aj_view *v = aj_learn_base_view(b, dir);

	if (v && v->host)
		return true;
	for (size_t i = 0; i < b->views.n; i++)
		if (aj_path_covers(dir, b->views.v[i].dest))
			return true;
	return false;
}

/* ---- links and interpreters ------------------------------------------------------ */

/*
 * Resolve p on the host, one component at a time; each link met on the way
 * is proposed as a `symlink` (the base or a proposed directory may show it
 * already: decided when the proposals are cut down).  real: the target.
 */
static int follow_links(struct ctx *c, const char *p, const struct aj_observe_rec *r, char *real,
			size_t size)
{
	char cur[PATH_MAX], rest[PATH_MAX];
	unsigned links = 0;

	snprintf(rest, sizeof(rest), "%s", p);
	snprintf(cur, sizeof(cur), "/");
	while (rest[0]) {
		char *s = rest, *e, comp[NAME_MAX + 1], next[PATH_MAX], target[PATH_MAX];
		struct stat st;
		ssize_t n;

		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchrnul(s, '/');
		if ((size_t)(e - s) > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, s, (size_t)(e - s));
		comp[e - s] = '\0';
		memmove(rest, e, strlen(e) + 1);
		if (aj_path_join(cur, comp, next, sizeof(next)) < 0)
			return -ENAMETOOLONG;
		if (lstat(next, &st) < 0 || !S_ISLNK(st.st_mode)) {
			snprintf(cur, sizeof(cur), "%s", next);
			continue;
		}
		if (++links > 40)
			return -ELOOP;
		n = readlink(next, target, sizeof(target) - 1);
		if (n <= 0)
			return -EINVAL;
		target[n] = '\0';
		if (!aj_learn_base_view(c->in->base, next) || !aj_learn_base_view(c->in->base, next)->host) {
			struct aj_prop *l = add(c, AJ_PROP_SYMLINK, next);

			if (!l || !(l->target = strdup(target)))
				return -ENOMEM;
			credit(l, r);
		}
		/* Continue from the target: relative to the link's directory. */
		{
			char joined[PATH_MAX], *slash = strrchr(next, '/');

			if (slash == next)
				snprintf(cur, sizeof(cur), "/");
			else {
				*slash = '\0';
				snprintf(cur, sizeof(cur), "%s", next);
			}
			if ((size_t)snprintf(joined, sizeof(joined), "%s%s", target, rest) >= sizeof(joined))
				return -ENAMETOOLONG;
			snprintf(rest, sizeof(rest), "%s", joined);
			if (target[0] == '/')
				snprintf(cur, sizeof(cur), "/");
		}
	}
	snprintf(real, size, "%s", cur);
	return 0;
}

/* The interpreter the kernel opens itself for an executed file, or "" (#!, PT_INTERP). */
static void interpreter_of(const char *file, char *out, size_t size)
{
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	unsigned char buf[512];
	ssize_t n;

	out[0] = '\0';
	if (fd < 0 || (n = pread(fd, buf, sizeof(buf) - 1, 0)) < 4)
		return;
	buf[n] = '\0';
	if (buf[0] == '#' && buf[1] == '!') {
		const char *s = (const char *)buf + 2;
		size_t k;

		while (*s == ' ' || *s == '\t')
			s++;
		k = strcspn(s, " \t\r\n");
		if (*s == '/' && k < size) {
			memcpy(out, s, k);
			out[k] = '\0';
		}
		return;
	}
	if (n >= (ssize_t)sizeof(Elf64_Ehdr) && memcmp(buf, ELFMAG, SELFMAG) == 0 &&
	    buf[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		for (unsigned i = 0; i < eh.e_phnum && i < 64; i++) {
			Elf64_Phdr ph;

			if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
			    (ssize_t)sizeof(ph))
				return;
			if (ph.p_type == PT_INTERP && ph.p_filesz > 1 && ph.p_filesz < size &&
			    pread(fd, out, ph.p_filesz, (off_t)ph.p_offset) == (ssize_t)ph.p_filesz) {
				out[ph.p_filesz - 1] = '\0';
				if (out[0] != '/')
					out[0] = '\0';
				return;
			}
		}
	}
}

/* ---- one path ------------------------------------------------------------------ */

static int classify(struct ctx *c, const char *path, const struct aj_observe_rec *r, unsigned acc,
		    const char *note, unsigned hops);

/* The nearest existing host directory at or above p. */
static void existing_dir(const char *p, char *out, size_t size)
{
	struct stat st;

	snprintf(out, size, "%s", p);
	while (strcmp(out, "/") != 0) {
		char *s;

		if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
			return;
		s = strrchr(out, '/');
		if (s == out)
			s[1] = '\0';
		else
			*s = '\0';
	}
}

static int propose(struct ctx *c, enum aj_prop_kind kind, const char *path,
		   const struct aj_observe_rec *r, unsigned acc, const char *note)
{
	struct aj_prop *p = add(c, kind, path);

	if (!p)
		return -ENOMEM;
	credit(p, r);
	p->acc |= acc;
	if (note && !(p->why = strdup(note)))
		return -ENOMEM;
	return 0;
}

/* A path written: in place (the file itself), or its directory changed (create, rename). */
static int classify_write(struct ctx *c, const char *p, const struct stat *st, bool exists,
			  const struct aj_observe_rec *r, unsigned acc)
{
	const struct aj_learn_input *in = c->in;
	char dir[PATH_MAX];
	bool dir_change = (acc & AJ_ACC_CREATE) || !exists ||
			  ((acc & AJ_ACC_MAYBE_NEW) && !(acc & (AJ_ACC_READ | AJ_ACC_WRITE)));

	if (exists && !dir_change)
		return propose(c, AJ_PROP_RW, p, r, acc, NULL);
	/* The directory that changes: p's own when p is one that is made or removed. */
	if (exists && S_ISDIR(st->st_mode) && !(acc & AJ_ACC_CREATE))
		snprintf(dir, sizeof(dir), "%s", p);
	else {
		char parent[PATH_MAX], *s;

		snprintf(parent, sizeof(parent), "%s", p);
		s = strrchr(parent, '/');
		if (s == parent)
			s[1] = '\0';
		else if (s)
			*s = '\0';
		existing_dir(parent, dir, sizeof(dir));
	}
	/* Made in a writable bind of the base: the base's. */
	if (aj_learn_base_provides(in->base, dir, true))
		return 0;
	/*
	 * Made in a writable tmpfs of the base, in a directory the base has
	 * (the home itself) or the command made itself (mkdir -p ~/.cache/x):
	 * the base's too, the run did not need the host's directory.
	 */
	{
		const struct aj_view *v = aj_learn_base_view(in->base, dir);

		if (!exists && v && !v->host && v->writable &&
		    (base_has_dir(in->base, dir) || aj_strmap_get(&c->made, dir, strlen(dir), NULL)))
			return 0;
	}
	if (wide(in, dir)) {
		if (exists && !S_ISDIR(st->st_mode))
			return propose(c, AJ_PROP_RW, p, r, acc,
				       "replaced, not written in place: a bind of the file cannot be "
				       "replaced by rename, and its directory is too wide to bind");
		return skip(c, p, r, "not proposed: it would need all of %s writable", dir);
	}
	if (aj_learn_base_secret(in->base, dir, true))
		return skip(c, dir, r, "not proposed: it looks like a secret (%s)",
			    aj_learn_base_secret(in->base, dir, true));
	return propose(c, AJ_PROP_RW, dir, r, acc, exists ? NULL : "files are made in it");
}

static int classify(struct ctx *c, const char *path, const struct aj_observe_rec *r, unsigned acc,
		    const char *note, unsigned hops)
{
	const struct aj_learn_input *in = c->in;
	struct aj_base *base = in->base;
	bool write = acc & (AJ_ACC_WRITE | AJ_ACC_CREATE);
	bool exists, dir;
	const char *why;
	char real[PATH_MAX];
	struct stat st;
	int ret;

	if (aj_path_covers("/proc", path) || aj_path_covers("/dev", path) ||
	    aj_path_covers("/sys", path))
		return 0; /* the kernel's: the base has its own /proc and /dev */
	if ((why = aj_learn_base_hidden(base, path))) {
		if (lstat(path, &st) == 0)
			return skip(c, path, r, "not proposed: the base hides it (%s)", why);
		return 0;
	}
	if (aj_learn_base_provides(base, path, false) &&
	    (!write || aj_learn_base_provides(base, path, true)))
		return 0;
	if (write && (why = aj_learn_base_protected(base, path)))
		return skip(c, path, r, "not proposed: the base keeps it read-only (protect %s)", why);
	exists = lstat(path, &st) == 0;
	if (!exists && !write)
		return 0; /* not there, in the base or on the host */
	/* What the learning run saw there was not the host's (a tmpfs of the base): nothing to offer. */
	if (in->learning) {
		const struct aj_view *lv = aj_learn_base_view(in->learning, path);

		if (!lv || !lv->host)
			return 0;
	}
	if (exists && S_ISLNK(st.st_mode)) {
		ret = follow_links(c, path, r, real, sizeof(real));
		if (ret == -ENOMEM)
			return ret;
		if (ret < 0 || strcmp(real, path) == 0)
			return 0;
		if ((why = aj_learn_base_secret(base, real, false)))
			return skip(c, path, r, "not proposed: it leads to what looks like a secret (%s)",
				    why);
		return classify(c, real, r, acc, note, hops);
	}
	/* Links in the directories above: the target is what needs showing. */
	ret = follow_links(c, path, r, real, sizeof(real));
	if (ret == -ENOMEM)
		return ret;
	if (ret >= 0 && strcmp(real, path) != 0)
		return classify(c, real, r, acc, note, hops);

	dir = exists && S_ISDIR(st.st_mode);
	if ((acc & AJ_ACC_REFUSED) || (why = aj_learn_base_secret(base, path, dir)))
		return skip(c, path, r, "not proposed: it looks like a secret (%s)",
			    aj_learn_base_secret(base, path, dir) ? aj_learn_base_secret(base, path, dir)
								   : "refused while learning");
	if (exists && S_ISSOCK(st.st_mode)) {
		if (!(acc & AJ_ACC_CONNECT))
			return 0;
		if (!in->sockets)
			return skip(c, path, r, "not proposed: %s (--sockets proposes host sockets)",
				    "a host socket");
		return propose(c, AJ_PROP_SOCKET, path, r, acc, note);
	}
	if (exists && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return 0; /* FIFOs and devices outside /dev: not for a profile */
	if (write)
		return classify_write(c, path, &st, exists, r, acc);
	if (dir && !(acc & ~(unsigned)(AJ_ACC_STAT | AJ_ACC_DIR | AJ_ACC_READ))) {
		/* Looked at or listed: it has to exist; what was used in it comes on its own. */
		if (base_has_dir(base, path))
			return 0;
		return propose(c, AJ_PROP_DIR, path, r, acc, note);
	}
	ret = propose(c, AJ_PROP_RO, path, r, acc, note);
	/* The kernel opens an interpreter itself: the observer never sees it. */
	if (ret >= 0 && (acc & AJ_ACC_EXEC) && !dir && hops < 4) {
		char interp[PATH_MAX], why_interp[PATH_MAX + 32];

		interpreter_of(path, interp, sizeof(interp));
		if (interp[0]) {
			snprintf(why_interp, sizeof(why_interp), "the interpreter of %s", path);
			ret = classify(c, interp, r, AJ_ACC_EXEC, why_interp, hops + 1);
		}
	}
	return ret;
}

/* ---- narrowing ------------------------------------------------------------------ */

static int prop_cmp(const void *a, const void *b)
{
	const struct aj_prop *x = a, *y = b;

	if (!x->path || !y->path)
		return !x->path - !y->path; /* emptied slots last */
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Two proposals of one kind and path become one. */
static void merge_same(struct ctx *c)
{
	size_t k = 0;

	if (c->n) /* qsort(NULL, 0) is undefined */
		qsort(c->v, c->n, sizeof(*c->v), prop_cmp);
	for (size_t i = 0; i < c->n; i++) {
		if (!c->v[i].path)
			continue;
		if (k > 0 && c->v[k - 1].kind == c->v[i].kind && strcmp(c->v[k - 1].path, c->v[i].path) == 0 &&
		    c->v[i].kind != AJ_PROP_SKIPPED) {
			struct aj_prop *d = &c->v[k - 1];

			d->acc |= c->v[i].acc;
			d->count += c->v[i].count;
			d->n_paths += c->v[i].n_paths;
			if (!d->why && c->v[i].why)
				d->why = TAKE_PTR(c->v[i].why);
			prop_clear(&c->v[i]);
			continue;
		}
		c->v[k++] = c->v[i];
	}
	c->n = k;
}

struct walk {
	struct ctx *c;
	size_t entries;
	char **secrets;
	bool *secret_dir;
	size_t n_secrets;
	bool over;
};

static int walk_dir(struct walk *w, const char *dir, unsigned depth)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	int r = 0;

	if (fd < 0)
		return 0; /* unreadable: the sandbox cannot read it either */
	if (depth > 32) {
		w->over = true;
		return 0;
	}
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -EBADF;
	while (r >= 0 && !w->over && (e = readdir(d))) {
		char p[PATH_MAX];
		bool isdir;
		const char *why;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (++w->entries > WALK_MAX_ENTRIES) {
			w->over = true;
			break;
		}
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= sizeof(p))
			continue;
		isdir = e->d_type == DT_DIR;
		if (e->d_type == DT_UNKNOWN) {
			struct stat st;

			isdir = lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
		}
		why = aj_learn_base_secret(w->c->in->base, p, isdir);
		if (why || aj_learn_base_hidden(w->c->in->base, p)) {
			char **nv;
			bool *nd;

			if (w->n_secrets >= WALK_MAX_SECRETS) {
				w->over = true;
				break;
			}
			nv = reallocarray(w->secrets, w->n_secrets + 1, sizeof(char *));
			nd = nv ? reallocarray(w->secret_dir, w->n_secrets + 1, sizeof(bool)) : NULL;
			if (nv)
				w->secrets = nv;
			if (!nv || !nd || !(nv[w->n_secrets] = strdup(p))) {
				r = -ENOMEM;
				break;
			}
			w->secret_dir = nd;
			nd[w->n_secrets++] = isdir;
			continue; /* hidden as a whole */
		}
		if (isdir)
			r = walk_dir(w, p, depth + 1);
	}
	closedir(d);
	return r;
}

/* The longest common directory of the paths (each a file or a directory). */
/*
 * The longest common directory of the paths read (a directory that only had
 * to exist does not widen it: `git` looks at a worktree's main checkout, but
 * reads only its .git).
 */
static void common_dir(const struct ctx *c, const size_t *idx, size_t n, char *out, size_t size)
{
	bool first = true;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *p = c->v[idx[i]].path;

		if (c->v[idx[i]].kind != AJ_PROP_RO)
			continue;
		if (first) {
			struct stat st;

			first = false;
			snprintf(out, size, "%s", p);
			if (stat(out, &st) < 0 || !S_ISDIR(st.st_mode)) {
				char *s = strrchr(out, '/');

				if (s && s != out)
					*s = '\0';
			}
			continue;
		}

		while (!aj_path_covers(out, p)) {
			char *s = strrchr(out, '/');

			if (!s || s == out) {
				snprintf(out, size, "/");
				break;
			}
			*s = '\0';
		}
	}
}

/* The read-only paths below one anchor become their common directory, if safe. */
static int narrow_group(struct ctx *c, const size_t *idx, size_t n, const char *anchor)
{
	struct walk w = { .c = c };
	char dir[PATH_MAX];
	struct aj_prop merged = { .kind = AJ_PROP_RO };
	int r;

	common_dir(c, idx, n, dir, sizeof(dir));
	if (!aj_path_covers(anchor, dir) || wide(c->in, dir))
		return 0;
	r = walk_dir(&w, dir, 0);
	if (r >= 0 && !w.over) {
		for (size_t i = 0; i < n; i++) {
			struct aj_prop *p = &c->v[idx[i]];

			if (!aj_path_covers(dir, p->path))
				continue; /* a directory to make, outside: stays */
			if (!merged.count || (!merged.pid && p->pid)) {
				merged.pid = p->pid;
				memcpy(merged.comm, p->comm, sizeof(merged.comm));
			}
			merged.acc |= p->acc;
			merged.count += p->count;
			merged.n_paths += p->n_paths;
			prop_clear(p);
			p->kind = AJ_PROP_SKIPPED; /* emptied: dropped below */
		}
		merged.path = strdup(dir);
		if (!merged.path)
			r = -ENOMEM;
		for (size_t i = 0; r >= 0 && i < w.n_secrets; i++) {
			struct aj_prop *s = add(c, w.secret_dir[i] ? AJ_PROP_HIDE : AJ_PROP_MASK, w.secrets[i]);

			if (!s)
				r = -ENOMEM;
		}
		if (r >= 0) {
			struct aj_prop *m = add(c, AJ_PROP_RO, dir);

			if (!m)
				r = -ENOMEM;
			else {
				free(m->path);
				*m = merged;
				merged.path = NULL;
			}
		}
		free(merged.path);
	}
	for (size_t i = 0; i < w.n_secrets; i++)
		free(w.secrets[i]);
	free(w.secrets);
	free(w.secret_dir);
	return r < 0 ? -ENOMEM : 0;
}

static int narrow(struct ctx *c)
{
	const struct aj_learn_input *in = c->in;
	const char *project = in->vars->project;
	struct aj_strmap groups = { 0 };
	size_t *idx = NULL, n_total = c->n;
	int r = 0;

	/* The project: one line for all of it (the base's masks and protection apply there). */
	if (project && !aj_learn_base_provides(in->base, project, false)) {
		struct aj_prop whole = { .kind = AJ_PROP_RO };
		bool any = false;

		for (size_t i = 0; i < c->n; i++) {
			struct aj_prop *p = &c->v[i];

			if (p->kind > AJ_PROP_DIR || !in_project(in, p->path))
				continue;
			if (p->kind == AJ_PROP_RW)
				whole.kind = AJ_PROP_RW;
			if (!any || (!whole.pid && p->pid)) {
				whole.pid = p->pid;
				memcpy(whole.comm, p->comm, sizeof(whole.comm));
			}
			any = true;
			whole.acc |= p->acc;
			whole.count += p->count;
			whole.n_paths += p->n_paths;
			prop_clear(p);
			p->kind = AJ_PROP_SKIPPED;
		}
		if (any) {
			struct aj_prop *w = add(c, whole.kind, project);

			if (!w)
				return -ENOMEM;
			free(w->path);
			whole.path = strdup(project);
			if (!whole.path)
				return -ENOMEM;
			*w = whole;
		}
	}
	/* Group the read-only paths (and directories) by anchor. */
	idx = calloc(c->n + 1, sizeof(size_t));
	if (!idx)
		return -ENOMEM;
	n_total = c->n;
	for (size_t i = 0; i < n_total && r >= 0; i++) {
		struct aj_prop *p = &c->v[i];
		char anchor[PATH_MAX];
		size_t n = 0, files = 0;
		bool added;

		if ((p->kind != AJ_PROP_RO && p->kind != AJ_PROP_DIR) || !p->path || in_project(in, p->path))
			continue;
		anchor_of(in, p->path, anchor, sizeof(anchor));
		if (aj_strmap_add(&groups, anchor, strlen(anchor), 0, &added) < 0) {
			r = -ENOMEM;
			break;
		}
		if (!added)
			continue;
		for (size_t k = i; k < n_total; k++) {
			struct aj_prop *q = &c->v[k];

			if ((q->kind == AJ_PROP_RO || q->kind == AJ_PROP_DIR) && q->path &&
			    aj_path_covers(anchor, q->path)) {
				idx[n++] = k;
				files += q->kind == AJ_PROP_RO;
			}
		}
		/* Two paths read below one tool's directory: the directory, if it is safe. */
		if (files >= 2)
			r = narrow_group(c, idx, n, anchor);
	}
	free(idx);
	aj_strmap_done(&groups);
	return r;
}

/* Does q, a bind, show path (below it, or at it unless strictly)? */
static bool shows(const struct aj_prop *q, const char *path, bool strictly)
{
	if (!q->path || (q->kind != AJ_PROP_RO && q->kind != AJ_PROP_RW))
		return false;
	return aj_path_covers(q->path, path) && (!strictly || strcmp(q->path, path) != 0);
}

/* Drop what another proposal already shows, and the emptied slots. */
static void prune(struct ctx *c)
{
	size_t k = 0;

	merge_same(c);
	for (size_t i = 0; i < c->n; i++) {
		struct aj_prop *p = &c->v[i];
		bool drop = !p->path;

		for (size_t j = 0; !drop && j < c->n; j++) {
			const struct aj_prop *q = &c->v[j];

			if (j == i || !q->path)
				continue;
			switch (p->kind) {
			case AJ_PROP_RO:
				/* Inside a directory proposed whole, or also written. */
				drop = shows(q, p->path, q->kind == AJ_PROP_RO);
				break;
			case AJ_PROP_RW:
				drop = q->kind == AJ_PROP_RW && shows(q, p->path, true);
				break;
			case AJ_PROP_DIR:
				/* Shown by a bind, or made as the parent of what is below it. */
				drop = shows(q, p->path, false) ||
				       (q->kind <= AJ_PROP_SOCKET && aj_path_covers(p->path, q->path) &&
					strcmp(p->path, q->path) != 0);
				break;
			case AJ_PROP_SYMLINK:
				drop = shows(q, p->path, true);
				break;
			case AJ_PROP_SOCKET:
			case AJ_PROP_MASK:
			case AJ_PROP_HIDE:
			case AJ_PROP_ALLOW:
			case AJ_PROP_PASS:
			case AJ_PROP_SKIPPED:
				break;
			}
		}
		if (drop) {
			prop_clear(p);
			continue;
		}
		c->v[k++] = *p;
	}
	c->n = k;
}

/* ---- review marks ---------------------------------------------------------------- */

static int mark(struct ctx *c)
{
	const struct aj_learn_input *in = c->in;

	for (size_t i = 0; i < c->n; i++) {
		struct aj_prop *p = &c->v[i];
		const char *why = NULL;

		switch (p->kind) {
		case AJ_PROP_RO:
		case AJ_PROP_RW:
		case AJ_PROP_DIR:
		case AJ_PROP_SOCKET:
			if (in_project(in, p->path) || agent_own(in, p->path))
				break;
			why = p->kind == AJ_PROP_SOCKET ? "a host socket: whoever listens acts for the sandbox"
			      : p->kind == AJ_PROP_RW   ? "writable, outside the project and the agent's configuration"
							: "outside the project and the agent's configuration";
			break;
		case AJ_PROP_ALLOW:
			if (strchr(p->path, '[') || strspn(p->path, "0123456789.:") == strlen(p->path))
				why = "an IP address";
			else if (p->review_why)
				why = "";
			break;
		case AJ_PROP_SYMLINK:
		case AJ_PROP_MASK:
		case AJ_PROP_HIDE:
		case AJ_PROP_PASS:
		case AJ_PROP_SKIPPED:
			break;
		}
		if (why && *why) {
			p->review = true;
			if (!p->review_why && !(p->review_why = strdup(why)))
				return -ENOMEM;
		} else if (why)
			p->review = true;
	}
	return 0;
}

/* ---- the network and the environment ----------------------------------------------- */

static int propose_net(struct ctx *c)
{
	const struct aj_learn_input *in = c->in;

	if (in->base_net_host)
		return 0;
	for (size_t i = 0; i < in->n_net; i++) {
		const struct aj_learn_net *e = &in->net[i];
		struct aj_hostpat pat;
		const char *bad;
		char text[300], addr[64];
		struct aj_prop *p;
		bool v6 = strchr(e->host, ':') != NULL;

		if (e->allow)
			continue; /* the base allows it */
		snprintf(text, sizeof(text), "%s%s%s:%u", v6 ? "[" : "", e->host, v6 ? "]" : "", e->port);
		if (aj_hostpat_parse(text, &pat, &bad) < 0) {
			if (skip(c, text, NULL, "not proposed: not a host pattern (%s)", bad) < 0)
				return -ENOMEM;
			continue;
		}
		p = add(c, AJ_PROP_ALLOW, text);
		if (!p)
			return -ENOMEM;
		p->count = e->count;
		p->n_paths = 1;
		if (set_why(p, "refused %lu time%s: %s", e->count, e->count == 1 ? "" : "s",
			    e->reason ? e->reason : "") < 0)
			return -ENOMEM;
		/*
		 * A name that resolved to a loopback, private or link-local address is
		 * refused unless that address is allowed too (docs/NETWORK.md): the
		 * proxy's reason starts with the address.
		 */
		if (e->reason && sscanf(e->reason, "%63s is a", addr) == 1 && strstr(e->reason, " address; ")) {
			char apat[100];
			struct aj_prop *a;

			snprintf(apat, sizeof(apat), "%s%s%s:%u", strchr(addr, ':') ? "[" : "", addr,
				 strchr(addr, ':') ? "]" : "", e->port);
			if (aj_hostpat_parse(apat, &pat, &bad) < 0)
				continue;
			a = add(c, AJ_PROP_ALLOW, apat);
			if (!a || set_why(a, "the address %s resolves to", e->host) < 0 ||
			    !(a->review_why = strdup("a non-public address")))
				return -ENOMEM;
			a->count = e->count;
			a->n_paths = 1;
		}
	}
	return 0;
}

/* Variables holding a path the command used (a guess: reading one cannot be seen). */
static int propose_env(struct ctx *c, char *const *env)
{
	const struct aj_learn_input *in = c->in;

	for (size_t i = 0; env && env[i]; i++) {
		const char *eq = strchr(env[i], '='), *val;
		char name[256];
		bool used = false;

		if (!eq || (size_t)(eq - env[i]) >= sizeof(name) || eq == env[i])
			continue;
		memcpy(name, env[i], (size_t)(eq - env[i]));
		name[eq - env[i]] = '\0';
		val = eq + 1;
		if (val[0] != '/' || strchr(val, ':') || wide(in, val))
			continue;
		for (size_t k = 0; k < c->n && !used; k++)
			used = c->v[k].path && c->v[k].kind <= AJ_PROP_SOCKET &&
			       aj_path_covers(val, c->v[k].path);
		if (!used)
			continue;
		{
			struct aj_prop *p = add(c, AJ_PROP_PASS, name);

			if (!p || set_why(p, "guessed: its value %s holds paths the command used", val) < 0)
				return -ENOMEM;
			p->n_paths = 1;
		}
	}
	return 0;
}

/* ---- the whole ------------------------------------------------------------------- */

int aj_learn_propose(const struct aj_learn_input *in, struct aj_learn_out *out)
{
	struct ctx c = { .in = in };
	int r = 0;

	*out = (struct aj_learn_out){ 0 };
	for (size_t i = 0; i < in->n_recs && r >= 0; i++) {
		const struct aj_observe_rec *rec = &in->recs[i];

		if ((rec->acc & (AJ_ACC_READ | AJ_ACC_DIR)) == (AJ_ACC_READ | AJ_ACC_DIR))
			r = aj_strmap_add(&c.listed, rec->path, strlen(rec->path), 0, NULL);
		if (r >= 0 && (rec->acc & (AJ_ACC_CREATE | AJ_ACC_DIR)) == (AJ_ACC_CREATE | AJ_ACC_DIR))
			r = aj_strmap_add(&c.made, rec->path, strlen(rec->path), 0, NULL);
	}
	for (size_t i = 0; i < in->n_recs && r >= 0; i++) {
		const struct aj_observe_rec *rec = &in->recs[i];
		const char *slash = strrchr(rec->path, '/');

		if (strncmp(rec->path, "inet:", 5) == 0) {
			if (!in->base_net_host)
				r = skip(&c, rec->path + 5, rec,
					 "%s: a direct connection, which no line allows (the program ignores "
					 "the proxy variables)", "not proposed");
			continue;
		}
		if (rec->path[0] != '/')
			continue;
		/* `ls -l`, a file manager: every entry of a listing looked at, none used. */
		if (!(rec->acc & ~(unsigned)(AJ_ACC_STAT | AJ_ACC_DIR)) && slash &&
		    aj_strmap_get(&c.listed, rec->path, slash == rec->path ? 1 : (size_t)(slash - rec->path),
				  NULL)) {
			c.in_listings++;
			continue;
		}
		r = classify(&c, rec->path, rec, rec->acc, NULL, 0);
	}
	if (r >= 0)
		r = propose_net(&c);
	if (r >= 0) {
		merge_same(&c);
		r = narrow(&c);
	}
	if (r >= 0)
		r = propose_env(&c, in->env);
	if (r >= 0) {
		prune(&c);
		r = mark(&c);
	}
	for (size_t i = 0; r >= 0 && i < c.n; i++) {
		struct aj_prop *p = &c.v[i];

		if (p->why || p->kind == AJ_PROP_SKIPPED)
			continue;
		if (p->n_paths > 1)
			r = set_why(p, "%u paths used %lu times, first by %s (pid %d)", p->n_paths,
				    p->count, p->comm, (int)p->pid);
		else if (p->pid)
			r = set_why(p, "%s %lu time%s by %s (pid %d)",
				    (p->acc & AJ_ACC_EXEC)			 ? "executed"
				    : (p->acc & (AJ_ACC_WRITE | AJ_ACC_CREATE)) ? "written"
				    : (p->acc & AJ_ACC_CONNECT)		 ? "connected to"
				    : (p->acc & AJ_ACC_READ)			 ? "read"
										 : "looked at",
				    p->count, p->count == 1 ? "" : "s", p->comm, (int)p->pid);
	}
	aj_strmap_done(&c.seen);
	aj_strmap_done(&c.listed);
	aj_strmap_done(&c.made);
	out->in_listings = c.in_listings;
	if (r < 0) {
		out->props = c.v;
		out->n_props = c.n;
		aj_learn_out_done(out);
		return aj_err(-ENOMEM, "Out of memory");
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), prop_cmp);
	out->props = c.v;
	out->n_props = c.n;
	return 0;
}

char *aj_learn_agent_name(char *const *argv)
{
	static const char *const interpreters[] = { "python", "python3", "node", "bash", "sh", "ruby",
						    "perl", "deno", "bun", "npx", "uv", "uvx", "env" };
	const char *word = argv && argv[0] ? argv[0] : "";
	char *name, *dot;

	for (size_t i = 0; argv && argv[i]; i++) {
		const char *base = strrchr(argv[i], '/');
		bool interp = false;

		base = base ? base + 1 : argv[i];
		for (size_t k = 0; k < ELEMENTSOF(interpreters); k++)
			interp |= strncmp(base, interpreters[k], strlen(interpreters[k])) == 0 &&
				  strspn(base + strlen(interpreters[k]), "0123456789.") ==
					  strlen(base + strlen(interpreters[k]));
		word = base;
		if (!interp && base[0] != '-')
			break;
	}
	name = strdup(word);
	if (name && (dot = strrchr(name, '.')) && dot != name)
		*dot = '\0';
	return name;
}
