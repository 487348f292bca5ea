/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentjail/front.h"
#include "agentjail/glob.h"
#include "agentjail/log.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "agentjail/rules.h"
#include "cleanup.h"

extern char **environ;

static struct aj_op *new_op(struct aj_parser *p, enum aj_op_kind kind, unsigned flags)
{
	struct aj_op *op = aj_plan_add_op(p->plan, kind);

	if (!op) {
		aj_err(-ENOMEM, "Out of memory");
		return NULL;
	}
	op->flags = flags;
	op->where = p->where;
	return op;
}

/* "/a//b/" -> "/a/b"; NULL on ENOMEM. */
static char *clean_path(const char *path)
{
	char *s = malloc(strlen(path) + 1), *o = s;

	if (!s)
		return NULL;
	for (const char *c = path; *c; c++)
		if (*c != '/' || o == s || o[-1] != '/')
			*o++ = *c;
	while (o > s + 1 && o[-1] == '/')
		o--;
	*o = '\0';
	return s;
}

/* An absolute path, or one relative to ${PROJECT} (for mask and protect). */
static int absolute(struct aj_parser *p, const struct aj_opt *o, const char *arg, bool relative_ok,
		    char **ret)
{
	const struct aj_vars *vars;
	int r;

	if (!*arg)
		return aj_errx(-EINVAL, "%s: empty path", o->name);
	if (arg[0] == '/') {
		*ret = strdup(arg);
		return *ret ? 0 : aj_err(-ENOMEM, "Out of memory");
	}
	if (!relative_ok || !p->front)
		return aj_errx(-EINVAL, "%s: '%s' is not an absolute path", o->name, arg);
	r = aj_front_vars(p->front, &vars);
	if (r < 0)
		return r;
	if (!vars->project)
		return aj_errx(-EINVAL, "%s '%s': %s", o->name, arg,
			       vars->project_problem ? vars->project_problem : "no project directory");
	if (asprintf(ret, "%s/%s", vars->project, arg) < 0)
		return aj_err(-ENOMEM, "Out of memory");
	return 0;
}

