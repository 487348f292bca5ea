/* SPDX-License-Identifier: LGPL-2.0-or-later */
/* Limits: value syntax with units, ranges, the option rows, --explain text, cgroup parsing. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentjail/cgroup.h"
#include "agentjail/cli.h"
#include "agentjail/limits.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "tap.h"

static uint64_t size_of(const char *s, int *ret_r)
{
	uint64_t v = 12345;

	*ret_r = aj_limits_parse_size(s, &v);
	return v;
}

TEST(sizes_with_binary_units)
{
	static const struct {
		const char *in;
		uint64_t out;
	} ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "1K", 1024 }, { "1k", 1024 }, { "512M", 512ull << 20 },
		{ "8G", 8ull << 30 }, { "8GiB", 8ull << 30 }, { "2T", 2ull << 40 }, { "3MiB", 3ull << 20 },
		{ "16383P", 0 } /* placeholder, checked as invalid below */,
	};
	int r;

	for (size_t i = 0; i + 1 < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v = size_of(ok[i].in, &r);

		EXPECT_EQ(r, 0);
		EXPECT_EQ(v, ok[i].out);
	}
}

TEST(sizes_refused)
{
	const char *bad[] = { "", "G", "8GB", "8 G", " 8G", "8G ", "-1", "+1", "0x10", "1.5G", "8Gi",
			      "8iB", "8P", "8E", "1e9", "8g!", "٣" };
	int r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)size_of(bad[i], &r);
		if (r != -EINVAL)
			printf("#   accepted: '%s'\n", bad[i]);
		EXPECT_EQ(r, -EINVAL);
	}
	/* Overflow is a range error, not a wrap-around. */
	(void)size_of("17179869184G", &r);
	EXPECT_EQ(r, -ERANGE);
	(void)size_of("99999999999999999999999", &r);
	EXPECT_EQ(r, -ERANGE);
}

TEST(seconds_and_cpus)
{
	uint64_t v;

	EXPECT_EQ(aj_limits_parse_seconds("90", &v), 0);
	EXPECT_EQ(v, 90);
	EXPECT_EQ(aj_limits_parse_seconds("90s", &v), 0);
	EXPECT_EQ(v, 90);
	EXPECT_EQ(aj_limits_parse_seconds("10m", &v), 0);
	EXPECT_EQ(v, 600);
	EXPECT_EQ(aj_limits_parse_seconds("2h", &v), 0);
	EXPECT_EQ(v, 7200);
	EXPECT_EQ(aj_limits_parse_seconds("1d", &v), 0);
	EXPECT_EQ(v, 86400);
	EXPECT_EQ(aj_limits_parse_seconds("1.5s", &v), -EINVAL);
	EXPECT_EQ(aj_limits_parse_seconds("10ms", &v), -EINVAL);
	EXPECT_EQ(aj_limits_parse_seconds("m", &v), -EINVAL);

	EXPECT_EQ(aj_limits_parse_cpus("1", &v), 0);
	EXPECT_EQ(v, 1000);
	EXPECT_EQ(aj_limits_parse_cpus("1.5", &v), 0);
	EXPECT_EQ(v, 1500);
	EXPECT_EQ(aj_limits_parse_cpus("0.25", &v), 0);
	EXPECT_EQ(v, 250);
	EXPECT_EQ(aj_limits_parse_cpus("150%", &v), 0);
	EXPECT_EQ(v, 1500);
	EXPECT_EQ(aj_limits_parse_cpus("0.0005", &v), -EINVAL);
	EXPECT_EQ(aj_limits_parse_cpus("1.", &v), -EINVAL);
	EXPECT_EQ(aj_limits_parse_cpus(".5", &v), -EINVAL);
	EXPECT_EQ(aj_limits_parse_cpus("1.5%", &v), -EINVAL);
	EXPECT_EQ(aj_limits_parse_cpus("2 ", &v), -EINVAL);
}

