/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/expand.h"
#include "agentjail/explain.h"
#include "agentjail/front.h"
#include "agentjail/log.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "agentjail/walls.h"
#include "agentjail/profile.h"
#include "agentjail/vars.h"
#include "cleanup.h"

int aj_front_vars(struct aj_front *f, const struct aj_vars **ret)
{
	if (!f->vars_ready) {
		int r = aj_vars_init(&f->vars, f->project_opt);

		if (r < 0)
			return r;
		f->vars_ready = true;
	}
	*ret = &f->vars;
	return 0;
}

/* ---- --dump-profile ----------------------------------------------------- */

static int add_line(struct aj_front *f, const char *section, char *text)
{
	struct aj_front_line *v = reallocarray(f->lines, f->n_lines + 1, sizeof(*v));

	if (!v) {
		free(text);
		return aj_err(-ENOMEM, "Out of memory");
	}
	f->lines = v;
	v[f->n_lines] = (struct aj_front_line){ .pos = f->pos, .seq = f->seq++, .text = text };
	if (section && !(v[f->n_lines].section = strdup(section))) {
		free(text);
		return aj_err(-ENOMEM, "Out of memory");
	}
	f->n_lines++;
	return 0;
}

int aj_front_record(struct aj_front *f, const char *section, const char *key, char **words,
		    size_t n)
{
	char *s = NULL;
	size_t len = 0;

	if (asprintf(&s, "%s =", key) < 0)
		return aj_err(-ENOMEM, "Out of memory");
	len = strlen(s);
	for (size_t i = 0; i < n; i++) {
		char *ns = realloc(s, len + 2);

		if (!ns) {
			free(s);
			return aj_err(-ENOMEM, "Out of memory");
		}
		s = ns;
		s[len++] = ' ';
		s[len] = '\0';
		if (aj_word_quote(&s, &len, words[i]) < 0) {
			free(s);
			return aj_err(-ENOMEM, "Out of memory");
		}
	}
	return add_line(f, section, s);
}

int aj_front_record_raw(struct aj_front *f, const char *section, const char *key, const char *value)
{
	char *s;

	if (asprintf(&s, "%s = %s", key, value) < 0)
		return aj_err(-ENOMEM, "Out of memory");
	return add_line(f, section, s);
}

int aj_front_comment(struct aj_front *f, const char *text)
{
	char *s = strdup(text);

	return s ? add_line(f, NULL, s) : aj_err(-ENOMEM, "Out of memory");
}

static int line_cmp(const void *a, const void *b)
{
	const struct aj_front_line *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * The effective profile: every line applied, includes inlined, in order
 * within each section (the order across sections means nothing).
 */
static int build_profile_text(struct aj_front *f, struct aj_plan *plan)
{
	static const char *const order[] = { "profile", "filesystem", "network", "env", "security",
					     "limits" };
	char *text = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&text, &size);

	if (!m)
		return aj_err(-errno, "open_memstream");
	qsort(f->lines, f->n_lines, sizeof(*f->lines), line_cmp);
	fprintf(m, "; The effective agentjail profile '%s': includes inlined, variables\n"
		   "; expanded, command-line options with a profile key added.\n",
		plan->profile_name ? plan->profile_name : "default");
	for (size_t i = 0; i < f->n_lines; i++)
		if (!f->lines[i].section)
			fprintf(m, "; %s\n", f->lines[i].text);
	/* Known sections in their usual order, then any other in order of appearance. */
	for (size_t i = 0; i < ELEMENTSOF(order) + f->n_lines; i++) {
		const char *sec = i < ELEMENTSOF(order) ? order[i] : f->lines[i - ELEMENTSOF(order)].section;
		bool done = false, header = false;

		if (!sec)
			continue;
		for (size_t k = 0; k < ELEMENTSOF(order) && i >= ELEMENTSOF(order) && !done; k++)
			done = strcmp(order[k], sec) == 0;
		for (size_t k = ELEMENTSOF(order); k < i && !done; k++)
			done = f->lines[k - ELEMENTSOF(order)].section &&
			       strcmp(f->lines[k - ELEMENTSOF(order)].section, sec) == 0;
		if (done)
			continue;
		for (size_t k = 0; k < f->n_lines; k++) {
			const struct aj_front_line *l = &f->lines[k];

			if (!l->section || strcmp(l->section, sec) != 0)
				continue;
			if (!header)
				fprintf(m, "\n[%s]\n", sec);
			header = true;
			fprintf(m, "%s\n", l->text);
		}
	}
	if (fclose(m) != 0) {
		free(text);
		return aj_err(-ENOMEM, "Out of memory");
	}
	free(plan->profile_text);
	plan->profile_text = text;
	return 0;
}

