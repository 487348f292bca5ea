/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The walls' settings: the option rows (command line and profile keys), the
 * defaults each mode resolves to, and /etc/agentjail/bwrap.ini.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/cli.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "agentjail/walls.h"
#include "tap.h"

static int parse(struct aj_plan **ret_plan, const char *const *words)
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
	return r;
}

/* What a profile line does: the row found by section/key, its parse function. */
static int profile_key(struct aj_plan *plan, const char *section, const char *key, const char *value)
{
	const struct aj_opt *o = aj_opt_find_key(section, key);
	struct aj_parser p;
	char *args[2] = { (char *)value, NULL };
	int r;

	if (!o)
		return -ENOENT;
	if (aj_parser_init(&p, plan, false) < 0)
		return -ENOMEM;
	p.where = (struct aj_src){ .file = "test.ini", .line = 3 };
	r = aj_opt_apply(&p, o, args);
	aj_parser_done(&p);
	return r;
}

TEST(seccomp_options_fill_the_plan)
{
	struct aj_plan *plan;
	const char *w[] = { "--seccomp-filter", "none", "--seccomp-deny", "ptrace,bpf",
			    "--seccomp-allow", "ptrace io_uring_setup", "--nested-userns", "yes",
			    "--io-uring", "false", "--landlock", "require", "x", NULL };

	ASSERT_EQ(parse(&plan, w), 0);
	EXPECT_EQ(plan->seccomp_mode, AJ_SECCOMP_NONE);
	/* The later mention wins: ptrace moved from deny to allow. */
	ASSERT_EQ(plan->n_seccomp_deny, 1);
	EXPECT_STREQ(plan->seccomp_deny[0], "bpf");
	ASSERT_EQ(plan->n_seccomp_allow, 2);
	EXPECT_STREQ(plan->seccomp_allow[0], "ptrace");
	EXPECT_STREQ(plan->seccomp_allow[1], "io_uring_setup");
	EXPECT_EQ(plan->nested_userns, AJ_SWITCH_ON);
	EXPECT_EQ(plan->io_uring, AJ_SWITCH_OFF);
	EXPECT_EQ(plan->landlock, AJ_SWITCH_REQUIRE);
	aj_plan_free(plan);
}

TEST(seccomp_default_and_hardened_switches)
{
	struct aj_plan *plan;
	const char *w[] = { "--seccomp-default", "--hardened", "--root-maps-to", "1000:1001",
			    "--limit-tmp-size", "64M", "x", NULL };

	ASSERT_EQ(parse(&plan, w), 0);
	EXPECT_EQ(plan->seccomp_mode, AJ_SECCOMP_DEFAULT);
	EXPECT_TRUE(plan->hardened);
	EXPECT_TRUE(plan->root_map_set);
	EXPECT_EQ(plan->root_map_uid, 1000);
	EXPECT_EQ(plan->root_map_gid, 1001);
	EXPECT_EQ(plan->limits[AJ_LIMIT_TMP_SIZE], 64u << 20);
	aj_plan_free(plan);
}

TEST(bad_values_are_errors)
{
	static const char *const bad[][3] = {
		{ "--seccomp-deny", "no_such_call", NULL }, { "--seccomp-allow", " , ", NULL },
		{ "--seccomp-filter", "strictest", NULL },   { "--nested-userns", "maybe", NULL },
		{ "--landlock", "required", NULL },         { "--io-uring", "", NULL },
		{ "--root-maps-to", "-1", NULL },            { "--root-maps-to", "1:x", NULL },
		{ "--limit-tmp-size", "0", NULL },           { "--limit-tmp-size", "12Q", NULL },
		{ "--limit-tmp-size", "101%", NULL },        { "--limit-tmp-size", "-5", NULL },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aj_plan *plan;
		const char *w[] = { bad[i][0], bad[i][1], "x", NULL };

		EXPECT_EQ(parse(&plan, w), -EINVAL);
		aj_plan_free(plan);
	}
}

