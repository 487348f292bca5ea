/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * agentjail learn [--profile BASE] [-o NEW.ini] [--sockets] [OPTIONS...] -- COMMAND [ARGS...]
 *
 * The command line is read twice, as `agentjail --profile BASE OPTIONS --
 * COMMAND` would read it: once for the base as it is (what it shows, and
 * its hide and mask rules, for the proposals and the observer), once for the
 * learning sandbox (learn_view.c), which is launched with the observer
 * (observe.c).  Afterwards the observer's table and the proxy's decisions
 * become proposals (learn_propose.c), written as a profile that includes the
 * base, with a summary for a person (learn_write.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/cli.h"
#include "agentjail/expand.h"
#include "agentjail/fdutil.h"
#include "agentjail/front.h"
#include "agentjail/json.h"
#include "agentjail/launch.h"
#include "agentjail/learn.h"
#include "agentjail/limits.h"
#include "agentjail/log.h"
#include "agentjail/observe.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "agentjail/rules.h"
#include "cleanup.h"

extern char **environ;

struct learn {
	const char *base;
	const char *output;
	bool sockets;
	char **argv;     /* for the front end: agentjail --profile BASE ... -- COMMAND */
	int argc;
};

static int usage(FILE *f)
{
	fputs("usage: agentjail learn [--profile BASE] [-o NEW.ini] [--sockets] [OPTIONS...] -- COMMAND "
	      "[ARGS...]\n\n"
	      "Run COMMAND in a learning sandbox: BASE (default: base), with the rest of the host\n"
	      "visible read-only and writes thrown away, secrets hidden as BASE hides them.  Then\n"
	      "write a profile that includes BASE and adds what COMMAND needed (to NEW.ini, else\n"
	      "to standard output) and say why, on standard error.\n\n"
	      "    --profile BASE    the profile to start from (default: base)\n"
	      "    -o, --output FILE write the new profile to FILE\n"
	      "    --sockets         also propose host sockets the command connected to\n"
	      "    --verbose         say what is refused as it happens\n"
	      "  OPTIONS: any agentjail option (agentjail --help), applied after BASE\n",
	      f);
	return f == stdout ? 0 : 1;
}

static int push(char ***v, int *n, const char *s)
{
	char **nv = reallocarray(*v, (size_t)*n + 2, sizeof(char *));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

/* learn's own options out, agentjail's through, in order, after --profile BASE. */
static int parse_args(struct learn *l, int argc, char **argv)
{
	struct aj_parser tmp = { 0 };
	_cleanup_strv_free_ char **rest = NULL;
	int n_rest = 0, i = 1, r = 0;

	l->base = "base";
	while (i < argc && r >= 0) {
		const char *a = argv[i];
		const struct aj_opt *o;

		if (strcmp(a, "--") == 0 || a[0] != '-')
			break;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return usage(stdout) + 2; /* 2: done, exit 0 */
		if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 || strcmp(a, "--profile") == 0)) {
			if (i + 1 >= argc)
				return aj_errx(-EINVAL, "learn: %s takes an argument", a);
			if (strcmp(a, "--profile") == 0)
				l->base = argv[i + 1];
			else
				l->output = argv[i + 1];
			i += 2;
			continue;
		}
		if (strcmp(a, "--sockets") == 0) {
			l->sockets = true;
			i++;
			continue;
		}
		o = aj_opt_find(&tmp, a);
		if (!o)
			return aj_errx(-EINVAL, "learn: unknown option %s", a);
		if (o->flags & AJ_OPT_SPECIAL)
			return aj_errx(-EINVAL, "learn: %s does not go with learn", a);
		for (unsigned k = 0; k <= o->nargs && r >= 0; k++) {
			if (i + (int)k >= argc)
				return aj_errx(-EINVAL, "learn: %s takes %u argument%s", a, o->nargs,
					       o->nargs == 1 ? "" : "s");
			r = push(&rest, &n_rest, argv[i + k]);
		}
		i += 1 + o->nargs;
	}
	if (r >= 0)
		r = push(&l->argv, &l->argc, "agentjail");
	if (r >= 0)
		r = push(&l->argv, &l->argc, "--profile");
	if (r >= 0)
		r = push(&l->argv, &l->argc, l->base);
	for (int k = 0; r >= 0 && k < n_rest; k++)
		r = push(&l->argv, &l->argc, rest[k]);
	if (r >= 0)
		r = push(&l->argv, &l->argc, "--");
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	for (; r >= 0 && i < argc; i++)
		r = push(&l->argv, &l->argc, argv[i]);
	return r < 0 ? aj_err(r, "Out of memory") : 0;
}