/* ---- before the command line -------------------------------------------- */

void aj_front_profile_defaults(struct aj_plan *plan)
{
	struct aj_capop *v;

	/*
	 * What "--unshare-all --die-with-parent --clearenv --cap-drop ALL" would
	 * say, plus no network unless [network] says otherwise, and hardened
	 * for the parts that key their own defaults on it.
	 */
	plan->hardened = true;
	plan->unshare |= AJ_NS_USER | AJ_NS_IPC | AJ_NS_PID | AJ_NS_UTS;
	plan->unshare_cgroup_try = true;
	plan->net_mode = AJ_NET_NONE;
	plan->die_with_parent = true;
	aj_plan_clearenv(plan);
	v = reallocarray(plan->capops, plan->n_capops + 1, sizeof(*v));
	if (v) {
		plan->capops = v;
		v[plan->n_capops++] = (struct aj_capop){ .add = false, .cap = -1 };
	}
}

static bool is_front_opt(const struct aj_opt *o)
{
	return o->parse == aj_front_opt_profile || o->parse == aj_front_opt_project ||
	       o->parse == aj_front_opt_command || o->parse == aj_front_opt_explain ||
	       o->parse == aj_front_opt_dump;
}

/* The command-line option as a profile line (or a comment when it has no key). */
static int record_cli(struct aj_front *f, const struct aj_opt *o, char **args)
{
	if (o->flags & AJ_OPT_SPECIAL)
		return aj_front_comment(f, "options read with --args are not shown");
	if (is_front_opt(o))
		return 0;
	if (!o->section) {
		_cleanup_free_ char *s = NULL;
		char *words = NULL;
		size_t len = 0;

		for (unsigned i = 0; i < o->nargs; i++) {
			char *nw = realloc(words, len + 2);

			if (!nw) {
				free(words);
				return aj_err(-ENOMEM, "Out of memory");
			}
			words = nw;
			words[len++] = ' ';
			words[len] = '\0';
			if (aj_word_quote(&words, &len, args[i]) < 0) {
				free(words);
				return aj_err(-ENOMEM, "Out of memory");
			}
		}
		if (asprintf(&s, "command line only: %s%s", o->name, words ? words : "") < 0)
			s = NULL;
		free(words);
		return s ? aj_front_comment(f, s) : aj_err(-ENOMEM, "Out of memory");
	}
	if (strcmp(o->section, "env") == 0 && strcmp(o->key, "set") == 0) {
		_cleanup_free_ char *w = NULL;
		char *words[1];

		if (asprintf(&w, "%s=%s", args[0], args[1]) < 0)
			return aj_err(-ENOMEM, "Out of memory");
		words[0] = w;
		return aj_front_record(f, o->section, o->key, words, 1);
	}
	if (o->nargs == 0) {
		char *words[] = { (char *)"true" };

		return aj_front_record(f, o->section, o->key, words, 1);
	}
	return aj_front_record(f, o->section, o->key, args, o->nargs);
}