TEST(bwrap_mode_does_not_know_the_agentjail_options)
{
	struct aj_plan *plan = aj_plan_new();
	struct aj_parser p;

	ASSERT_EQ(aj_parser_init(&p, plan, true), 0);
	EXPECT_TRUE(aj_opt_find(&p, "--seccomp-default") == NULL);
	EXPECT_TRUE(aj_opt_find(&p, "--hardened") == NULL);
	EXPECT_TRUE(aj_opt_find(&p, "--check") == NULL);
	EXPECT_TRUE(aj_opt_find(&p, "--seccomp") != NULL);
	aj_parser_done(&p);
	aj_plan_free(plan);
}

TEST(security_keys_are_rows_of_the_table)
{
	struct aj_plan *plan = aj_plan_new();

	EXPECT_EQ(profile_key(plan, "security", "seccomp", "default"), 0);
	EXPECT_EQ(profile_key(plan, "security", "seccomp-deny", "keyctl"), 0);
	EXPECT_EQ(profile_key(plan, "security", "seccomp-allow", "ptrace"), 0);
	EXPECT_EQ(profile_key(plan, "security", "nested-userns", "true"), 0);
	EXPECT_EQ(profile_key(plan, "security", "io-uring", "off"), 0);
	EXPECT_EQ(profile_key(plan, "security", "landlock", "off"), 0);
	EXPECT_EQ(profile_key(plan, "security", "new-session", "true"), 0);
	EXPECT_EQ(profile_key(plan, "security", "root-maps-to", "4242"), 0);
	EXPECT_EQ(profile_key(plan, "limits", "tmp-size", "1G"), 0);
	EXPECT_EQ(plan->seccomp_mode, AJ_SECCOMP_DEFAULT);
	EXPECT_EQ(plan->n_seccomp_deny, 1);
	EXPECT_EQ(plan->n_seccomp_allow, 1);
	EXPECT_EQ(plan->nested_userns, AJ_SWITCH_ON);
	EXPECT_EQ(plan->io_uring, AJ_SWITCH_OFF);
	EXPECT_EQ(plan->landlock, AJ_SWITCH_OFF);
	EXPECT_TRUE(plan->new_session);
	EXPECT_EQ(plan->root_map_uid, 4242);
	EXPECT_EQ(plan->root_map_gid, 4242);
	EXPECT_EQ(plan->limits[AJ_LIMIT_TMP_SIZE], 1u << 30);
	EXPECT_EQ(profile_key(plan, "security", "seccomp-deny", "nope"), -EINVAL);
	EXPECT_EQ(profile_key(plan, "security", "new-session", "sometimes"), -EINVAL);
	aj_plan_free(plan);
}

TEST(hardened_defaults)
{
	struct aj_plan *plan = aj_plan_new();
	struct aj_walls w;

	plan->hardened = true;
	aj_walls_resolve(plan, true, &w);
	EXPECT_TRUE(w.filter && w.spec.defaults && w.spec.tty_injection && w.spec.foreign_abi);
	EXPECT_TRUE(w.spec.nested_userns && w.spec.io_uring);
	EXPECT_TRUE(w.landlock && !w.landlock_required);
	EXPECT_TRUE(w.hardened_caps);
	EXPECT_TRUE(w.map_root);
	EXPECT_EQ(w.map_uid, 65534);
	EXPECT_TRUE(w.tmpfs_size > 0);
	/* Unprivileged, nothing to map away. */
	aj_walls_resolve(plan, false, &w);
	EXPECT_TRUE(!w.map_root);
	/* Explicit settings win over the mode's defaults. */
	plan->nested_userns = AJ_SWITCH_ON;
	plan->io_uring = AJ_SWITCH_ON;
	plan->landlock = AJ_SWITCH_OFF;
	plan->limits[AJ_LIMIT_TMP_SIZE] = 4096;
	plan->limits_set |= 1u << AJ_LIMIT_TMP_SIZE;
	aj_walls_resolve(plan, false, &w);
	EXPECT_TRUE(!w.spec.nested_userns && !w.spec.io_uring && !w.landlock);
	EXPECT_EQ(w.tmpfs_size, 4096);
	/* "unlimited" leaves the kernel's default. */
	plan->limits[AJ_LIMIT_TMP_SIZE] = AJ_LIMIT_UNLIMITED;
	aj_walls_resolve(plan, false, &w);
	EXPECT_EQ(w.tmpfs_size, 0);
	aj_plan_free(plan);
}

