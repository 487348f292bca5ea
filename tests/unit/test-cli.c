/* SPDX-License-Identifier: LGPL-2.0-or-later */
/* The bwrap-style command line: parse rules, ordering, modifiers, errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentjail/cli.h"
#include "agentjail/log.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "tap.h"

/* Parse argv (NULL-terminated, without argv[0]); returns the result. */
static int parse(struct aj_plan **ret_plan, int *ret_next, const char *const *words)
{
	char *argv[64];
	int argc = 1, r, next = 0;
	struct aj_parser p;
	struct aj_plan *plan = aj_plan_new();

	argv[0] = (char *)"agentjail";
	while (words[argc - 1])
		argv[argc] = (char *)words[argc - 1], argc++;
	argv[argc] = NULL;
	if (aj_parser_init(&p, plan, false) < 0)
		return -ENOMEM;
	r = aj_cli_parse(&p, argc, argv, 1, &next);
	if (r >= 0)
		r = aj_parser_finish(&p);
	aj_parser_done(&p);
	*ret_plan = plan;
	if (ret_next)
		*ret_next = next;
	return r;
}

TEST(operations_keep_command_line_order)
{
	struct aj_plan *plan;
	int next;
	const char *w[] = { "--tmpfs", "/a", "--ro-bind", "/usr", "/usr", "--dir", "/a/b",
			    "--symlink", "x", "/y", "cmd", "--bind", NULL };

	ASSERT_EQ(parse(&plan, &next, w), 0);
	ASSERT_EQ(plan->n_ops, 4);
	EXPECT_EQ(plan->ops[0].kind, AJ_OP_TMPFS);
	EXPECT_EQ(plan->ops[1].kind, AJ_OP_BIND);
	EXPECT_EQ(plan->ops[1].flags, AJ_OPF_RO);
	EXPECT_EQ(plan->ops[2].kind, AJ_OP_DIR);
	EXPECT_EQ(plan->ops[3].kind, AJ_OP_SYMLINK);
	EXPECT_STREQ(plan->ops[3].src, "x");
	/* The first non-option word is the command; what follows is its own. */
	EXPECT_EQ(next, 11);
	aj_plan_free(plan);
}

TEST(double_dash_ends_options)
{
	struct aj_plan *plan;
	int next;
	const char *w[] = { "--unshare-net", "--", "--bind", NULL };

	ASSERT_EQ(parse(&plan, &next, w), 0);
	EXPECT_EQ(next, 3);
	EXPECT_EQ(plan->unshare, AJ_NS_NET);
	aj_plan_free(plan);
}

TEST(unshare_all_and_share_net_order)
{
	struct aj_plan *plan;
	const char *a[] = { "--unshare-all", "--share-net", "x", NULL };
	const char *b[] = { "--share-net", "--unshare-all", "x", NULL };

	ASSERT_EQ(parse(&plan, NULL, a), 0);
	EXPECT_EQ(plan->unshare, AJ_NS_IPC | AJ_NS_PID | AJ_NS_UTS);
	EXPECT_TRUE(plan->unshare_user_try && plan->unshare_cgroup_try);
	aj_plan_free(plan);
	ASSERT_EQ(parse(&plan, NULL, b), 0);
	EXPECT_EQ(plan->unshare, AJ_NS_IPC | AJ_NS_PID | AJ_NS_UTS | AJ_NS_NET);
	aj_plan_free(plan);
}

TEST(perms_and_size_bind_to_the_next_operation)
{
	struct aj_plan *plan;
	const char *w[] = { "--size", "4096", "--perms", "0700", "--tmpfs", "/t", "--dir", "/d", "x", NULL };

	ASSERT_EQ(parse(&plan, NULL, w), 0);
	ASSERT_EQ(plan->n_ops, 2);
	EXPECT_EQ(plan->ops[0].perms, 0700);
	EXPECT_EQ(plan->ops[0].size, 4096);
	EXPECT_EQ(plan->ops[1].perms, -1);
	aj_plan_free(plan);
}