TEST(ranges_per_limit)
{
	uint64_t v;

	EXPECT_EQ(aj_limits_parse(AJ_LIMIT_MEMORY, "512K", &v), -ERANGE); /* below 1M */
	EXPECT_EQ(aj_limits_parse(AJ_LIMIT_MEMORY, "1M", &v), 0);
	EXPECT_EQ(aj_limits_parse(AJ_LIMIT_PIDS, "0", &v), -ERANGE);
	EXPECT_EQ(aj_limits_parse(AJ_LIMIT_PIDS, "4194305", &v), -ERANGE);
	EXPECT_EQ(aj_limits_parse(AJ_LIMIT_PIDS, "4G", &v), -EINVAL); /* a count has no unit */
	EXPECT_EQ(aj_limits_parse(AJ_LIMIT_NOFILE, "0", &v), -ERANGE);
	EXPECT_EQ(aj_limits_parse(AJ_LIMIT_CPU, "0", &v), -ERANGE);
	EXPECT_EQ(aj_limits_parse(AJ_LIMIT_FSIZE, "0", &v), -ERANGE);
	EXPECT_EQ(aj_limits_parse(AJ_LIMIT_CORE, "0", &v), 0); /* core 0 = no dumps */
	EXPECT_EQ(v, 0);
	EXPECT_EQ(aj_limits_parse(AJ_LIMIT_CPUS, "0", &v), -ERANGE);
	EXPECT_EQ(aj_limits_parse(AJ_LIMIT_TMP_SIZE, "0", &v), -ERANGE);
	EXPECT_EQ(aj_limits_parse(AJ_LIMIT_MEMORY, "unlimited", &v), 0);
	EXPECT_EQ(v == AJ_LIMIT_UNLIMITED, 1);
	EXPECT_EQ(aj_limits_parse(AJ_LIMIT_CORE, "infinity", &v), 0);
	EXPECT_EQ(v == AJ_LIMIT_UNLIMITED, 1);
	EXPECT_EQ(aj_limits_parse(AJ_LIMIT_CORE, "Unlimited", &v), -EINVAL);
}

TEST(values_print_as_they_are_written)
{
	char b[32];

	EXPECT_STREQ(aj_limits_format(AJ_LIMIT_MEMORY, 8ull << 30, b, sizeof(b)), "8G");
	EXPECT_STREQ(aj_limits_format(AJ_LIMIT_MEMORY, 1536ull << 20, b, sizeof(b)), "1536M");
	EXPECT_STREQ(aj_limits_format(AJ_LIMIT_FSIZE, 1000, b, sizeof(b)), "1000");
	EXPECT_STREQ(aj_limits_format(AJ_LIMIT_CORE, 0, b, sizeof(b)), "0");
	EXPECT_STREQ(aj_limits_format(AJ_LIMIT_CPU, 600, b, sizeof(b)), "10m");
	EXPECT_STREQ(aj_limits_format(AJ_LIMIT_CPU, 7200, b, sizeof(b)), "2h");
	EXPECT_STREQ(aj_limits_format(AJ_LIMIT_CPU, 61, b, sizeof(b)), "61s");
	EXPECT_STREQ(aj_limits_format(AJ_LIMIT_CPUS, 1500, b, sizeof(b)), "1.5");
	EXPECT_STREQ(aj_limits_format(AJ_LIMIT_CPUS, 2000, b, sizeof(b)), "2");
	EXPECT_STREQ(aj_limits_format(AJ_LIMIT_CPUS, 250, b, sizeof(b)), "0.25");
	EXPECT_STREQ(aj_limits_format(AJ_LIMIT_PIDS, 4096, b, sizeof(b)), "4096");
	EXPECT_STREQ(aj_limits_format(AJ_LIMIT_PIDS, AJ_LIMIT_UNLIMITED, b, sizeof(b)), "unlimited");
}

static int parse(struct aj_plan *plan, const char *const *words, bool bwrap)
{
	char *argv[32];
	int argc = 1, r, next;
	struct aj_parser p;

	argv[0] = (char *)"agentjail";
	while (words[argc - 1])
		argv[argc] = (char *)words[argc - 1], argc++;
	argv[argc] = NULL;
	if (aj_parser_init(&p, plan, bwrap) < 0)
		return -ENOMEM;
	r = aj_cli_parse(&p, argc, argv, 1, &next);
	aj_parser_done(&p);
	return r;
}

TEST(command_line_options_fill_the_plan)
{
	struct aj_plan *plan = aj_plan_new();
	const char *w[] = { "--limit-memory", "8G", "--limit-pids", "4096", "--limit-nofile", "1024",
			    "--limit-cpu", "10m", "--limit-fsize", "1G", "--limit-core", "0",
			    "--limit-cpus", "150%", "--limit-tmp-size", "512M", "true", NULL };

	ASSERT_EQ(parse(plan, w, false), 0);
	EXPECT_EQ(plan->limits_set, (1u << _AJ_LIMIT_MAX) - 1);
	EXPECT_EQ(plan->limits[AJ_LIMIT_MEMORY], 8ull << 30);
	EXPECT_EQ(plan->limits[AJ_LIMIT_PIDS], 4096);
	EXPECT_EQ(plan->limits[AJ_LIMIT_NOFILE], 1024);
	EXPECT_EQ(plan->limits[AJ_LIMIT_CPU], 600);
	EXPECT_EQ(plan->limits[AJ_LIMIT_FSIZE], 1ull << 30);
	EXPECT_EQ(plan->limits[AJ_LIMIT_CORE], 0);
	EXPECT_EQ(plan->limits[AJ_LIMIT_CPUS], 1500);
	EXPECT_EQ(plan->limits[AJ_LIMIT_TMP_SIZE], 512ull << 20);
	aj_plan_free(plan);
}