TEST(bwrap_style_keeps_bwrap_behaviour_unless_asked)
{
	struct aj_plan *plan = aj_plan_new();
	struct aj_walls w;

	aj_walls_resolve(plan, true, &w);
	EXPECT_TRUE(!w.filter && !w.landlock && !w.hardened_caps && !w.map_root);
	EXPECT_EQ(w.tmpfs_size, 0);
	plan->seccomp_mode = AJ_SECCOMP_DEFAULT;
	aj_walls_resolve(plan, true, &w);
	EXPECT_TRUE(w.filter && w.spec.defaults && w.spec.nested_userns && !w.landlock);
	plan->seccomp_mode = AJ_SECCOMP_UNSET;
	plan->io_uring = AJ_SWITCH_OFF;
	aj_walls_resolve(plan, true, &w);
	EXPECT_TRUE(w.filter && !w.spec.defaults && w.spec.io_uring && w.spec.foreign_abi);
	aj_plan_free(plan);
}

TEST(bwrap_overlay_rules)
{
	struct aj_plan *plan = aj_plan_new();
	struct aj_walls w;

	plan->bwrap_overlay = AJ_OVERLAY_ALL;
	aj_walls_resolve(plan, false, &w);
	EXPECT_TRUE(w.filter && !w.spec.defaults);
	EXPECT_TRUE(w.spec.tty_injection && w.spec.foreign_abi && w.spec.io_uring);
	EXPECT_TRUE(!w.spec.nested_userns && !w.landlock && !w.hardened_caps);
	plan->bwrap_overlay = AJ_OVERLAY_TTY;
	aj_walls_resolve(plan, false, &w);
	EXPECT_TRUE(w.filter && w.spec.tty_injection && !w.spec.foreign_abi && !w.spec.io_uring);
	plan->bwrap_overlay = AJ_OVERLAY_ABI;
	aj_walls_resolve(plan, false, &w);
	EXPECT_TRUE(w.filter && !w.spec.tty_injection && w.spec.foreign_abi);
	plan->bwrap_overlay = 0;
	aj_walls_resolve(plan, false, &w);
	EXPECT_TRUE(!w.filter);
	aj_plan_free(plan);
}

/* What --explain shows of the walls. */
static char *describe(const struct aj_plan *plan)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	aj_walls_describe(plan, f);
	fclose(f);
	return buf;
}

TEST(describe_in_plain_words)
{
	struct aj_plan *plan = aj_plan_new();
	char *d;

	d = describe(plan);
	EXPECT_TRUE(strstr(d, "seccomp filter: none\n") != NULL);
	EXPECT_TRUE(strstr(d, "landlock: off\n") != NULL);
	EXPECT_TRUE(strstr(d, "capabilities: bwrap's rules") != NULL);
	free(d);

	plan->hardened = true;
	aj_plan_add_seccomp(plan, calloc(1, 8), 8);
	d = describe(plan);
	EXPECT_TRUE(strstr(d, "seccomp filter: default list\n") != NULL);
	EXPECT_TRUE(strstr(d, "EPERM: ptrace process_vm_readv") != NULL);
	EXPECT_TRUE(strstr(d, "ioctl TIOCSTI and TIOCLINUX") != NULL);
	EXPECT_TRUE(strstr(d, "ENOSYS: every call through the i386 or x32 ABI") != NULL);
	EXPECT_TRUE(strstr(d, "seccomp programs from the caller: stacked on top") != NULL);
	EXPECT_TRUE(strstr(d, "nested user namespaces: refused") != NULL);
	/* Landlock's status depends on the kernel; it is always stated. */
	EXPECT_TRUE(strstr(d, "landlock: active, ABI ") != NULL ||
		    strstr(d, "landlock: inactive (") != NULL);
	EXPECT_TRUE(strstr(d, "capabilities: none; bounding set emptied; securebits locked") != NULL);
	EXPECT_TRUE(strstr(d, "tmpfs size limit: ") != NULL);
	if (getuid() == 0)
		EXPECT_TRUE(strstr(d, "identity: root runs as host uid 65534, gid 65534") != NULL);
	free(d);

	plan->landlock = AJ_SWITCH_OFF;
	plan->nested_userns = AJ_SWITCH_ON;
	d = describe(plan);
	EXPECT_TRUE(strstr(d, "landlock: off\n") != NULL);
	EXPECT_TRUE(strstr(d, "nested user namespaces: allowed") != NULL);
	free(d);
	aj_plan_free(plan);
}