int aj_front_begin(struct aj_front *f, struct aj_parser *p, int argc, char **argv)
{
	bool profile = false, trigger = false, bwrap_opts = false, command;
	int i = 1, r;

	*f = (struct aj_front){ 0 };
	p->front = f;
	/*
	 * A first look at the top-level words, with the table's arities: is a
	 * profile named, is this a profile run at all, and where does --project
	 * point (variables need it before the first profile line).
	 */
	while (i < argc) {
		const struct aj_opt *o;

		if (strcmp(argv[i], "--") == 0 || argv[i][0] != '-')
			break;
		o = aj_opt_find(p, argv[i]);
		if (!o || i + (int)o->nargs >= argc)
			return 0; /* the real parse reports it */
		if (o->parse == aj_front_opt_profile)
			profile = true;
		else if (o->parse == aj_front_opt_command || o->parse == aj_front_opt_explain ||
			 o->parse == aj_front_opt_dump)
			trigger = true;
		else if (o->parse == aj_front_opt_project) {
			free(f->project_opt);
			if (!(f->project_opt = strdup(argv[i + 1])))
				return aj_err(-ENOMEM, "Out of memory");
		}
		bwrap_opts |= (o->flags & AJ_OPT_BWRAP) != 0;
		f->pos = (unsigned)i;
		r = record_cli(f, o, argv + i + 1);
		if (r < 0)
			return r;
		i += 1 + o->nargs;
	}
	command = i < argc && (strcmp(argv[i], "--") != 0 || i + 1 < argc);
	/*
	 * Zero-config: no profile named, and -c, --explain, --dump-profile, or
	 * nothing to run and none of bwrap's options (those keep bwrap's usage
	 * message).  The default profile first, the command line on top of it.
	 */
	f->pos = 0;
	if (profile || !(trigger || (!command && !bwrap_opts)))
		return 0;
	f->zero_config = true;
	p->where = (struct aj_src){ .file = NULL, .line = 0 };
	return aj_profile_load(p, "default");
}

/* ---- option rows ---------------------------------------------------------- */

int aj_front_opt_profile(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)o;
	if (!p->front)
		return aj_errx(-EINVAL, "internal error: --profile without the front end");
	p->front->pos = p->where.line;
	return aj_profile_load(p, args[0]);
}

int aj_front_opt_project(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	struct aj_front *f = p->front;

	if (!f)
		return aj_errx(-EINVAL, "internal error: %s without the front end", o->name);
	/* The first look saw it already, unless it came through --args. */
	if (f->project_opt && strcmp(f->project_opt, args[0]) == 0)
		return 0;
	if (f->vars_ready)
		return aj_errx(-EINVAL, "%s %s: give it before the profile is read", o->name, args[0]);
	free(f->project_opt);
	f->project_opt = strdup(args[0]);
	return f->project_opt ? 0 : aj_err(-ENOMEM, "Out of memory");
}

int aj_front_opt_command(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	struct aj_front *f = p->front;

	if (!f)
		return aj_errx(-EINVAL, "internal error: %s without the front end", o->name);
	if (f->command_c)
		return aj_errx(-EINVAL, "%s given twice", o->name);
	f->command_c = strdup(args[0]);
	return f->command_c ? 0 : aj_err(-ENOMEM, "Out of memory");
}

int aj_front_opt_explain(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)args;
	if (!p->front)
		return aj_errx(-EINVAL, "internal error: %s without the front end", o->name);
	p->front->explain = true;
	return 0;
}

int aj_front_opt_dump(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)args;
	if (!p->front)
		return aj_errx(-EINVAL, "internal error: %s without the front end", o->name);
	p->front->dump = true;
	return 0;
}

/* ---- after the command line ---------------------------------------------- */

static char **strv_copy(char *const *v, size_t n)
{
	char **c = calloc(n + 1, sizeof(char *));

	for (size_t i = 0; c && i < n; i++)
		if (!(c[i] = strdup(v[i]))) {
			aj_strv_freep(&c);
			return NULL;
		}
	return c;
}

/* Mark an interactive shell's prompt, unless the profile set one. */
static int mark_prompt(struct aj_plan *plan, const char *shell)
{
	const char *base = strrchr(shell, '/');
	const char *ps1;

	base = base ? base + 1 : shell;
	if (strcmp(base, "bash") == 0)
		ps1 = "(agentjail) \\u@\\h:\\w\\$ ";
	else if (strcmp(base, "zsh") == 0)
		ps1 = "(agentjail) %n@%m:%~%# ";
	else
		ps1 = "(agentjail) $ ";
	/* Debian's /etc/bash.bashrc puts $debian_chroot in front of its own prompt. */
	if ((!aj_plan_getenv(plan, "PS1") && aj_plan_setenv(plan, "PS1", ps1) < 0) ||
	    (!aj_plan_getenv(plan, "debian_chroot") &&
	     aj_plan_setenv(plan, "debian_chroot", "agentjail") < 0))
		return aj_err(-ENOMEM, "Out of memory");
	return 0;
}