TEST(modifier_errors)
{
	struct aj_plan *plan;
	const char *twice[] = { "--perms", "0700", "--perms", "0700", "--dir", "/x", "c", NULL };
	const char *other[] = { "--perms", "0700", "--chdir", "/", "c", NULL };
	const char *size_dir[] = { "--size", "1", "--dir", "/x", "c", NULL };
	const char *bad_octal[] = { "--perms", "0800", "--dir", "/x", "c", NULL };
	const char *big[] = { "--perms", "010000", "--dir", "/x", "c", NULL };
	const char *dangling_layer[] = { "--overlay-src", "/a", "c", NULL };
	const char *dangling_perms[] = { "--perms", "0700", "c", NULL };

	EXPECT_EQ(parse(&plan, NULL, twice), -EINVAL);
	aj_plan_free(plan);
	EXPECT_EQ(parse(&plan, NULL, other), -EINVAL);
	aj_plan_free(plan);
	EXPECT_EQ(parse(&plan, NULL, size_dir), -EINVAL);
	aj_plan_free(plan);
	EXPECT_EQ(parse(&plan, NULL, bad_octal), -EINVAL);
	aj_plan_free(plan);
	EXPECT_EQ(parse(&plan, NULL, big), -EINVAL);
	aj_plan_free(plan);
	EXPECT_EQ(parse(&plan, NULL, dangling_layer), -EINVAL);
	aj_plan_free(plan);
	/* bwrap ignores a --perms left dangling just before the command. */
	EXPECT_EQ(parse(&plan, NULL, dangling_perms), 0);
	EXPECT_EQ(plan->n_ops, 0);
	aj_plan_free(plan);
}

TEST(numbers_are_strict)
{
	struct aj_plan *plan;
	const char *uid_ok[] = { "--uid", "1000", "c", NULL };
	const char *bad[][4] = {
		{ "--uid", "", "c", NULL },        { "--uid", "12a", "c", NULL },
		{ "--uid", "-5", "c", NULL },      { "--uid", "99999999999", "c", NULL },
		{ "--gid", "0x10", "c", NULL },    { "--sync-fd", "-1", "c", NULL },
		{ "--info-fd", "1 ", "c", NULL },  { "--size", "-1", "c", NULL },
	};

	ASSERT_EQ(parse(&plan, NULL, uid_ok), 0);
	EXPECT_TRUE(plan->uid_set);
	EXPECT_EQ(plan->uid, 1000);
	aj_plan_free(plan);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(parse(&plan, NULL, bad[i]), -EINVAL);
		aj_plan_free(plan);
	}
}

TEST(unknown_and_missing)
{
	struct aj_plan *plan;
	const char *unknown[] = { "--bindd", "/a", "/b", "c", NULL };
	const char *missing[] = { "--bind", "/a", NULL };
	const char *short_opt[] = { "-b", "c", NULL };

	EXPECT_EQ(parse(&plan, NULL, unknown), -EINVAL);
	aj_plan_free(plan);
	EXPECT_EQ(parse(&plan, NULL, missing), -EINVAL);
	aj_plan_free(plan);
	EXPECT_EQ(parse(&plan, NULL, short_opt), -EINVAL);
	aj_plan_free(plan);
}

TEST(env_edits_apply_in_order)
{
	struct aj_plan *plan;
	const char *w[] = { "--setenv", "A", "1", "--clearenv", "--setenv", "B", "2",
			    "--setenv", "B", "3", "--unsetenv", "NOPE", "c", NULL };
	const char *bad[] = { "--setenv", "A=B", "1", "c", NULL };

	ASSERT_EQ(parse(&plan, NULL, w), 0);
	EXPECT_EQ(plan->n_env, 1);
	EXPECT_STREQ(plan->env[0], "B=3");
	EXPECT_TRUE(plan->env[1] == NULL);
	aj_plan_free(plan);
	EXPECT_EQ(parse(&plan, NULL, bad), -EINVAL);
	aj_plan_free(plan);
}