/* Write an ini file with mode; returns its path (static buffer). */
static const char *ini(const char *text, mode_t mode)
{
	static char path[] = "/tmp/aj-test-bwrap-ini.XXXXXX";
	int fd;

	strcpy(path, "/tmp/aj-test-bwrap-ini.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fchmod(fd, mode) < 0)
		abort();
	close(fd);
	return path;
}

static int load_ini(const char *text, mode_t mode, unsigned *ret)
{
	struct aj_plan *plan = aj_plan_new();
	const char *p = ini(text, mode);
	int r = aj_walls_load_bwrap_ini(plan, p);

	*ret = plan->bwrap_overlay;
	unlink(p);
	aj_plan_free(plan);
	return r;
}

TEST(bwrap_ini)
{
	struct aj_plan *plan = aj_plan_new();
	unsigned o;

	/* No file: every rule on. */
	EXPECT_EQ(aj_walls_load_bwrap_ini(plan, "/nonexistent/bwrap.ini"), 0);
	EXPECT_EQ(plan->bwrap_overlay, AJ_OVERLAY_ALL);
	aj_plan_free(plan);

	EXPECT_EQ(load_ini("[bwrap]\nhardening = false\n", 0644, &o), 0);
	EXPECT_EQ(o, 0);
	EXPECT_EQ(load_ini("; comment\n[bwrap]\nio-uring = allow\nforeign-abi = allow\n", 0600, &o), 0);
	EXPECT_EQ(o, AJ_OVERLAY_TTY);
	EXPECT_EQ(load_ini("[bwrap]\nterminal-injection = allow\nterminal-injection = deny\n", 0644, &o),
		  0);
	EXPECT_EQ(o, AJ_OVERLAY_ALL);
	EXPECT_EQ(load_ini("", 0644, &o), 0);
	EXPECT_EQ(o, AJ_OVERLAY_ALL);

	EXPECT_EQ(load_ini("[bwrap]\nhardening = perhaps\n", 0644, &o), -EINVAL);
	EXPECT_EQ(load_ini("[bwrap]\nio-uring = refuse\n", 0644, &o), -EINVAL);
	EXPECT_EQ(load_ini("[bwrap]\nno-such-key = deny\n", 0644, &o), -EINVAL);
	EXPECT_EQ(load_ini("[other]\nhardening = true\n", 0644, &o), -EINVAL);
	EXPECT_EQ(load_ini("[bwrap]\n  hardening = false\n", 0644, &o), -EINVAL);
	/* Anyone who can write it could turn the hardening off. */
	EXPECT_EQ(load_ini("[bwrap]\nhardening = false\n", 0666, &o), -EPERM);
	EXPECT_EQ(load_ini("[bwrap]\nhardening = false\n", 0620, &o), -EPERM);
}

TEST(bools)
{
	EXPECT_EQ(aj_parse_bool("Yes"), 1);
	EXPECT_EQ(aj_parse_bool("off"), 0);
	EXPECT_EQ(aj_parse_bool("y"), -EINVAL);
}

int main(void)
{
	return tap_main();
}