int aj_front_command(struct aj_front *f, struct aj_plan *plan, int n, char **argv)
{
	const struct aj_vars *vars;
	int r = aj_front_vars(f, &vars);

	if (r < 0)
		return r;
	if (f->command_c && n > 0)
		return aj_errx(-EINVAL, "-c COMMAND and a command after the options do not go together");
	if (n > 0)
		plan->argv = strv_copy(argv, (size_t)n);
	else if (f->command_c) {
		char *v[] = { vars->shell, (char *)"-c", f->command_c };

		plan->argv = strv_copy(v, 3);
	} else if (f->command) {
		size_t k = 0;

		while (f->command[k])
			k++;
		plan->argv = strv_copy(f->command, k);
	} else {
		/* Nothing to run: an interactive shell, marked as sandboxed. */
		plan->argv = strv_copy(&vars->shell, 1);
		f->interactive = true;
		r = mark_prompt(plan, vars->shell);
		if (r < 0)
			return r;
	}
	if (!plan->argv)
		return aj_err(-ENOMEM, "Out of memory");
	return 0;
}

/*
 * Root's hardened sandbox never runs as host uid 0 (walls.c).  Unless told
 * otherwise it runs as the project's owner: root working on a user's project
 * gets that user's reach, nothing more.  A project root itself owns stays
 * out of reach of the default (65534), and saying so saves a puzzled user.
 */
static void root_maps_to_project_owner(struct aj_front *f, struct aj_plan *plan)
{
	const char *dir = f->vars.project ? f->vars.project : f->vars.pwd;
	struct stat st;

	if (getuid() != 0 || !plan->hardened || plan->root_map_set || !dir || stat(dir, &st) < 0)
		return;
	if (st.st_uid == 0) {
		aj_notice("%s belongs to root, and root's sandbox runs as uid %d: it cannot write "
			  "there (root-maps-to = UID[:GID] in [security] picks the ids)",
			  dir, AJ_ROOT_MAP_DEFAULT);
		return;
	}
	plan->root_map_set = true;
	plan->root_map_uid = st.st_uid;
	plan->root_map_gid = st.st_gid;
}

static bool has_rules(const struct aj_plan *plan)
{
	for (size_t i = 0; i < plan->n_ops; i++)
		if (plan->ops[i].kind == AJ_OP_HIDE || plan->ops[i].kind == AJ_OP_MASK ||
		    plan->ops[i].kind == AJ_OP_PROTECT || (plan->ops[i].flags & AJ_OPF_SOCKET))
			return true;
	return false;
}

int aj_front_prepare(struct aj_front *f, struct aj_plan *plan)
{
	int r;

	if (!f->active && !has_rules(plan))
		return 0; /* bwrap-style options only: nothing of ours to do */
	if (f->active) {
		r = build_profile_text(f, plan);
		if (r < 0)
			return r;
	}
	if (f->dump) {
		fputs(plan->profile_text, stdout);
		return fflush(stdout) == 0 ? 1 : aj_err(-errno, "write");
	}
	r = aj_expand_plan(plan, f);
	if (r < 0)
		return r;
	if (f->active)
		root_maps_to_project_owner(f, plan);
	if (f->explain) {
		aj_explain_print(stdout, plan, f);
		return fflush(stdout) == 0 ? 1 : aj_err(-errno, "write");
	}
	r = aj_expand_placeholders_create(f);
	if (r < 0)
		return r;
	if (f->interactive)
		aj_notice("sandboxed in %s (profile %s)", f->vars.project ? f->vars.project : f->vars.pwd,
			  plan->profile_name ? plan->profile_name : "default");
	return 0;
}

void aj_front_done(struct aj_front *f)
{
	aj_expand_placeholders_remove(f);
	for (size_t i = 0; i < f->n_lines; i++) {
		free(f->lines[i].section);
		free(f->lines[i].text);
	}
	free(f->lines);
	for (size_t i = 0; i < f->n_stack; i++)
		free(f->stack[i]);
	free(f->stack);
	for (size_t i = 0; i < f->n_loaded; i++)
		free(f->loaded[i]);
	free(f->loaded);
	aj_strv_freep(&f->command);
	free(f->command_c);
	free(f->project_opt);
	free(f->profile_path);
	free(f->description);
	if (f->vars_ready)
		aj_vars_done(&f->vars);
	*f = (struct aj_front){ 0 };
}

void aj_front_donep(struct aj_front *f)
{
	aj_front_done(f);
}
