/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/front.h"
#include "agentjail/ini.h"
#include "agentjail/log.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "agentjail/profile.h"
#include "agentjail/vars.h"
#include "cleanup.h"
#include "config.h"

#define INCLUDE_DEPTH 16

/* One file being applied. */
struct ctx {
	struct aj_parser *p;
	struct aj_front *f;
	const char *name; /* for messages (interned in the plan) */
	char *dir;        /* its directory, for includes */
	unsigned depth;   /* 1 = the profile named on the command line */
	const char *where; /* "file:line" of the line being applied (the log context) */
};

static int load_file(struct aj_parser *p, const char *path, unsigned depth);

/* ---- the search path ---------------------------------------------------- */

/* A build that runs from its build tree also finds the source tree's profiles. */
static bool uninstalled(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return strcmp(exe, AJ_BUILD_ROOT) == 0;
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Try DIR/NAME.ini then DIR/NAME; note what was tried. */
static int try_dir(const char *dir, const char *name, char **ret_path, char **tried)
{
	const char *forms[] = { ends_with(name, ".ini") ? NULL : ".ini", "" };

	for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
		_cleanup_free_ char *path = NULL;

		if (!forms[i])
			continue;
		if (asprintf(&path, "%s/%s%s", strcmp(dir, "/") ? dir : "", name, forms[i]) < 0)
			return -ENOMEM;
		if (is_file(path)) {
			*ret_path = TAKE_PTR(path);
			return 1;
		}
	}
	if (*tried) {
		char *t;

		if (asprintf(&t, "%s, %s", *tried, dir) < 0)
			return -ENOMEM;
		free(*tried);
		*tried = t;
	} else if (!(*tried = strdup(dir)))
		return -ENOMEM;
	return 0;
}