/* As main() reads a command line, up to the plan (not expanded). */
static int build(const struct learn *l, struct aj_front *f, struct aj_plan **ret)
{
	_cleanup_(aj_plan_freep) struct aj_plan *plan = aj_plan_new();
	struct aj_parser p;
	enum aj_action action;
	int next = l->argc, r;

	if (!plan)
		return aj_err(-ENOMEM, "Out of memory");
	aj_limits_set_defaults(plan, false);
	if (aj_parser_init(&p, plan, false) < 0)
		return -ENOMEM;
	r = aj_front_begin(f, &p, l->argc, l->argv);
	if (r >= 0)
		r = aj_cli_parse(&p, l->argc, l->argv, 1, &next);
	if (r >= 0)
		r = aj_parser_finish(&p);
	action = p.action;
	aj_parser_done(&p);
	if (r < 0)
		return r;
	if (action != AJ_ACTION_RUN)
		return aj_errx(-EINVAL, "learn: --help, --version and --check do not go with learn");
	if (!f->active)
		return aj_errx(-EINVAL, "learn: no profile was applied");
	r = aj_front_command(f, plan, l->argc - next, l->argv + next);
	if (r >= 0)
		r = aj_plan_validate(plan);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(plan);
	return 0;
}

/* ---- after the run ---------------------------------------------------------------- */

static void net_free(struct aj_learn_net *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].host);
		free(v[i].reason);
	}
	free(v);
}

