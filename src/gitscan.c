/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/fdutil.h"
#include "agentjail/gitscan.h"
#include "agentjail/vars.h"
#include "cleanup.h"

#define GIT_FILE_MAX (1u << 20)
#define INCLUDE_DEPTH 10

/* ---- reading ------------------------------------------------------------ */

/* A regular file's text, or -errno (-ENOENT when absent). */
static int read_text(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	void *data;
	size_t len;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	r = aj_read_all(fd, GIT_FILE_MAX, &data, &len);
	if (r < 0)
		return r;
	*ret = data;
	if (ret_len)
		*ret_len = len;
	return 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static char *join(const char *dir, const char *rel)
{
	char *s;

	if (rel[0] == '/')
		return strdup(rel);
	if (asprintf(&s, "%s/%s", strcmp(dir, "/") ? dir : "", rel) < 0)
		return NULL;
	return s;
}

/* "/a/./b/../c" -> "/a/c", by the text alone. */
static char *lexical(const char *path)
{
	char *out = malloc(strlen(path) + 2), *o = out;

	if (!out)
		return NULL;
	*o = '\0';
	for (const char *c = path; *c;) {
		const char *end = strchr(c, '/');
		size_t n = end ? (size_t)(end - c) : strlen(c);

		if (n == 0 || (n == 1 && c[0] == '.')) {
			/* nothing */
		} else if (n == 2 && c[0] == '.' && c[1] == '.') {
			char *slash = strrchr(out, '/');

			if (slash)
				*slash = '\0';
		} else {
			*o = '/';
			memcpy(o + 1, c, n);
			o[n + 1] = '\0';
		}
		o = out + strlen(out);
		c += n;
		if (*c == '/')
			c++;
	}
	if (!*out)
		strcpy(out, "/");
	return out;
}

/*
 * The host path as the host resolves it, but keeping the last component as
 * it is: a target that is itself a link is protected as the link.
 */
static char *canon(const char *path)
{
	_cleanup_free_ char *lex = lexical(path), *dir = NULL, *real = NULL;
	const char *base;
	char *s;

	if (!lex)
		return NULL;
	if (strcmp(lex, "/") == 0)
		return TAKE_PTR(lex);
	base = strrchr(lex, '/') + 1;
	dir = strndup(lex, (size_t)(base - lex - 1));
	if (!dir)
		return NULL;
	real = realpath(*dir ? dir : "/", NULL);
	if (!real)
		return TAKE_PTR(lex);
	if (asprintf(&s, "%s/%s", strcmp(real, "/") ? real : "", base) < 0)
		return NULL;
	return s;
}

/* "~/x" with the home directory, relative to base otherwise. */
static char *resolve_path(const char *home, const char *base, const char *value)
{
	char *s;

	if (value[0] == '~' && value[1] == '/') {
		if (!home)
			return NULL;
		if (asprintf(&s, "%s%s", home, value + 1) < 0)
			return NULL;
		return s;
	}
	if (value[0] == '~')
		return NULL; /* ~user: not ours to guess */
	return join(base, value);
}

/* ---- git config syntax -------------------------------------------------- */

struct cursor {
	const char *s, *end;
};

static int peek(struct cursor *c)
{
	return c->s < c->end ? (unsigned char)*c->s : -1;
}

static void skip_line(struct cursor *c)
{
	while (c->s < c->end && *c->s != '\n')
		c->s++;
	if (c->s < c->end)
		c->s++;
}

static void skip_blanks(struct cursor *c)
{
	while (c->s < c->end && (*c->s == ' ' || *c->s == '\t' || *c->s == '\r'))
		c->s++;
}

/* "[core]", "[includeIf \"gitdir:~/x/\"]", "[branch.main]" -> "core", "includeif.gitdir:~/x/". */
static int parse_header(struct cursor *c, char *out, size_t size)
{
	size_t n = 0;

	c->s++; /* '[' */
	while (c->s < c->end && *c->s != ']' && *c->s != '"' && *c->s != '\n') {
		if (*c->s != ' ' && *c->s != '\t' && n + 1 < size)
			out[n++] = (char)tolower((unsigned char)*c->s);
		c->s++;
	}
	if (peek(c) == '"') {
		if (n + 1 < size)
			out[n++] = '.';
		c->s++;
		while (c->s < c->end && *c->s != '"' && *c->s != '\n') {
			if (*c->s == '\\' && c->s + 1 < c->end)
				c->s++;
			if (n + 1 < size)
				out[n++] = *c->s;
			c->s++;
		}
		if (peek(c) == '"')
			c->s++;
		skip_blanks(c);
	}
	out[n] = '\0';
	if (peek(c) != ']')
		return -EINVAL;
	c->s++;
	return 0;
}

/* The value after '=': quotes, escapes, comments, trailing blanks. */
static int parse_value(struct cursor *c, char **ret)
{
	_cleanup_free_ char *v = malloc((size_t)(c->end - c->s) + 1);
	size_t n = 0, keep = 0;
	bool quoted = false;

	if (!v)
		return -ENOMEM;
	skip_blanks(c);
	while (c->s < c->end) {
		char ch = *c->s++;

		if (ch == '\n' && !quoted)
			break;
		if (ch == '\\' && c->s < c->end) {
			char e = *c->s++;

			if (e == '\n')
				continue;
			v[n++] = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'b' ? '\b' : e;
			keep = n;
			continue;
		}
		if (ch == '"') {
			quoted = !quoted;
			continue;
		}
		if (!quoted && (ch == '#' || ch == ';')) {
			skip_line(c);
			break;
		}
		if (ch == '\r' && !quoted)
			continue;
		v[n++] = ch;
		if (quoted || (ch != ' ' && ch != '\t'))
			keep = n;
	}
	v[keep] = '\0';
	*ret = TAKE_PTR(v);
	return 0;
}

int aj_git_config_parse(const char *text, size_t len,
			int (*fn)(void *userdata, const char *name, const char *value), void *userdata)
{
	struct cursor c = { text, text + len };
	char section[256] = "";

	while (c.s < c.end) {
		char key[128], name[400];
		_cleanup_free_ char *value = NULL;
		size_t n = 0;
		int r;

		skip_blanks(&c);
		if (peek(&c) == '#' || peek(&c) == ';' || peek(&c) == '\n') {
			skip_line(&c);
			continue;
		}
		if (peek(&c) == '[') {
			if (parse_header(&c, section, sizeof(section)) < 0) {
				section[0] = '\0';
				skip_line(&c);
			}
			continue; /* a key may follow on the same line */
		}
		while (c.s < c.end && (isalnum((unsigned char)*c.s) || *c.s == '-')) {
			if (n + 1 < sizeof(key))
				key[n++] = (char)tolower((unsigned char)*c.s);
			c.s++;
		}
		key[n] = '\0';
		skip_blanks(&c);
		if (n == 0 || (peek(&c) != '=' && peek(&c) != '\n' && peek(&c) != -1 &&
			       peek(&c) != '#' && peek(&c) != ';')) {
			skip_line(&c); /* not git config; git itself would refuse it */
			continue;
		}
		if (peek(&c) == '=') {
			c.s++;
			r = parse_value(&c, &value);
			if (r < 0)
				return r;
		} else
			skip_line(&c);
		snprintf(name, sizeof(name), "%s.%s", section, key);
		r = fn(userdata, name, value);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- what a config says ------------------------------------------------- */

struct cfg {
	struct aj_git_scan *scan;
	const char *file;   /* the file being parsed */
	const char *repo;   /* for targets */
	char *hooks_path;   /* last core.hooksPath, resolved */
	char *worktree;     /* last core.worktree, resolved */
	unsigned depth;
	int error;
};

static int add_target(struct aj_git_scan *s, const char *path, const char *why, const char *repo,
		      bool dir, bool placeholder)
{
	_cleanup_free_ char *p = canon(path);
	struct aj_git_target *t;

	if (!p)
		return -ENOMEM;
	path = p;
	for (size_t i = 0; i < s->n_targets; i++)
		if (strcmp(s->targets[i].path, path) == 0)
			return 0;
	t = reallocarray(s->targets, s->n_targets + 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	s->targets = t;
	t = &t[s->n_targets];
	*t = (struct aj_git_target){ .path = strdup(path), .why = why, .repo = strdup(repo),
				     .dir = dir, .placeholder = placeholder };
	if (!t->path || !t->repo) {
		free(t->path);
		free(t->repo);
		return -ENOMEM;
	}
	s->n_targets++;
	return 0;
}

static int parse_file(struct cfg *cfg, const char *path);

static int on_config(void *userdata, const char *name, const char *value)
{
	struct cfg *cfg = userdata;
	_cleanup_free_ char *dir = NULL, *p = NULL;
	size_t n = strlen(name);
	bool include = strcmp(name, "include.path") == 0 ||
		       (strncmp(name, "includeif.", 10) == 0 && n > 15 &&
			strcmp(name + n - 5, ".path") == 0);

	if (!value || !*value)
		return 0;
	if (!include && strcmp(name, "core.hookspath") != 0 && strcmp(name, "core.worktree") != 0)
		return 0;
	dir = dir_of(cfg->file);
	if (!dir)
		return -ENOMEM;
	p = resolve_path(cfg->scan->home, dir, value);
	if (!p)
		return 0;
	if (strcmp(name, "core.hookspath") == 0) {
		free(cfg->hooks_path);
		/* Relative: to where the hooks run, decided by the caller. */
		cfg->hooks_path = (value[0] == '/' || value[0] == '~') ? TAKE_PTR(p) : strdup(value);
		return cfg->hooks_path ? 0 : -ENOMEM;
	}
	if (strcmp(name, "core.worktree") == 0) {
		free(cfg->worktree);
		cfg->worktree = TAKE_PTR(p);
		return 0;
	}
	/* An included file is configuration too: protect it, and read it in place. */
	if (cfg->repo) {
		int r = add_target(cfg->scan, p, "file included by a git config", cfg->repo, false, false);
		if (r < 0)
			return r;
	}
	if (cfg->depth >= INCLUDE_DEPTH)
		return 0;
	cfg->depth++;
	const char *saved = cfg->file;
	int r = parse_file(cfg, p);
	cfg->file = saved;
	cfg->depth--;
	return r;
}

static int parse_file(struct cfg *cfg, const char *path)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_text(path, &text, &len);

	if (r < 0)
		return 0; /* absent or unreadable: git sees nothing there either */
	cfg->file = path;
	return aj_git_config_parse(text, len, on_config, cfg);
}

int aj_git_scan_init(struct aj_git_scan *s, const struct aj_vars *vars)
{
	struct cfg cfg = { .scan = s };
	_cleanup_free_ char *xdg = NULL, *home_cfg = NULL;
	int r;

	*s = (struct aj_git_scan){ .home = vars->home };
	if (vars->xdg_config_home && asprintf(&xdg, "%s/git/config", vars->xdg_config_home) < 0)
		return -ENOMEM;
	if (vars->home && asprintf(&home_cfg, "%s/.gitconfig", vars->home) < 0)
		return -ENOMEM;
	/* git's order: system, then XDG, then ~/.gitconfig; the last value wins. */
	r = parse_file(&cfg, "/etc/gitconfig");
	if (r >= 0 && xdg)
		r = parse_file(&cfg, xdg);
	if (r >= 0 && home_cfg)
		r = parse_file(&cfg, home_cfg);
	free(cfg.worktree);
	s->global_hooks_path = cfg.hooks_path;
	return r;
}

void aj_git_scan_done(struct aj_git_scan *s)
{
	for (size_t i = 0; i < s->n_targets; i++) {
		free(s->targets[i].path);
		free(s->targets[i].repo);
	}
	free(s->targets);
	for (size_t i = 0; i < s->n_seen; i++)
		free(s->seen[i]);
	free(s->seen);
	free(s->global_hooks_path);
	*s = (struct aj_git_scan){ 0 };
}

/* ---- repositories ------------------------------------------------------- */

static bool seen(struct aj_git_scan *s, const char *key, int *r)
{
	char **v;

	*r = 0;
	for (size_t i = 0; i < s->n_seen; i++)
		if (strcmp(s->seen[i], key) == 0)
			return true;
	v = reallocarray(s->seen, s->n_seen + 1, sizeof(char *));
	if (!v || !(v[s->n_seen] = strdup(key))) {
		if (v)
			s->seen = v;
		*r = -ENOMEM;
		return true;
	}
	s->seen = v;
	s->n_seen++;
	return false;
}

/* Files at the top of a work tree that hook managers run from. */
static int worktree_targets(struct aj_git_scan *s, const char *w)
{
	static const char *const files[] = { ".gitmodules", ".pre-commit-config.yaml", "lefthook.yml",
					     ".lefthook.yml", "lefthook.yaml", ".lefthook.yaml" };
	char key[PATH_MAX + 4];
	int r;

	snprintf(key, sizeof(key), "wt:%s", w);
	if (seen(s, key, &r))
		return r;
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *p = join(w, files[i]);

		if (!p)
			return -ENOMEM;
		r = add_target(s, p, "hook manager configuration", w, false, false);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_in(struct aj_git_scan *s, const char *dir, const char *name, const char *why,
		  const char *repo, bool is_dir, bool placeholder)
{
	_cleanup_free_ char *p = join(dir, name);

	return p ? add_target(s, p, why, repo, is_dir, placeholder) : -ENOMEM;
}

/* The common dir named by g/commondir (a linked worktree's main git dir), or g. */
static int common_dir(struct aj_git_scan *s, const char *g, const char *repo, char **ret)
{
	_cleanup_free_ char *file = join(g, "commondir"), *text = NULL, *c = NULL;
	char *nl;
	int r;

	if (!file)
		return -ENOMEM;
	if (read_text(file, &text, NULL) < 0) {
		*ret = strdup(g);
		return *ret ? 0 : -ENOMEM;
	}
	r = add_target(s, file, "git commondir pointer", repo, false, false);
	if (r < 0)
		return r;
	nl = strpbrk(text, "\r\n");
	if (nl)
		*nl = '\0';
	c = join(g, text);
	if (!c)
		return -ENOMEM;
	*ret = realpath(c, NULL);
	if (!*ret)
		*ret = strdup(g); /* dangling: git would fail there, and use nothing */
	return *ret ? 0 : -ENOMEM;
}

/* core.hooksPath: relative paths are taken from where hooks run, the work tree top. */
static int hooks_path_targets(struct aj_git_scan *s, const char *hp, const char *base,
			      const char *repo)
{
	_cleanup_free_ char *p = join(base, hp);
	char *slash;
	int r;

	if (!p)
		return -ENOMEM;
	r = add_target(s, p, "core.hooksPath", repo, true, true);
	slash = strrchr(p, '/');
	/* husky's hooks in ".husky/_" run the scripts kept in ".husky". */
	if (r >= 0 && slash && slash != p && strcmp(slash, "/_") == 0) {
		*slash = '\0';
		r = add_target(s, p, "core.hooksPath (its parent holds the hook scripts)", repo, true,
			       false);
	}
	return r;
}

/*
 * A git dir g (any path to it); w is its work tree when the walk knows it.
 * The hooks and the config live in the common dir (the main repository's
 * git dir for a linked worktree).
 */
static int handle_gitdir(struct aj_git_scan *s, const char *g_in, const char *w_in)
{
	_cleanup_free_ char *g = realpath(g_in, NULL), *common = NULL, *conf = NULL, *wt_conf = NULL,
			    *w = NULL;
	struct cfg cfg = { .scan = s };
	const char *repo, *hp, *base;
	int r;

	if (!g)
		return 0; /* dangling: git has nothing there to run */
	repo = w_in ? w_in : g;
	if (seen(s, g, &r))
		return r < 0 ? r : w_in ? worktree_targets(s, w_in) : 0;
	r = common_dir(s, g, repo, &common);
	if (r < 0)
		return r;
	if ((r = add_in(s, common, "hooks", "git hooks", repo, true, true)) < 0 ||
	    (r = add_in(s, common, "config", "git config", repo, false, false)) < 0 ||
	    (r = add_in(s, common, "config.worktree", "git config", repo, false, false)) < 0 ||
	    (r = add_in(s, g, "config.worktree", "git config", repo, false, false)) < 0)
		return r;

	/* What git reads: the repository's config, then the worktree's. */
	cfg.repo = repo;
	conf = join(common, "config");
	wt_conf = join(g, "config.worktree");
	if (!conf || !wt_conf)
		return -ENOMEM;
	r = parse_file(&cfg, conf);
	if (r >= 0)
		r = parse_file(&cfg, wt_conf);

	if (w_in)
		w = strdup(w_in);
	else if (cfg.worktree)
		w = canon(cfg.worktree);
	else if (strlen(g) > 5 && strcmp(g + strlen(g) - 5, "/.git") == 0)
		w = dir_of(g);
	hp = cfg.hooks_path ? cfg.hooks_path : s->global_hooks_path;
	/* A bare repository runs its hooks in the git dir itself. */
	base = w ? w : g;
	if (r >= 0 && hp)
		r = hooks_path_targets(s, hp, base, repo);
	if (r >= 0 && w)
		r = worktree_targets(s, w);
	free(cfg.hooks_path);
	free(cfg.worktree);
	return r;
}

int aj_git_scan_add(struct aj_git_scan *s, const char *path, enum aj_walk_git kind)
{
	_cleanup_free_ char *w = NULL, *text = NULL, *g = NULL;
	struct stat st;
	int r;

	switch (kind) {
	case AJ_WALK_GIT_DIR:
		w = dir_of(path);
		if (!w)
			return -ENOMEM;
		/* A .git link: git follows it, and whoever swaps it picks the hooks. */
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
			r = add_target(s, path, "git dir link", w, false, false);
			if (r < 0)
				return r;
		}
		return handle_gitdir(s, path, w);
	case AJ_WALK_GIT_FILE:
		w = dir_of(path);
		if (!w)
			return -ENOMEM;
		r = add_target(s, path, "gitdir file", w, false, false);
		if (r < 0)
			return r;
		if (read_text(path, &text, NULL) < 0 || strncmp(text, "gitdir:", 7) != 0)
			return 0; /* not a pointer git would follow */
		{
			char *v = text + 7, *nl;

			while (*v == ' ' || *v == '\t')
				v++;
			nl = strpbrk(v, "\r\n");
			if (nl)
				*nl = '\0';
			g = join(w, v);
		}
		return g ? handle_gitdir(s, g, w) : -ENOMEM;
	case AJ_WALK_GIT_BARE:
	case AJ_WALK_GIT_ADMIN:
		return handle_gitdir(s, path, NULL);
	}
	return 0;
}