int aj_profile_find(const struct aj_vars *vars, const char *name, const char *from_dir,
		    char **ret_path, char **ret_tried)
{
	_cleanup_free_ char *xdg = NULL, *tried = NULL;
	const char *dirs[5];
	size_t n = 0;
	int r;

	*ret_tried = NULL;
	if (strchr(name, '/')) {
		_cleanup_free_ char *path = NULL;

		/* A path: as given (an include's is relative to the including file). */
		if (name[0] != '/' && from_dir) {
			if (asprintf(&path, "%s/%s", from_dir, name) < 0)
				return -ENOMEM;
		} else if (!(path = strdup(name)))
			return -ENOMEM;
		if (is_file(path)) {
			*ret_path = TAKE_PTR(path);
			return 0;
		}
		if (!ends_with(path, ".ini")) {
			_cleanup_free_ char *ini = NULL;

			if (asprintf(&ini, "%s.ini", path) < 0)
				return -ENOMEM;
			if (is_file(ini)) {
				*ret_path = TAKE_PTR(ini);
				return 0;
			}
		}
		*ret_tried = TAKE_PTR(path);
		return -ENOENT;
	}
	if (!*name || name[0] == '.')
		return -EINVAL;
	if (from_dir)
		dirs[n++] = from_dir;
	if (vars->xdg_config_home) {
		if (asprintf(&xdg, "%s/agentjail", vars->xdg_config_home) < 0)
			return -ENOMEM;
		dirs[n++] = xdg;
	}
	dirs[n++] = AJ_SYSCONFDIR;
	dirs[n++] = AJ_DATADIR;
	if (uninstalled())
		dirs[n++] = AJ_SRC_PROFILES;
	for (size_t i = 0; i < n; i++) {
		r = try_dir(dirs[i], name, ret_path, &tried);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	*ret_tried = TAKE_PTR(tried);
	return -ENOENT;
}

/* ---- sections and keys -------------------------------------------------- */

/* Sections whose rows other parts add ([security], [limits]) are known already. */
bool aj_profile_section_known(const char *section)
{
	static const char *const own[] = { "profile", "security", "limits" };
	const struct aj_opt *t;
	size_t n;

	for (size_t i = 0; i < ELEMENTSOF(own); i++)
		if (strcmp(section, own[i]) == 0)
			return true;
	t = aj_opt_table(&n);
	for (size_t i = 0; i < n; i++)
		if (t[i].section && strcmp(t[i].section, section) == 0)
			return true;
	return false;
}

/* In a profile a bind's DEST may be left out: the same path inside. */
static bool dest_optional(const struct aj_opt *o)
{
	return strcmp(o->section, "filesystem") == 0 && strstr(o->key, "bind") &&
	       o->metavar && strcmp(o->metavar, "SRC DEST") == 0;
}

/* Words that must be absolute paths: everything in [filesystem] but these. */
static bool must_be_absolute(const struct aj_opt *o, size_t word)
{
	if (strcmp(o->section, "filesystem") != 0)
		return false;
	if ((strcmp(o->key, "symlink") == 0 || strcmp(o->key, "chmod") == 0) && word == 0)
		return false;
	/* mask/protect patterns may be relative to ${PROJECT}. */
	return strcmp(o->key, "mask") != 0 && strncmp(o->key, "protect", 7) != 0;
}

static int apply_words(struct ctx *c, const struct aj_opt *o, char **w, size_t n)
{
	struct aj_parser *p = c->p;
	char *args[3];
	int r;

	for (size_t i = 0; i < n; i++)
		if (must_be_absolute(o, i) && w[i][0] != '/')
			return aj_errx(-EINVAL, "%s: '%s' is not an absolute path (use ~, ${HOME} or "
						"${PROJECT})",
				       o->key, w[i]);
	switch (o->nargs) {
	case 0:
		if (n != 1 || (strcmp(w[0], "true") != 0 && strcmp(w[0], "false") != 0))
			return aj_errx(-EINVAL, "%s takes true or false", o->key);
		return strcmp(w[0], "true") == 0 ? aj_opt_apply(p, o, NULL) : 0;
	case 1:
		if (n == 0)
			return aj_errx(-EINVAL, "%s needs a value", o->key);
		for (size_t i = 0; i < n; i++) {
			r = aj_opt_apply(p, o, &w[i]);
			if (r < 0)
				return r;
		}
		return 0;
	case 2:
		if (strcmp(o->section, "env") == 0 && strcmp(o->key, "set") == 0) {
			/* set = NAME=VALUE ...: each word one variable. */
			for (size_t i = 0; i < n || n == 0; i++) {
				_cleanup_free_ char *name = NULL;
				char *eq = n ? strchr(w[i], '=') : NULL;

				if (!eq || eq == w[i])
					return aj_errx(-EINVAL, "set takes NAME=VALUE words (quote a value "
								"with blanks)");
				name = strndup(w[i], (size_t)(eq - w[i]));
				if (!name)
					return aj_err(-ENOMEM, "Out of memory");
				args[0] = name;
				args[1] = eq + 1;
				r = aj_opt_apply(p, o, args);
				if (r < 0)
					return r;
			}
			return 0;
		}
		if (n == 1 && dest_optional(o)) {
			args[0] = args[1] = w[0];
			return aj_opt_apply(p, o, args);
		}
		if (n != 2)
			return aj_errx(-EINVAL, "%s takes %s", o->key,
				       dest_optional(o) ? "SRC [DEST]" : o->metavar ? o->metavar : "two values");
		return aj_opt_apply(p, o, w);
	default:
		if (n != o->nargs)
			return aj_errx(-EINVAL, "%s takes %s", o->key, o->metavar ? o->metavar : "more values");
		return aj_opt_apply(p, o, w);
	}
}

static int do_include(struct ctx *c, char **w, size_t n)
{
	const struct aj_vars *vars;
	int r = aj_front_vars(c->f, &vars);

	if (r < 0)
		return r;
	if (n == 0)
		return aj_errx(-EINVAL, "include needs a profile name");
	if (c->depth >= INCLUDE_DEPTH)
		return aj_errx(-ELOOP, "include: more than %d levels", INCLUDE_DEPTH);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL, *tried = NULL;

		r = aj_profile_find(vars, w[i], c->dir, &path, &tried);
		if (r == -ENOENT)
			return aj_errx(r, "include '%s': no such profile (looked in %s)", w[i], tried);
		if (r == -EINVAL)
			return aj_errx(r, "include '%s': not a profile name", w[i]);
		if (r < 0)
			return aj_err(r, "include '%s'", w[i]);
		r = load_file(c->p, path, c->depth + 1);
		/* The included file's lines set their own context: back to ours. */
		aj_log_set_context(c->where);
		if (r < 0)
			return r;
	}
	return 0;
}