/* The proxy's decisions, one entry per host, port and decision. */
static int read_net(int fd, struct aj_learn_net **ret, size_t *ret_n)
{
	_cleanup_free_ char *data = NULL;
	struct aj_learn_net *v = NULL;
	size_t size = 0, n = 0;
	void *buf;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if (fd < 0)
		return 0;
	r = aj_read_all_from_start(fd, (size_t)16 << 20, &buf, &size);
	if (r < 0)
		return r;
	data = buf;
	for (size_t i = 0; i < size;) {
		const char *nl = memchr(data + i, '\n', size - i);
		size_t len = nl ? (size_t)(nl - (data + i)) : size - i;
		struct aj_json_val obj, val;
		_cleanup_free_ char *host = NULL, *decision = NULL, *reason = NULL;
		int64_t port;
		bool found = false;

		if (len && aj_json_check(data + i, len, &obj) == 0 && obj.type == AJ_JSON_OBJECT &&
		    aj_json_get(&obj, "host", &val) == 0 && aj_json_string(&val, &host) == 0 &&
		    aj_json_get(&obj, "decision", &val) == 0 && aj_json_string(&val, &decision) == 0 &&
		    aj_json_get(&obj, "port", &val) == 0 && aj_json_int(&val, &port) == 0 && port >= 0 &&
		    port <= 65535 && *host) {
			bool allow = strcmp(decision, "allow") == 0;

			if (aj_json_get(&obj, "reason", &val) == 0)
				(void)aj_json_string(&val, &reason); /* optional */
			for (size_t k = 0; k < n && !found; k++)
				if (v[k].port == (unsigned)port && v[k].allow == allow &&
				    strcmp(v[k].host, host) == 0) {
					v[k].count++;
					found = true;
				}
			if (!found) {
				struct aj_learn_net *nv = reallocarray(v, n + 1, sizeof(*nv));

				if (!nv) {
					net_free(v, n);
					return -ENOMEM;
				}
				v = nv;
				v[n++] = (struct aj_learn_net){ .host = TAKE_PTR(host), .port = (unsigned)port,
								.allow = allow, .reason = TAKE_PTR(reason),
								.count = 1 };
			}
		}
		i += len + 1;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The caller's variables the base neither sets nor passes, credentials left out. */
static char **env_candidates(const struct aj_plan *base)
{
	char **v = calloc(1, sizeof(char *));
	int n = 0;

	for (char **e = environ; v && e && *e; e++) {
		const char *eq = strchr(*e, '=');
		char name[256];

		if (!eq || eq == *e || (size_t)(eq - *e) >= sizeof(name))
			continue;
		memcpy(name, *e, (size_t)(eq - *e));
		name[eq - *e] = '\0';
		if (aj_plan_getenv(base, name) || aj_env_is_credential(name) || strcmp(name, "PWD") == 0 ||
		    strcmp(name, "OLDPWD") == 0)
			continue;
		if (push(&v, &n, *e) < 0) {
			aj_strv_freep(&v);
			return NULL;
		}
	}
	return v;
}

/* Profile lines of the options given to learn: pairs of section and line. */
static char **extra_lines(const struct aj_front *f)
{
	char **v = calloc(1, sizeof(char *));
	int n = 0;

	for (size_t i = 0; v && i < f->n_lines; i++) {
		const struct aj_front_line *line = &f->lines[i];

		/* argv: agentjail --profile BASE OPTIONS...: the options start at 3. */
		if (!line->section || line->pos < 3)
			continue;
		if (push(&v, &n, line->section) < 0 || push(&v, &n, line->text) < 0)
			aj_strv_freep(&v);
	}
	return v;
}

static int write_out(const struct learn *l, int out_fd, const struct aj_learn_out *out,
		     const struct aj_vars *vars, const struct aj_learn_meta *meta)
{
	_cleanup_fclose_ FILE *f = NULL;
	int r;

	if (out_fd >= 0) {
		struct stat st;

		/* A regular file is rewritten; /dev/stdout or a pipe is written to. */
		if (fstat(out_fd, &st) < 0 || (S_ISREG(st.st_mode) && ftruncate(out_fd, 0) < 0))
			return aj_err(-errno, "learn: writing '%s'", l->output);
		f = fdopen(out_fd, "w");
		if (!f) {
			r = -errno;
			(void)close(out_fd);
			return aj_err(r, "learn: writing '%s'", l->output);
		}
	}
	r = aj_learn_write_profile(f ? f : stdout, out, vars, meta);
	if (r >= 0 && fflush(f ? f : stdout) != 0)
		r = -errno;
	if (f) {
		r = fclose(f) != 0 && r >= 0 ? -errno : r;
		f = NULL;
	}
	if (r < 0)
		return aj_err(r, "learn: writing '%s'", l->output ? l->output : "the profile");
	return 0;
}

/* ---- the command ----------------------------------------------------------------- */

int aj_learn_main(int argc, char **argv)
{
	struct learn l = { 0 };
	_cleanup_(aj_front_donep) struct aj_front fa = { 0 };
	_cleanup_(aj_front_donep) struct aj_front fb = { 0 };
	_cleanup_(aj_plan_freep) struct aj_plan *base = NULL;
	_cleanup_(aj_plan_freep) struct aj_plan *plan = NULL;
	_cleanup_strv_free_ char **env = NULL, **extra = NULL;
	_cleanup_free_ char *agent = NULL;
	_cleanup_close_ int out_fd = -EBADF;
	struct aj_observe *o;
	struct aj_observe_rec *recs = NULL;
	struct aj_learn_net *net = NULL;
	struct aj_learn_out out = { 0 };
	const struct aj_vars *vars;
	size_t n_recs = 0, n_net = 0;
	unsigned long dropped = 0;
	int r, code, verbose;
	bool quiet = false, created = false;

	r = parse_args(&l, argc, argv);
	if (r != 0) {
		aj_strv_freep(&l.argv);
		return r > 0 ? r - 2 : 1;
	}
	for (int i = 0; i < l.argc && strcmp(l.argv[i], "--"); i++)
		quiet |= strcmp(l.argv[i], "--quiet") == 0;

	/* The learning sandbox's plan first: its messages are the ones to see. */
	verbose = aj_log_verbose();
	r = build(&l, &fb, &plan);
	if (r >= 0) {
		int v = aj_log_verbose();

		/* The same command line again, for the base as it is: quietly. */
		aj_log_set_verbose(verbose);
		aj_log_set_quiet(true);
		r = build(&l, &fa, &base);
		aj_log_set_quiet(quiet);
		aj_log_set_verbose(v);
	}
	aj_strv_freep(&l.argv);
	if (r < 0)
		return 1;
	if (aj_front_vars(&fb, &vars) < 0)
		return 1;

	o = plan->observe = aj_observe_new(AJ_OBSERVE_LEARN);
	if (!o || !(o->base = aj_learn_base_new(vars)) || !(o->learning = aj_learn_base_new(vars)))
		return aj_err(-ENOMEM, "Out of memory"), 1;
	/* The base: its rules before expansion drops the hides it does not need, then its views. */
	if (aj_learn_base_add_rules(o->base, base) < 0)
		return aj_err(-ENOMEM, "Out of memory"), 1;
	aj_log_set_quiet(true);
	r = aj_expand_plan(base, &fa);
	aj_log_set_quiet(quiet);
	if (r < 0 || aj_learn_base_add_views(o->base, base) < 0)
		return 1;
	extra = extra_lines(&fa);
	env = env_candidates(base);
	if (!extra || !env)
		return aj_err(-ENOMEM, "Out of memory"), 1;

	if (aj_learn_view_apply(plan, vars) < 0)
		return 1;
	r = aj_front_prepare(&fb, plan);
	if (r != 0)
		return r < 0 ? 1 : 0; /* --explain, --dump-profile: the learning view, printed */
	if (aj_learn_base_add_views(o->learning, plan) < 0)
		return aj_err(-ENOMEM, "Out of memory"), 1;
	o->result_fd = memfd_create("agentjail-learn", MFD_CLOEXEC);
	if (o->result_fd < 0)
		return aj_err(-errno, "memfd_create"), 1;
	/* Before the run, so a profile that cannot be written costs no run. */
	if (l.output) {
		out_fd = open(l.output, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
			      0644);
		created = out_fd >= 0;
		if (out_fd < 0 && errno == EEXIST)
			out_fd = open(l.output, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		if (out_fd < 0)
			return aj_err(-errno, "learn: -o '%s'", l.output), 1;
	}
	agent = aj_learn_agent_name(plan->argv);

	fflush(stdout);
	code = aj_launch(plan, false);

	if (aj_observe_read(o, &recs, &n_recs, &dropped) < 0)
		return 1;
	/* Nothing seen, not even the exec: the sandbox never ran the command (it said why). */
	if (n_recs == 0 && code != 0) {
		if (created)
			(void)unlink(l.output);
		aj_errx(-ECHILD, "learn: the command did not run: no profile written");
		return code;
	}
	r = read_net(o->netlog_fd, &net, &n_net);
	if (r < 0) {
		aj_observe_recs_free(recs, n_recs);
		return aj_err(r, "learn: reading the proxy's decisions"), 1;
	}
	{
		struct aj_learn_input in = {
			.base = o->base, .learning = o->learning, .vars = vars, .agent = agent,
			.sockets = l.sockets, .recs = recs, .n_recs = n_recs, .net = net, .n_net = n_net,
			.base_net_host = base->net_mode == AJ_NET_HOST ||
					 (base->net_mode == AJ_NET_UNSET && !(base->unshare & AJ_NS_NET)),
			.env = env,
		};
		struct aj_learn_meta meta = {
			.base_name = l.base, .argv = plan->argv, .extra = (const char *const *)extra,
			.status = code, .n_recs = n_recs, .dropped = dropped,
		};

		r = aj_learn_propose(&in, &out);
		if (r >= 0)
			r = write_out(&l, TAKE_FD(out_fd), &out, vars, &meta);
		if (r >= 0) {
			fflush(stdout);
			aj_learn_write_summary(stderr, &out, vars, &meta, l.output);
		}
	}
	aj_learn_out_done(&out);
	aj_observe_recs_free(recs, n_recs);
	net_free(net, n_net);
	return r < 0 ? 1 : code;
}
