/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentjail/glob.h"
#include "cleanup.h"

enum comp_kind {
	C_LITERAL,  /* "id_rsa" */
	C_PREFIX,   /* ".env*" */
	C_SUFFIX,   /* "*.pem" */
	C_ANY,      /* "*" */
	C_FNMATCH,  /* anything else */
	C_GLOBSTAR, /* "**" */
};

struct comp {
	enum comp_kind kind;
	char *text;  /* the component as written */
	char *fixed; /* the literal part of LITERAL/PREFIX/SUFFIX */
	size_t len;  /* strlen(fixed) */
};

struct aj_glob {
	char *pattern;
	char *root;
	struct comp *comps; /* below the root */
	size_t n;
	bool dirs_only;
	bool globstar;
};

bool aj_glob_has_magic(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static void comp_free(struct comp *c)
{
	free(c->text);
	free(c->fixed);
}

struct aj_glob *aj_glob_free(struct aj_glob *g)
{
	if (!g)
		return NULL;
	for (size_t i = 0; i < g->n; i++)
		comp_free(&g->comps[i]);
	free(g->comps);
	free(g->pattern);
	free(g->root);
	free(g);
	return NULL;
}

static int comp_init(struct comp *c, const char *s, size_t n)
{
	size_t stars = 0;

	c->text = strndup(s, n);
	if (!c->text)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		stars += s[i] == '*';
	if (n == 2 && stars == 2) {
		c->kind = C_GLOBSTAR;
		return 0;
	}
	if (strstr(c->text, "**"))
		return -EINVAL; /* "a**b": say what is meant instead */
	if (strpbrk(c->text, "?[\\"))
		c->kind = C_FNMATCH;
	else if (stars == 0)
		c->kind = C_LITERAL;
	else if (n == 1)
		c->kind = C_ANY;
	else if (stars == 1 && s[n - 1] == '*')
		c->kind = C_PREFIX;
	else if (stars == 1 && s[0] == '*')
		c->kind = C_SUFFIX;
	else
		c->kind = C_FNMATCH;
	if (c->kind == C_LITERAL || c->kind == C_PREFIX || c->kind == C_SUFFIX) {
		const char *f = c->kind == C_SUFFIX ? s + 1 : s;

		c->len = n - (c->kind == C_LITERAL ? 0 : 1);
		c->fixed = strndup(f, c->len);
		if (!c->fixed)
			return -ENOMEM;
	}
	return 0;
}

int aj_glob_compile(const char *pattern, struct aj_glob **ret)
{
	_cleanup_free_ char *copy = strdup(pattern);
	struct aj_glob *g;
	size_t len, root_end = 0, start;
	const char *p;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	if (copy[0] != '/')
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	len = strlen(copy);
	if (len > 1 && copy[len - 1] == '/') {
		g->dirs_only = true;
		copy[--len] = '\0';
	}
	g->pattern = strdup(pattern);
	if (!g->pattern) {
		aj_glob_free(g);
		return -ENOMEM;
	}

	/* Walk the components; the root is the literal run before the first magic one. */
	bool in_root = true;
	for (p = copy + 1; r >= 0 && *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		bool last = !slash;

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			r = -EINVAL;
			break;
		}
		if (in_root && !last && !memchr(p, '*', n) && !memchr(p, '?', n) && !memchr(p, '[', n) &&
		    !memchr(p, '\\', n)) {
			root_end = (size_t)(p - copy) + n;
		} else {
			struct comp *nc = reallocarray(g->comps, g->n + 1, sizeof(*nc));

			in_root = false;
			if (!nc) {
				r = -ENOMEM;
				break;
			}
			g->comps = nc;
			nc[g->n] = (struct comp){ 0 };
			r = comp_init(&nc[g->n], p, n);
			g->n++;
			if (r >= 0 && nc[g->n - 1].kind == C_GLOBSTAR)
				g->globstar = true;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	if (r >= 0 && g->n == 0)
		r = -EINVAL; /* "/" alone */
	if (r >= 0) {
		start = root_end ? root_end : 1;
		g->root = strndup(copy, start);
		if (!g->root)
			r = -ENOMEM;
	}
	if (r < 0) {
		aj_glob_free(g);
		return r;
	}
	*ret = g;
	return 0;
}

const char *aj_glob_pattern(const struct aj_glob *g)
{
	return g->pattern;
}

const char *aj_glob_root(const struct aj_glob *g)
{
	return g->root;
}

size_t aj_glob_max_depth(const struct aj_glob *g)
{
	return g->globstar ? SIZE_MAX : g->n;
}

bool aj_glob_dirs_only(const struct aj_glob *g)
{
	return g->dirs_only;
}

/* One component against one name (n bytes, not necessarily NUL-terminated). */
static bool comp_match(const struct comp *c, const char *name, size_t n)
{
	char buf[NAME_MAX + 1];

	switch (c->kind) {
	case C_LITERAL:
		return n == c->len && memcmp(name, c->fixed, n) == 0;
	case C_PREFIX:
		return n >= c->len && memcmp(name, c->fixed, c->len) == 0;
	case C_SUFFIX:
		return n >= c->len && memcmp(name + n - c->len, c->fixed, c->len) == 0;
	case C_ANY:
	case C_GLOBSTAR:
		return true;
	case C_FNMATCH:
		if (n > NAME_MAX)
			return false;
		memcpy(buf, name, n);
		buf[n] = '\0';
		return fnmatch(c->text, buf, 0) == 0;
	}
	return false;
}

/* Match components c[0..nc) against the path s (components separated by '/'). */
static bool match_from(const struct comp *c, size_t nc, const char *s)
{
	for (;;) {
		const char *slash;
		size_t n;

		if (nc == 0)
			return *s == '\0';
		if (c->kind == C_GLOBSTAR) {
			/* Zero components, or one and try again. */
			if (nc == 1)
				return true;
			for (;;) {
				if (*s && match_from(c + 1, nc - 1, s))
					return true;
				slash = strchr(s, '/');
				if (!slash)
					return false;
				s = slash + 1;
			}
		}
		if (!*s)
			return false;
		slash = strchr(s, '/');
		n = slash ? (size_t)(slash - s) : strlen(s);
		if (!comp_match(c, s, n))
			return false;
		c++, nc--;
		s += n;
		if (*s == '/')
			s++;
		else if (nc > 0 && !(nc == 1 && c->kind == C_GLOBSTAR))
			return false;
	}
}

bool aj_glob_match(const struct aj_glob *g, const char *rel, const char *name, bool is_dir)
{
	if (g->dirs_only && !is_dir)
		return false;
	/* The common shape ROOT/ ** /NAME: only the name decides. */
	if (g->n == 2 && g->comps[0].kind == C_GLOBSTAR && g->comps[1].kind != C_GLOBSTAR)
		return comp_match(&g->comps[1], name, strlen(name));
	if (g->n == 1)
		return !strchr(rel, '/') && comp_match(&g->comps[0], name, strlen(name));
	return match_from(g->comps, g->n, rel);
}

int aj_glob_rebase(const struct aj_glob *g, const char *root, struct aj_glob **ret)
{
	_cleanup_free_ char *pattern = NULL;
	size_t rl = strlen(g->root);

	/* Below a root of "/" the rest has no leading '/'; below any other it has. */
	if (asprintf(&pattern, "%s%s%s", strcmp(root, "/") ? root : "", rl == 1 ? "/" : "",
		     g->pattern + rl) < 0)
		return -ENOMEM;
	return aj_glob_compile(pattern, ret);
}