TEST(args_fd_words_are_parsed_in_place)
{
	struct aj_plan *plan;
	int pfd[2], next;
	char fdstr[16];
	static const char data[] = "--dir\0/from-file\0--unshare-pid\0ignored-command\0--bind\0";

	ASSERT_EQ(pipe(pfd), 0);
	ASSERT_EQ(write(pfd[1], data, sizeof(data) - 1), (long)(sizeof(data) - 1));
	close(pfd[1]);
	snprintf(fdstr, sizeof(fdstr), "%d", pfd[0]);
	const char *w[] = { "--tmpfs", "/t", "--args", fdstr, "--dir", "/after", "cmd", NULL };

	ASSERT_EQ(parse(&plan, &next, w), 0);
	ASSERT_EQ(plan->n_ops, 3);
	EXPECT_STREQ(plan->ops[0].dest, "/t");
	EXPECT_STREQ(plan->ops[1].dest, "/from-file");
	EXPECT_STREQ(plan->ops[2].dest, "/after");
	EXPECT_EQ(plan->unshare, AJ_NS_PID);
	EXPECT_EQ(next, 7); /* the command comes from argv, never from the file */
	/* The fd is consumed. */
	EXPECT_TRUE(fcntl(pfd[0], F_GETFD) < 0);
	aj_plan_free(plan);
}

TEST(args_fd_cannot_nest)
{
	struct aj_plan *plan;
	int pfd[2];
	char fdstr[16];
	static const char data[] = "--args\0" "0\0";

	ASSERT_EQ(pipe(pfd), 0);
	ASSERT_EQ(write(pfd[1], data, sizeof(data) - 1), (long)(sizeof(data) - 1));
	close(pfd[1]);
	snprintf(fdstr, sizeof(fdstr), "%d", pfd[0]);
	const char *w[] = { "--args", fdstr, "cmd", NULL };

	EXPECT_EQ(parse(&plan, NULL, w), -EINVAL);
	aj_plan_free(plan);
}

TEST(bwrap_mode_hides_agentjail_options)
{
	struct aj_plan *plan = aj_plan_new();
	struct aj_parser p;

	ASSERT_EQ(aj_parser_init(&p, plan, true), 0);
	EXPECT_TRUE(aj_opt_find(&p, "--keep-fd") == NULL);
	EXPECT_TRUE(aj_opt_find(&p, "--ro-bind") != NULL);
	aj_parser_done(&p);
	ASSERT_EQ(aj_parser_init(&p, plan, false), 0);
	EXPECT_TRUE(aj_opt_find(&p, "--keep-fd") != NULL);
	aj_parser_done(&p);
	aj_plan_free(plan);
}

TEST(every_option_has_help_and_sane_arity)
{
	size_t n;
	const struct aj_opt *t = aj_opt_table(&n);

	for (size_t i = 0; i < n; i++) {
		/* -c COMMAND (a shell's habit, for zero-config runs) is the one short option. */
		EXPECT_TRUE(t[i].name && (strncmp(t[i].name, "--", 2) == 0 || strcmp(t[i].name, "-c") == 0));
		EXPECT_TRUE(t[i].help && *t[i].help);
		EXPECT_TRUE(t[i].nargs <= 3);
		EXPECT_TRUE((t[i].nargs == 0) == (t[i].metavar == NULL));
		EXPECT_TRUE(t[i].parse || (t[i].flags & AJ_OPT_SPECIAL));
		for (size_t j = 0; j < i; j++)
			EXPECT_TRUE(strcmp(t[i].name, t[j].name) != 0);
	}
}

int main(void)
{
	/* Errors go to stderr; keep the TAP stream on stdout clean. */
	aj_log_set_prog("agentjail");
	return tap_main();
}