TEST(a_later_value_wins_and_unlimited_lifts)
{
	struct aj_plan *plan = aj_plan_new();
	const char *w[] = { "--limit-memory", "8G", "--limit-memory", "unlimited", "true", NULL };

	ASSERT_EQ(parse(plan, w, false), 0);
	EXPECT_EQ(plan->limits_set, 1u << AJ_LIMIT_MEMORY);
	EXPECT_EQ(plan->limits[AJ_LIMIT_MEMORY] == AJ_LIMIT_UNLIMITED, 1);
	aj_plan_free(plan);
}

TEST(bad_values_are_refused)
{
	const char *const cases[][3] = {
		{ "--limit-memory", "lots", NULL }, { "--limit-memory", "100", NULL },
		{ "--limit-pids", "-5", NULL },     { "--limit-nofile", "1k", NULL },
		{ "--limit-cpu", "1w", NULL },      { "--limit-cpus", "0", NULL },
		{ "--limit-tmp-size", "", NULL },   { "--limit-fsize", "0", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct aj_plan *plan = aj_plan_new();
		const char *w[] = { cases[i][0], cases[i][1], "true", NULL };

		EXPECT_EQ(parse(plan, w, false), -EINVAL);
		EXPECT_EQ(plan->limits_set, 0);
		aj_plan_free(plan);
	}
}

TEST(not_options_under_the_bwrap_name)
{
	struct aj_plan *plan = aj_plan_new();
	const char *w[] = { "--limit-memory", "8G", "true", NULL };

	EXPECT_EQ(parse(plan, w, true), -EINVAL);
	aj_plan_free(plan);
}

TEST(every_limit_is_an_ini_key)
{
	const char *keys[] = { "memory", "pids", "nofile", "cpu", "fsize", "core", "cpus", "tmp-size" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct aj_opt *o = aj_opt_find_key("limits", keys[i]);

		ASSERT_TRUE(o != NULL);
		EXPECT_EQ(o->arg, i);
		EXPECT_STREQ(aj_limits_name((enum aj_limit)o->arg), keys[i]);
	}
	EXPECT_TRUE(aj_opt_find_key("limits", "swap") == NULL);
}

TEST(an_ini_value_names_its_line)
{
	struct aj_plan *plan = aj_plan_new();
	struct aj_parser p;
	char *args[] = { (char *)"8X", NULL };
	int r;

	ASSERT_EQ(aj_parser_init(&p, plan, false), 0);
	p.where = (struct aj_src){ .file = "claude.ini", .line = 12 };
	/* The message ("claude.ini:12: memory: '8X' is not a size ...") goes to stderr. */
	r = aj_opt_apply(&p, aj_opt_find_key("limits", "memory"), args);
	EXPECT_EQ(r, -EINVAL);
	aj_parser_done(&p);
	aj_plan_free(plan);
}

TEST(core_dumps_off_by_default_except_as_bwrap)
{
	struct aj_plan *plan = aj_plan_new(), *bw = aj_plan_new();

	aj_limits_set_defaults(plan, false);
	aj_limits_set_defaults(bw, true);
	EXPECT_EQ(plan->limits_set, 1u << AJ_LIMIT_CORE);
	EXPECT_EQ(plan->limits[AJ_LIMIT_CORE], 0);
	EXPECT_EQ(bw->limits_set, 0);
	aj_plan_free(plan);
	aj_plan_free(bw);
}

static char *describe(struct aj_plan *plan)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	aj_limits_describe(plan, f);
	fclose(f);
	return text;
}

TEST(explain_names_each_limit_and_its_mechanism)
{
	struct aj_plan *plan = aj_plan_new();
	const char *w[] = { "--unshare-pid", "--limit-nofile", "1024", "--limit-cpu", "10m",
			    "--limit-core", "0", "--limit-tmp-size", "1G", "true", NULL };
	char *t;

	ASSERT_EQ(parse(plan, w, false), 0);
	t = describe(plan);
	EXPECT_TRUE(strstr(t, "limits:\n") == t);
	EXPECT_TRUE(strstr(t, "  nofile    1024       RLIMIT_NOFILE, per process\n") != NULL);
	EXPECT_TRUE(strstr(t, "  cpu       10m        RLIMIT_CPU, per process") != NULL);
	EXPECT_TRUE(strstr(t, "  core      0          RLIMIT_CORE (core dumps off)\n") != NULL);
	EXPECT_TRUE(strstr(t, "  tmp-size  1G         size of every tmpfs mounted without --size\n") != NULL);
	free(t);
	aj_plan_free(plan);

	plan = aj_plan_new();
	t = describe(plan);
	EXPECT_STREQ(t, "limits: none\n");
	free(t);
	aj_plan_free(plan);
}