static int profile_key(struct ctx *c, const char *key, const char *value, char **w, size_t n)
{
	struct aj_front *f = c->f;

	if (strcmp(key, "include") == 0)
		return do_include(c, w, n);
	if (strcmp(key, "description") == 0) {
		if (c->depth > 1)
			return 0; /* an included profile's description describes that one */
		free(f->description);
		f->description = strdup(value);
		if (!f->description)
			return aj_err(-ENOMEM, "Out of memory");
		return aj_front_record_raw(f, "profile", key, value);
	}
	if (strcmp(key, "command") == 0) {
		char **v = calloc(n + 1, sizeof(char *));

		if (n == 0) {
			free(v);
			return aj_errx(-EINVAL, "command needs a value");
		}
		if (!v)
			return aj_err(-ENOMEM, "Out of memory");
		for (size_t i = 0; i < n; i++)
			if (!(v[i] = strdup(w[i]))) {
				aj_strv_freep(&v);
				return aj_err(-ENOMEM, "Out of memory");
			}
		aj_strv_freep(&f->command);
		f->command = v;
		return aj_front_record(f, "profile", key, w, n);
	}
	return aj_errx(-EINVAL, "unknown key '%s' in [profile]", key);
}

static int on_line(void *userdata, const char *section, const char *key, const char *value,
		   unsigned line)
{
	struct ctx *c = userdata;
	const struct aj_vars *vars;
	_cleanup_strv_free_ char **w = NULL;
	const struct aj_opt *o = NULL;
	char where[PATH_MAX + 32], err[256];
	int r, n;

	snprintf(where, sizeof(where), "%s:%u", c->name, line);
	aj_log_set_context(where);
	c->where = where;
	c->p->where = (struct aj_src){ .file = c->name, .line = line };

	if (!*section) {
		r = aj_errx(-EINVAL, "'%s' outside of any section", key);
		goto out;
	}
	if (!aj_profile_section_known(section)) {
		r = aj_errx(-EINVAL, "unknown section [%s]", section);
		goto out;
	}
	if (strcmp(section, "profile") != 0) {
		o = aj_opt_find_key(section, key);
		if (!o) {
			r = aj_errx(-EINVAL, "unknown key '%s' in [%s]", key, section);
			goto out;
		}
	}
	r = aj_front_vars(c->f, &vars);
	if (r < 0)
		goto out;
	n = aj_words_split(vars, value, &w, err, sizeof(err));
	if (n == -ENOMEM) {
		r = aj_err(n, "Out of memory");
		goto out;
	}
	if (n < 0) {
		r = aj_errx(n, "%s: %s", key, err);
		goto out;
	}
	if (!o)
		r = profile_key(c, key, value, w, (size_t)n);
	else {
		r = apply_words(c, o, w, (size_t)n);
		if (r >= 0)
			r = aj_front_record(c->f, section, key, w, (size_t)n);
	}
out:
	aj_log_set_context(NULL);
	c->where = NULL;
	return r;
}

/* ---- files -------------------------------------------------------------- */

