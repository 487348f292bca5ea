/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/log.h"
#include "agentjail/vars.h"
#include "cleanup.h"

/* An environment variable that holds an absolute path, or NULL. */
static const char *env_path(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] == '/' ? v : NULL;
}

static int dup_or_join(char **dst, const char *value, const char *base, const char *suffix)
{
	if (value)
		*dst = strdup(value);
	else if (base) {
		if (asprintf(dst, "%s/%s", base, suffix) < 0)
			*dst = NULL;
	} else
		return 0;
	return *dst ? 0 : -ENOMEM;
}

/* Is a equal to b, or an ancestor directory of it? */
static bool covers(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (strcmp(a, "/") == 0)
		return true;
	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

/*
 * The project: the top level of the git work tree around the working
 * directory, or the working directory.  A work tree at the home directory
 * (dotfiles kept in git) or above it would hand the agent every secret in
 * the home directory, so it never counts: then the working directory is the
 * project, unless that is itself the home directory or above it.
 */
static int find_project(struct aj_vars *v)
{
	_cleanup_free_ char *dir = strdup(v->pwd);
	char *slash;

	if (!dir)
		return -ENOMEM;
	for (;;) {
		char probe[PATH_MAX];
		struct stat st;

		if ((size_t)snprintf(probe, sizeof(probe), "%s/.git", strcmp(dir, "/") ? dir : "") <
			    sizeof(probe) &&
		    lstat(probe, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
			break;
		slash = strrchr(dir, '/');
		if (!slash || slash == dir) {
			free(dir);
			dir = NULL;
			break;
		}
		*slash = '\0';
	}
	if (dir && v->home && covers(dir, v->home)) {
		free(dir);
		dir = NULL;
	}
	if (!dir) {
		dir = strdup(v->pwd);
		if (!dir)
			return -ENOMEM;
	}
	if (v->home && covers(dir, v->home)) {
		if (asprintf(&v->project_problem,
			     "the project would be '%s', which holds your home directory; run agentjail "
			     "in a project directory or name one with --project DIR",
			     dir) < 0)
			return -ENOMEM;
		return 0;
	}
	v->project = TAKE_PTR(dir);
	return 0;
}

int aj_vars_init(struct aj_vars *v, const char *project)
{
	struct passwd *pw = getpwuid(getuid());
	const char *home = env_path("HOME");
	int r = 0;

	*v = (struct aj_vars){ 0 };
	if (!home && pw && pw->pw_dir && pw->pw_dir[0] == '/')
		home = pw->pw_dir;
	if (home) {
		/* "/home/u/" and "/home/u" must compare equal with the paths we build. */
		char *h = realpath(home, NULL);

		v->home = h ? h : strdup(home);
		if (!v->home)
			return aj_err(-ENOMEM, "Out of memory");
	}
	if (pw && pw->pw_name)
		v->user = strdup(pw->pw_name);
	else if (getenv("USER"))
		v->user = strdup(getenv("USER"));
	if (asprintf(&v->uid, "%u", (unsigned)getuid()) < 0)
		v->uid = NULL;
	v->pwd = getcwd(NULL, 0);
	if (!v->pwd)
		return aj_err(-errno, "getcwd");

	if (dup_or_join(&v->shell, env_path("SHELL"), NULL, NULL) < 0 ||
	    dup_or_join(&v->xdg_config_home, env_path("XDG_CONFIG_HOME"), v->home, ".config") < 0 ||
	    dup_or_join(&v->xdg_cache_home, env_path("XDG_CACHE_HOME"), v->home, ".cache") < 0 ||
	    dup_or_join(&v->xdg_data_home, env_path("XDG_DATA_HOME"), v->home, ".local/share") < 0 ||
	    dup_or_join(&v->xdg_state_home, env_path("XDG_STATE_HOME"), v->home, ".local/state") < 0 ||
	    dup_or_join(&v->xdg_runtime_dir, env_path("XDG_RUNTIME_DIR"), NULL, NULL) < 0 ||
	    dup_or_join(&v->ssh_auth_sock, env_path("SSH_AUTH_SOCK"), NULL, NULL) < 0 || !v->uid)
		return aj_err(-ENOMEM, "Out of memory");
	if (!v->shell && !(v->shell = strdup("/bin/sh")))
		return aj_err(-ENOMEM, "Out of memory");

	if (project) {
		v->project = realpath(project, NULL);
		if (!v->project)
			return aj_err(-errno, "--project '%s'", project);
	} else
		r = find_project(v);
	if (r < 0)
		return aj_err(r, "Out of memory");
	return 0;
}

void aj_vars_done(struct aj_vars *v)
{
	char **fields[] = { &v->home, &v->user, &v->uid, &v->pwd, &v->project, &v->shell,
			    &v->xdg_config_home, &v->xdg_cache_home, &v->xdg_data_home,
			    &v->xdg_state_home, &v->xdg_runtime_dir, &v->ssh_auth_sock,
			    &v->project_problem };

	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
}

const char *aj_vars_get(const struct aj_vars *v, const char *name, bool *ret_known)
{
	const struct {
		const char *name;
		const char *value;
	} table[] = {
		{ "HOME", v->home },
		{ "USER", v->user },
		{ "UID", v->uid },
		{ "PWD", v->pwd },
		{ "PROJECT", v->project },
		{ "SHELL", v->shell },
		{ "XDG_CONFIG_HOME", v->xdg_config_home },
		{ "XDG_CACHE_HOME", v->xdg_cache_home },
		{ "XDG_DATA_HOME", v->xdg_data_home },
		{ "XDG_STATE_HOME", v->xdg_state_home },
		{ "XDG_RUNTIME_DIR", v->xdg_runtime_dir },
		{ "SSH_AUTH_SOCK", v->ssh_auth_sock },
	};

	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (strcmp(table[i].name, name) == 0) {
			*ret_known = true;
			return table[i].value;
		}
	*ret_known = false;
	return NULL;
}

/* A growing string. */
struct buf {
	char *s;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns)
			return -ENOMEM;
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errsize, const char *fmt,
							 ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Expand the variable at *p (which points at '$'); advances *p. */
static int expand_dollar(const struct aj_vars *v, const char **p, struct buf *b, char *err,
			 size_t errsize)
{
	const char *s = *p + 1, *end;
	char name[64];
	const char *value;
	bool known;

	if (*s == '$') {
		*p = s + 1;
		return buf_add(b, "$", 1);
	}
	if (*s != '{')
		return fail(err, errsize, "'$' must start ${NAME} (write $$ for a '$')");
	end = strchr(s, '}');
	if (!end)
		return fail(err, errsize, "'${' without a closing '}'");
	if ((size_t)(end - s - 1) >= sizeof(name) || end == s + 1)
		return fail(err, errsize, "bad variable name");
	memcpy(name, s + 1, (size_t)(end - s - 1));
	name[end - s - 1] = '\0';
	value = aj_vars_get(v, name, &known);
	if (!known)
		return fail(err, errsize, "unknown variable ${%s}", name);
	if (!value) {
		if (strcmp(name, "PROJECT") == 0 && v->project_problem)
			return fail(err, errsize, "%s", v->project_problem);
		return fail(err, errsize, "variable ${%s} is not set", name);
	}
	*p = end + 1;
	return buf_add(b, value, strlen(value));
}

static int push_word(char ***words, size_t *n, struct buf *b)
{
	char **nw = reallocarray(*words, *n + 2, sizeof(char *));

	if (!nw)
		return -ENOMEM;
	*words = nw;
	nw[*n] = b->s ? b->s : strdup("");
	if (!nw[*n])
		return -ENOMEM;
	nw[++*n] = NULL;
	*b = (struct buf){ 0 };
	return 0;
}

int aj_words_split(const struct aj_vars *v, const char *text, char ***ret_words, char *err,
		   size_t errsize)
{
	_cleanup_strv_free_ char **words = calloc(1, sizeof(char *));
	struct buf b = { 0 };
	const char *p = text;
	size_t n = 0;
	int r = 0;

	if (!words)
		return -ENOMEM;
	while (*p && r >= 0) {
		bool in_word = false;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (*p == '~' && (p[1] == '\0' || p[1] == '/' || p[1] == ' ' || p[1] == '\t')) {
			if (!v->home) {
				r = fail(err, errsize, "~: the home directory is not known");
				break;
			}
			r = buf_add(&b, v->home, strlen(v->home));
			p++;
			in_word = true;
		} else if (*p == '~') {
			r = fail(err, errsize, "only ~ and ~/ are expanded, not ~user");
			break;
		}
		while (r >= 0 && *p && *p != ' ' && *p != '\t') {
			in_word = true;
			if (*p == '\'') {
				const char *end = strchr(p + 1, '\'');

				if (!end) {
					r = fail(err, errsize, "unterminated ' quote");
					break;
				}
				r = buf_add(&b, p + 1, (size_t)(end - p - 1));
				p = end + 1;
			} else if (*p == '"') {
				p++;
				while (r >= 0 && *p && *p != '"') {
					if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '$')) {
						r = buf_add(&b, p + 1, 1);
						p += 2;
					} else if (*p == '$')
						r = expand_dollar(v, &p, &b, err, errsize);
					else
						r = buf_add(&b, p++, 1);
				}
				if (r >= 0 && *p != '"') {
					r = fail(err, errsize, "unterminated \" quote");
					break;
				}
				p++;
			} else if (*p == '$')
				r = expand_dollar(v, &p, &b, err, errsize);
			else
				r = buf_add(&b, p++, 1);
		}
		if (r >= 0 && in_word)
			r = push_word(&words, &n, &b);
	}
	free(b.s);
	if (r < 0)
		return r;
	*ret_words = TAKE_PTR(words);
	return (int)n;
}

int aj_word_quote(char **s, size_t *len, const char *word)
{
	struct buf b = { .s = *s, .len = *len, .cap = *s ? *len + 1 : 0 };
	bool plain = *word != '\0' && *word != '~';
	int r;

	for (const char *c = word; *c && plain; c++)
		if (strchr(" \t'\"$;#\\", *c))
			plain = false;
	if (plain)
		r = buf_add(&b, word, strlen(word));
	else if (!strchr(word, '\'')) {
		/* Single quotes keep everything literal, variables included. */
		r = buf_add(&b, "'", 1);
		if (r >= 0)
			r = buf_add(&b, word, strlen(word));
		if (r >= 0)
			r = buf_add(&b, "'", 1);
	} else {
		r = buf_add(&b, "\"", 1);
		for (const char *c = word; *c && r >= 0; c++) {
			if (*c == '"' || *c == '\\' || *c == '$')
				r = buf_add(&b, "\\", 1);
			if (r >= 0)
				r = buf_add(&b, c, 1);
		}
		if (r >= 0)
			r = buf_add(&b, "\"", 1);
	}
	*s = b.s;
	*len = b.len;
	return r;
}