TEST(explain_says_where_memory_and_pids_go)
{
	struct aj_plan *plan = aj_plan_new();
	const char *w[] = { "--unshare-pid", "--limit-memory", "1G", "--limit-pids", "100", "true", NULL };
	char *t;

	ASSERT_EQ(parse(plan, w, false), 0);
	t = describe(plan);
	/* Either a delegated cgroup, or rlimits with the reason there is none. */
	EXPECT_TRUE(strstr(t, "limits (cgroup v2 under ") == t || strstr(t, "limits (rlimits; no cgroup: ") == t);
	EXPECT_TRUE(strstr(t, "  memory    1G         ") != NULL);
	EXPECT_TRUE(strstr(t, "  pids      100        ") != NULL);
	free(t);
	aj_plan_free(plan);
}

TEST(cgroup_membership_and_mounts)
{
	char *s = NULL;

	EXPECT_EQ(aj_cgroup_parse_self("12:pids:/x\n1:name=systemd:/y\n0::/user.slice/a.scope\n", &s), 0);
	EXPECT_STREQ(s, "/user.slice/a.scope");
	free(s);
	EXPECT_EQ(aj_cgroup_parse_self("4:memory:/a\n", &s), -ENOENT);
	EXPECT_EQ(aj_cgroup_parse_mountinfo(
			  "22 1 0:20 / /sys rw - sysfs sysfs rw\n"
			  "30 22 0:26 /sub /sys/fs/cgroup/x rw shared:9 - cgroup2 cgroup2 rw\n"
			  "31 22 0:27 / /sys/fs/cgroup/my\\040dir rw,nosuid shared:9 - cgroup2 cgroup2 rw\n",
			  &s),
		  0);
	EXPECT_STREQ(s, "/sys/fs/cgroup/my dir");
	free(s);
	EXPECT_EQ(aj_cgroup_parse_mountinfo("22 1 0:20 / /sys rw - sysfs sysfs rw\n", &s), -ENOENT);
}

TEST(cgroup_controller_lists)
{
	char b[64];

	EXPECT_EQ(aj_cgroup_parse_controllers("cpuset cpu io memory hugetlb pids rdma\n"),
		  AJ_CG_MEMORY | AJ_CG_PIDS | AJ_CG_CPU);
	EXPECT_EQ(aj_cgroup_parse_controllers("cpuset io hugetlb"), 0);
	/* "cpuset" is not "cpu", "pids_x" is not "pids". */
	EXPECT_EQ(aj_cgroup_parse_controllers("cpuset pids_x memoryx"), 0);
	EXPECT_STREQ(aj_cgroup_mask_names(AJ_CG_MEMORY | AJ_CG_CPU, b, sizeof(b)), "memory, cpu");
}

/*
 * The cgroup mechanism end to end, with no controllers asked for: where any
 * writable cgroup v2 exists (root on this test machine, whose v2 hierarchy has
 * no memory or pids), make the group, start a child in its leaf with
 * clone3(CLONE_INTO_CGROUP), and remove both groups afterwards.
 */
TEST(cgroup_group_leaf_clone_and_removal)
{
	struct aj_cgroup_limits lim = { 0 };
	struct aj_cgroup *cg = NULL;
	struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD };
	char *dir = NULL, why[512], path[PATH_MAX + 16], self[4096], outer[PATH_MAX];
	int st, fd;
	ssize_t n;
	pid_t pid;

	if (aj_cgroup_probe(0, &dir, why, sizeof(why)) < 0)
		SKIP("no writable cgroup v2 here");
	if (aj_cgroup_create(dir, 0, &lim, &cg, why, sizeof(why)) < 0) {
		printf("#   %s\n", why);
		SKIP("cannot create a cgroup here");
	}
	snprintf(outer, sizeof(outer), "%s", aj_cgroup_path(cg));
	args.cgroup = (uint64_t)aj_cgroup_leaf_fd(cg);
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
		n = read(fd, self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = '\0';
		_exit(strstr(self, "/sandbox\n") ? 0 : 1);
	}
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(path, sizeof(path), "%s/sandbox", outer);
	EXPECT_EQ(access(path, F_OK), 0);
	EXPECT_EQ(aj_cgroup_destroy(cg), 0);
	EXPECT_TRUE(access(outer, F_OK) < 0 && errno == ENOENT);
	free(dir);
}

int main(void)
{
	return tap_main();
}