static bool in_list(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static int push(char ***v, size_t *n, const char *s)
{
	char **nv = reallocarray(*v, *n + 1, sizeof(char *));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/*
 * inih only shows sections through their keys: look at the headers first, so
 * an unknown one is named at its own line, even with no key under it.
 */
static int check_sections(const char *name, const char *text, size_t len)
{
	unsigned line = 1;

	for (const char *s = text, *end = text + len; s < end; line++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *close;

		if (!nl)
			nl = end;
		close = *s == '[' ? memchr(s, ']', (size_t)(nl - s)) : NULL;
		if (close) {
			char section[AJ_INI_MAX_SECTION + 1];
			size_t n = (size_t)(close - s - 1);

			if (n < sizeof(section)) {
				memcpy(section, s + 1, n);
				section[n] = '\0';
				if (!aj_profile_section_known(section))
					return aj_errx(-EINVAL, "%s:%u: unknown section [%s]", name, line,
						       section);
			}
		}
		s = nl + 1;
	}
	return 0;
}

static int apply(struct aj_parser *p, const char *name, const char *text, size_t len,
		 unsigned depth)
{
	const char *slash = strrchr(name, '/');
	struct ctx c = { .p = p, .f = p->front, .depth = depth };
	int r;

	c.name = aj_plan_intern_name(p->plan, name);
	c.dir = slash ? strndup(name, slash == name ? 1 : (size_t)(slash - name)) : getcwd(NULL, 0);
	if (!c.name || !c.dir) {
		free(c.dir);
		return aj_err(-ENOMEM, "Out of memory");
	}
	r = check_sections(c.name, text, len);
	if (r >= 0)
		r = aj_ini_parse(c.name, text, len, on_line, &c);
	free(c.dir);
	return r;
}

static int load_file(struct aj_parser *p, const char *path, unsigned depth)
{
	struct aj_front *f = p->front;
	_cleanup_free_ char *real = realpath(path, NULL), *text = NULL, *chain = NULL;
	size_t len;
	int r;

	if (!real)
		return aj_err(-errno, "profile '%s'", path);
	if (in_list(f->stack, f->n_stack, real)) {
		size_t cl = 0;

		for (size_t i = 0; i < f->n_stack; i++)
			cl += strlen(f->stack[i]) + 4;
		chain = calloc(cl + strlen(real) + 1, 1);
		if (!chain)
			return aj_err(-ENOMEM, "Out of memory");
		for (size_t i = 0; i < f->n_stack; i++)
			strcat(strcat(chain, f->stack[i]), " -> ");
		strcat(chain, real);
		return aj_errx(-ELOOP, "include cycle: %s", chain);
	}
	/* Included twice through two paths: its lines apply once. */
	if (in_list(f->loaded, f->n_loaded, real))
		return 0;
	r = aj_ini_read_file(real, &text, &len);
	if (r < 0)
		return r;
	if (push(&f->stack, &f->n_stack, real) < 0 || push(&f->loaded, &f->n_loaded, real) < 0)
		return aj_err(-ENOMEM, "Out of memory");
	r = apply(p, path, text, len, depth);
	free(f->stack[--f->n_stack]);
	return r;
}

int aj_profile_apply_text(struct aj_parser *p, const char *name, const char *text, size_t len)
{
	if (!p->front)
		return aj_errx(-EINVAL, "internal error: profiles need the agentjail front end");
	return apply(p, name, text, len, 1);
}

int aj_profile_load(struct aj_parser *p, const char *name)
{
	struct aj_front *f = p->front;
	const struct aj_vars *vars;
	_cleanup_free_ char *path = NULL, *tried = NULL;
	int r;

	if (!f)
		return aj_errx(-EINVAL, "internal error: profiles need the agentjail front end");
	if (f->profile_path)
		return aj_errx(-EINVAL, "--profile %s: only one profile per run (use include in a "
					"profile to combine them)",
			       name);
	r = aj_front_vars(f, &vars);
	if (r < 0)
		return r;
	r = aj_profile_find(vars, name, NULL, &path, &tried);
	if (r == -ENOENT)
		return aj_errx(r, "profile '%s' not found (looked in %s)", name, tried);
	if (r == -EINVAL)
		return aj_errx(r, "--profile '%s': not a profile name", name);
	if (r < 0)
		return aj_err(r, "profile '%s'", name);

	f->active = true;
	f->profile_path = strdup(path);
	free(p->plan->profile_name);
	p->plan->profile_name = strdup(name);
	if (!f->profile_path || !p->plan->profile_name)
		return aj_err(-ENOMEM, "Out of memory");
	aj_front_profile_defaults(p->plan);
	return load_file(p, path, 1);
}
