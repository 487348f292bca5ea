/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * agentjail: argv[0] decides the personality (agentjail or bwrap), the
 * command line becomes a plan, the plan is launched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentjail/audit.h"
#include "agentjail/check.h"
#include "agentjail/cli.h"
#include "agentjail/front.h"
#include "agentjail/launch.h"
#include "agentjail/learn.h"
#include "agentjail/limits.h"
#include "agentjail/log.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "agentjail/walls.h"
#include "cleanup.h"
#include "config.h"

static bool invoked_as_bwrap(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	return strcmp(base ? base + 1 : argv0, "bwrap") == 0;
}

/*
 * Where the hardening overlay for the bwrap name is configured.  Only the
 * test build (agentjail-test, never installed) lets the environment point
 * elsewhere, so a real install always reads the admin's file.
 */
static const char *bwrap_ini_path(void)
{
#ifdef AJ_TEST_HOOKS
	const char *p = getenv("AGENTJAIL_TEST_BWRAP_INI");

	if (p && *p)
		return p;
#endif
	return AJ_SYSCONFDIR "/bwrap.ini";
}

static void print_version(bool bwrap)
{
	if (bwrap)
		/* Scripts parse this line; it names the bwrap release we match. */
		printf("bubblewrap %s\n", AJ_BWRAP_VERSION);
	else
		printf("agentjail %s (bubblewrap %s compatible)\n", AJ_VERSION, AJ_BWRAP_VERSION);
}

static char **copy_argv(int argc, char **argv)
{
	char **v = calloc((size_t)argc + 1, sizeof(char *));

	if (!v)
		return NULL;
	for (int i = 0; i < argc; i++) {
		v[i] = strdup(argv[i]);
		if (!v[i]) {
			aj_strv_freep(&v);
			return NULL;
		}
	}
	return v;
}

int main(int argc, char **argv)
{
	_cleanup_(aj_plan_freep) struct aj_plan *plan = NULL;
	/* Profiles, rules and their placeholders; cleaned up after the launch. */
	_cleanup_(aj_front_donep) struct aj_front front = { 0 };
	const char *argv0 = argc > 0 ? argv[0] : "agentjail";
	bool bwrap = invoked_as_bwrap(argv0);
	struct aj_parser p;
	int r, next;

	aj_log_set_prog(bwrap ? "bwrap" : "agentjail");
	if (!bwrap && argc >= 2 && strcmp(argv[1], "audit") == 0)
		return aj_audit_main(argc - 1, argv + 1); /* `agentjail -- audit` runs a command "audit" */
	if (!bwrap && argc >= 2 && strcmp(argv[1], "learn") == 0)
		return aj_learn_main(argc - 1, argv + 1); /* likewise `agentjail -- learn` */
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		print_version(bwrap);
		return 0;
	}

	plan = aj_plan_new();
	if (!plan) {
		fputs("Out of memory\n", stderr);
		return 1;
	}
	plan->inherit_fds = bwrap;
	aj_limits_set_defaults(plan, bwrap);
	if (aj_parser_init(&p, plan, bwrap) < 0)
		return 1;
	if (!bwrap && aj_front_begin(&front, &p, argc, argv) < 0) {
		aj_parser_done(&p);
		return 1;
	}
	r = aj_cli_parse(&p, argc, argv, 1, &next);
	if (r >= 0)
		r = aj_parser_finish(&p);
	aj_parser_done(&p);
	if (r < 0)
		return 1;

	switch (p.action) {
	case AJ_ACTION_HELP:
		aj_cli_usage(stdout, argv0, bwrap);
		return 0;
	case AJ_ACTION_VERSION:
		print_version(bwrap);
		return 0;
	case AJ_ACTION_CHECK:
		if (aj_plan_validate(plan) < 0)
			return 1;
		return aj_check_main(plan, argc - next, argv + next);
	case AJ_ACTION_RUN:
		break;
	}

	/* A profile run finds its command when none is given (zero-config). */
	if (front.active && aj_front_command(&front, plan, argc - next, argv + next) < 0)
		return 1;

	/* bwrap checks this one before it looks for a command. */
	if (plan->disable_userns && !(plan->unshare & AJ_NS_USER)) {
		aj_errx(-EINVAL, "--disable-userns requires --unshare-user");
		return 1;
	}
	if (next >= argc && !plan->argv) {
		aj_cli_usage(stderr, argv0, bwrap);
		return 1;
	}
	if (aj_plan_validate(plan) < 0)
		return 1;
	if (!plan->argv)
		plan->argv = copy_argv(argc - next, argv + next);
	if (!plan->argv) {
		aj_err(-ENOMEM, "Out of memory");
		return 1;
	}
	if (bwrap && aj_walls_load_bwrap_ini(plan, bwrap_ini_path()) < 0)
		return 1;
#ifdef AJ_TEST_HOOKS
	/* The path kernels without a usable Landlock take, testable on one with it. */
	plan->no_fence = getenv("AGENTJAIL_TEST_NO_FENCE") != NULL;
	/* What the proxy's own confinement lets it open. */
	plan->test_proxy_open = getenv("AGENTJAIL_TEST_PROXY_OPEN");
#endif
	/* Expand the rules; --explain and --dump-profile print and stop here. */
	if (!bwrap && (r = aj_front_prepare(&front, plan)) != 0)
		return r < 0 ? 1 : 0;
	return aj_launch(plan, bwrap);
}