static int no_dotdot(const struct aj_opt *o, const char *path)
{
	for (const char *c = path; (c = strstr(c, "..")); c += 2)
		if ((c == path || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
			return aj_errx(-EINVAL, "%s '%s': '..' is not allowed", o->name, path);
	return 0;
}

int aj_rules_opt_hide(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	_cleanup_free_ char *abs = NULL;
	struct aj_op *op;
	int r = absolute(p, o, args[0], false, &abs);

	if (r < 0)
		return r;
	if ((r = no_dotdot(o, abs)) < 0)
		return r;
	op = new_op(p, AJ_OP_HIDE, 0);
	if (!op)
		return -ENOMEM;
	op->dest = clean_path(abs);
	if (!op->dest)
		return aj_err(-ENOMEM, "Out of memory");
	if (strcmp(op->dest, "/") == 0)
		return aj_errx(-EINVAL, "%s: cannot hide /", o->name);
	return 0;
}

/* mask and protect: a glob (or a plain path), checked now so a typo names its line. */
static int pattern_rule(struct aj_parser *p, const struct aj_opt *o, const char *arg,
			enum aj_op_kind kind, unsigned flags)
{
	_cleanup_free_ char *abs = NULL;
	struct aj_glob *g = NULL;
	struct aj_op *op;
	size_t len;
	int r = absolute(p, o, arg, true, &abs);

	if (r < 0)
		return r;
	if ((r = no_dotdot(o, abs)) < 0)
		return r;
	/* Keep a trailing '/': it means "directories only" (or a directory placeholder). */
	len = strlen(abs);
	if (aj_glob_compile(abs, &g) < 0)
		return aj_errx(-EINVAL, "%s: bad pattern '%s' ('**' must be a whole path component)",
			       o->name, abs);
	aj_glob_free(g);
	if (len == 1)
		return aj_errx(-EINVAL, "%s: '/' is not a pattern", o->name);
	op = new_op(p, kind, flags);
	if (!op)
		return -ENOMEM;
	op->src = TAKE_PTR(abs);
	return 0;
}

int aj_rules_opt_mask(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	return pattern_rule(p, o, args[0], AJ_OP_MASK, 0);
}

/* o->arg: AJ_OPF_TRY for --protect-try (no placeholder for a missing path). */
int aj_rules_opt_protect(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	return pattern_rule(p, o, args[0], AJ_OP_PROTECT, o->arg);
}

int aj_rules_opt_protect_git(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	_cleanup_free_ char *abs = NULL;
	struct aj_op *op;
	int r = absolute(p, o, args[0], true, &abs);

	if (r < 0)
		return r;
	if ((r = no_dotdot(o, abs)) < 0)
		return r;
	if (aj_glob_has_magic(abs))
		return aj_errx(-EINVAL, "%s: '%s': a directory, not a pattern", o->name, abs);
	op = new_op(p, AJ_OP_PROTECT, AJ_OPF_GIT);
	if (!op)
		return -ENOMEM;
	op->src = clean_path(abs);
	return op->src ? 0 : aj_err(-ENOMEM, "Out of memory");
}

int aj_rules_opt_socket(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	struct aj_op *op;
	int r;

	if (args[0][0] != '/')
		return aj_errx(-EINVAL, "%s: '%s' is not an absolute path", o->name, args[0]);
	if ((r = no_dotdot(o, args[0])) < 0)
		return r;
	/* A read-only bind: connect(2) needs no write access to the mount. */
	op = new_op(p, AJ_OP_BIND, AJ_OPF_RO | AJ_OPF_SOCKET);
	if (!op)
		return -ENOMEM;
	op->src = clean_path(args[0]);
	op->dest = clean_path(args[0]);
	if (!op->src || !op->dest)
		return aj_err(-ENOMEM, "Out of memory");
	return 0;
}

bool aj_env_is_credential(const char *name)
{
	/* Other tools' credentials and the sockets that act for them. */
	static const char *const globs[] = {
		"AWS_*", "AZURE_*", "ARM_CLIENT_*", "GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_*",
		"GCLOUD_*", "GH_*", "GITHUB_*", "GITLAB_*", "GL_TOKEN", "BITBUCKET_*", "NPM_TOKEN",
		"NODE_AUTH_TOKEN", "YARN_NPM_AUTH_TOKEN", "PYPI_*", "TWINE_*", "DOCKER_*", "KUBECONFIG",
		"SSH_*", "GPG_*", "GNUPGHOME", "DBUS_*", "VAULT_*", "HEROKU_*", "DIGITALOCEAN_*",
		"CLOUDFLARE_*", "DATABASE_URL", "PGPASSWORD", "PGPASSFILE", "MYSQL_PWD", "XAUTHORITY",
		"KRB5*", "*TOKEN*", "*SECRET*", "*PASSWORD*", "*PASSWD*", "*CREDENTIAL*", "*API_KEY*",
		"*APIKEY*", "*PRIVATE_KEY*", "*ACCESS_KEY*", "*AUTH*", "*COOKIE*", "*SESSION_KEY*",
	};

	for (size_t i = 0; i < ELEMENTSOF(globs); i++)
		if (fnmatch(globs[i], name, FNM_NOESCAPE) == 0)
			return true;
	return false;
}

int aj_rules_opt_pass_env(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	const char *pat = args[0];
	bool wild = strpbrk(pat, "*?[") != NULL;

	for (const char *c = pat; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		      strchr("_*?[]!-", *c)))
			return aj_errx(-EINVAL, "%s: '%s' is not a variable name or pattern", o->name, pat);
	if (!*pat)
		return aj_errx(-EINVAL, "%s: empty pattern", o->name);
	/* From the caller's own environment: the plan's was cleared by the profile. */
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		char name[256];
		size_t n;

		if (!eq || (n = (size_t)(eq - *e)) == 0 || n >= sizeof(name))
			continue;
		memcpy(name, *e, n);
		name[n] = '\0';
		if (wild ? fnmatch(pat, name, FNM_NOESCAPE) != 0 || aj_env_is_credential(name)
			 : strcmp(pat, name) != 0)
			continue;
		if (aj_plan_setenv(p->plan, name, eq + 1) < 0)
			return aj_err(-ENOMEM, "Out of memory");
	}
	return 0;
}
